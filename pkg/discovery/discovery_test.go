package discovery

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

func TestResolveBuildsEachAccessPath(t *testing.T) {
	eps := []Endpoint{{Address: "10.1.0.7", Port: 8001, PortName: "admin", Pod: "kong-0"},
		{Address: "fd00::7", Port: 8444, PortName: "kong-admin-tls", Pod: "kong-1"}}
	urls, taken, rt, err := Resolver{Namespace: "kong", Access: Direct}.Resolve(t.Context(), eps)
	if err != nil || taken != Direct || rt != nil {
		t.Fatalf("direct: %v %s %v", err, taken, rt)
	}
	if want := []string{"http://10.1.0.7:8001", "https://[fd00::7]:8444"}; !slices.Equal(urls, want) {
		t.Fatalf("direct URLs %v, want %v", urls, want)
	}
	cfg := &rest.Config{Host: "https://apiserver.example:6443", BearerToken: "tok"}
	urls, taken, rt, err = Resolver{Namespace: "kong", Access: APIServer, Config: cfg}.Resolve(t.Context(), eps)
	if err != nil || taken != APIServer || rt == nil {
		t.Fatalf("apiserver: %v %s %v", err, taken, rt)
	}
	want := []string{"https://apiserver.example:6443/api/v1/namespaces/kong/pods/kong-0:8001/proxy",
		"https://apiserver.example:6443/api/v1/namespaces/kong/pods/https:kong-1:8444/proxy"}
	if !slices.Equal(urls, want) {
		t.Fatalf("apiserver URLs %v, want %v", urls, want)
	}
	_, _, _, err = Resolver{Namespace: "kong", Access: APIServer, Config: cfg}.Resolve(t.Context(), []Endpoint{{Address: "10.1.0.8", Port: 8001}})
	if err == nil || !strings.Contains(err.Error(), "endpoint 10.1.0.8 has no target Pod") {
		t.Fatalf("endpoint without a pod: %v", err)
	}
}

func TestParseServiceAndAccess(t *testing.T) {
	s, err := ParseService("--kong-admin-service", "kong/kong-admin", AdminPortNames)
	if err != nil || s.String() != "kong/kong-admin" {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"kong-admin", "/x", "kong/", "a/b/c"} {
		if _, err := ParseService("--kong-admin-service", bad, nil); err == nil || !strings.Contains(err.Error(), "want NAMESPACE/NAME") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := ParseAccess("tunnel"); err == nil || !strings.Contains(err.Error(), "want direct, apiserver or auto") {
		t.Fatalf("bad access: %v", err)
	}
}
