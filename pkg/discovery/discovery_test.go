package discovery

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
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

// TestAdminTLSSettingsAreNeverDroppedThroughTheAPIServer: the pod proxy makes the TLS connection
// to Kong itself, so a CA or client certificate given for the Admin API refuses that path
// (forced or as auto's fallback) instead of being silently left out; direct access keeps them.
func TestAdminTLSSettingsAreNeverDroppedThroughTheAPIServer(t *testing.T) {
	eps := []Endpoint{{Address: "192.0.2.7", Port: 8444, PortName: "admin-tls", Pod: "kong-0"}}
	cfg := &rest.Config{Host: "https://apiserver.example:6443", BearerToken: "tok"}
	for _, access := range []Access{APIServer, Auto} {
		r := Resolver{Namespace: "kong", Access: access, Config: cfg, EndToEndTLS: "--kong-admin-ca", DialTimeout: 1}
		_, _, _, err := r.Resolve(t.Context(), eps)
		if err == nil || !strings.Contains(err.Error(), "cannot honour --kong-admin-ca") {
			t.Errorf("%s: got %v, want the API server path refused", access, err)
		}
	}
	urls, taken, _, err := Resolver{Namespace: "kong", Access: Direct, EndToEndTLS: "--kong-admin-ca"}.Resolve(t.Context(), eps)
	if err != nil || taken != Direct || urls[0] != "https://192.0.2.7:8444" {
		t.Fatalf("direct: %v %s %v", err, taken, urls)
	}
}

// TestAdminDiscoveryPrefersTheTLSPort: a Service offering both admin and admin-tls is reached
// on admin-tls (KIC's default names), so the token does not cross the network in clear.
func TestAdminDiscoveryPrefersTheTLSPort(t *testing.T) {
	ready := true
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "kong-admin-x", Namespace: "kong", Labels: map[string]string{discoveryv1.LabelServiceName: "kong-admin"}},
		Ports:      []discoveryv1.EndpointPort{{Name: ptr("admin"), Port: ptr(int32(8001))}, {Name: ptr("admin-tls"), Port: ptr(int32(8444))}},
		Endpoints:  []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.7"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
	}
	eps, err := Service{Namespace: "kong", Name: "kong-admin", PortNames: AdminPortNames}.Endpoints(t.Context(), fake.NewSimpleClientset(slice))
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 1 || eps[0].PortName != "admin-tls" || eps[0].Port != 8444 || !eps[0].TLS() {
		t.Fatalf("endpoints %+v, want admin-tls:8444", eps)
	}
}

func ptr[T any](v T) *T { return &v }

// TestDescribeSaysWhichHopIsNotVerified: through the API server, the description says when the
// kubeconfig does not verify the API server, and that the API server does not verify Kong's
// TLS port on its own hop.
func TestDescribeSaysWhichHopIsNotVerified(t *testing.T) {
	ready := true
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "kong-admin-x", Namespace: "kong", Labels: map[string]string{discoveryv1.LabelServiceName: "kong-admin"}},
		Ports:      []discoveryv1.EndpointPort{{Name: ptr("admin-tls"), Port: ptr(int32(8444))}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.7"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "kong-0"}}},
	}
	cfg := &rest.Config{Host: "https://api.example:6443", TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	n := &Nodes{Service: Service{Namespace: "kong", Name: "kong-admin", PortNames: AdminPortNames}, Client: fake.NewSimpleClientset(slice),
		Resolver: Resolver{Namespace: "kong", Access: APIServer, Config: cfg}}
	if _, err := n.AdminURLs(t.Context()); err != nil {
		t.Fatal(err)
	}
	d := n.Describe()
	for _, want := range []string{"turns off verification of the API server's certificate", "does not verify Kong's certificate on its own hop"} {
		if !strings.Contains(d, want) {
			t.Errorf("%q does not say %q", d, want)
		}
	}
}
