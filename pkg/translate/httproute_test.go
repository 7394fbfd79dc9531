package translate

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestCombinedServiceName(t *testing.T) {
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "r"}}
	ref := func(ns, name string, port, weight int32) gatewayv1.HTTPBackendRef {
		b := gatewayv1.HTTPBackendRef{}
		b.Name = gatewayv1.ObjectName(name)
		if ns != "" {
			n := gatewayv1.Namespace(ns)
			b.Namespace = &n
		}
		p := gatewayv1.PortNumber(port)
		b.Port = &p
		b.Weight = &weight
		return b
	}
	long := strings.Repeat("x", 250)
	longName := "httproute.shop.svc.shop." + long + ".80.1_shop." + long + "2.80.1"
	tests := []struct {
		name string
		refs []gatewayv1.HTTPBackendRef
		want string
	}{
		{"no backends end in an underscore", nil, "httproute.shop.svc._"},
		{"backends sorted, namespace defaulted to the route's",
			[]gatewayv1.HTTPBackendRef{ref("", "b", 80, 1), ref("other", "a", 8080, 3)},
			"httproute.shop.svc.other.a.8080.3_shop.b.80.1"},
		{"names over 511 characters keep the first backend and a hash",
			[]gatewayv1.HTTPBackendRef{ref("", long, 80, 1), ref("", long+"2", 80, 1)},
			fmt.Sprintf("httproute.shop.svc.shop.%s.80.1_combined.%x", long, sha256.Sum256([]byte(longName)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := combinedServiceName(httpRule{rule: gatewayv1.HTTPRouteRule{BackendRefs: tt.refs}, route: route})
			if got != tt.want {
				t.Errorf("name = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPrefixReplaceURI(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		replacement *string
		path, want  string
	}{
		{nil, "/api", "/"},
		{s("/"), "/", `$(uri_captures[1] == nil and "/" or "/" .. uri_captures[1])`},
		{s(""), "/api", `$(uri_captures[1] == nil and "/" or uri_captures[1])`},
		{s("/v2/"), "/", `/v2$(uri_captures[1] == nil and "" or "/" .. uri_captures[1])`},
		{s("/v2/"), "/api", `/v2$(uri_captures[1])`},
	}
	for _, tt := range tests {
		if got := prefixReplaceURI(tt.replacement, tt.path); got != tt.want {
			t.Errorf("prefixReplaceURI(%v, %q) = %q, want %q", tt.replacement, tt.path, got, tt.want)
		}
	}
}

func TestGRPCPath(t *testing.T) {
	s := func(v string) *string { return &v }
	exact, regex := gatewayv1.GRPCMethodMatchExact, gatewayv1.GRPCMethodMatchRegularExpression
	tests := []struct {
		m    gatewayv1.GRPCMethodMatch
		want string
	}{
		{gatewayv1.GRPCMethodMatch{Service: s("pkg.Svc"), Method: s("Get")}, "/pkg.Svc/Get"},
		{gatewayv1.GRPCMethodMatch{Type: &exact, Service: s("pkg.Svc")}, "/pkg.Svc/"},
		{gatewayv1.GRPCMethodMatch{Type: &exact, Method: s("Get")}, "/.+/Get"},
		{gatewayv1.GRPCMethodMatch{Type: &regex, Service: s("pkg\\..*")}, "/pkg\\..*/.+"},
	}
	for _, tt := range tests {
		if got := grpcPath(&tt.m); got != tt.want {
			t.Errorf("grpcPath(%+v) = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestKongPaths(t *testing.T) {
	typ := func(v gatewayv1.PathMatchType) *gatewayv1.PathMatchType { return &v }
	s := func(v string) *string { return &v }
	tests := []struct {
		path gatewayv1.HTTPPathMatch
		want []string
	}{
		{gatewayv1.HTTPPathMatch{Type: typ(gatewayv1.PathMatchExact), Value: s("/a")}, []string{"~/a$"}},
		{gatewayv1.HTTPPathMatch{Type: typ(gatewayv1.PathMatchPathPrefix), Value: s("/a")}, []string{"~/a$", "/a/"}},
		{gatewayv1.HTTPPathMatch{Type: typ(gatewayv1.PathMatchPathPrefix), Value: s("/a/")}, []string{"~/a/$", "/a/"}},
		{gatewayv1.HTTPPathMatch{Type: typ(gatewayv1.PathMatchRegularExpression), Value: s("/a/[0-9]+")}, []string{"~/a/[0-9]+"}},
	}
	for _, tt := range tests {
		got := kongPaths(gatewayv1.HTTPRouteMatch{Path: &tt.path})
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("kongPaths(%v %v) = %q, want %q", *tt.path.Type, *tt.path.Value, got, tt.want)
		}
	}
}
