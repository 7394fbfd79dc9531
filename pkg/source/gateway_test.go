package source

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

const gatewayClasses = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: kong}
spec: {controllerName: konghq.com/kic-gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: other}
spec: {controllerName: example.com/other}
---
apiVersion: v1
kind: Namespace
metadata: {name: blue, labels: {team: blue}}
---
apiVersion: v1
kind: Namespace
metadata: {name: red, labels: {team: red}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: kong
  listeners:
  - {name: http, protocol: HTTP, port: 80, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
  - {name: api, protocol: HTTP, port: 8080, hostname: api.example.com, allowedRoutes: {namespaces: {from: All}}}
  - {name: tcp, protocol: TCP, port: 9000, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: blue}}}}}
  - {name: udp, protocol: UDP, port: 9001}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: foreign, namespace: infra}
spec:
  gatewayClassName: other
  listeners: [{name: http, protocol: HTTP, port: 80}]
`

// httpRoute renders an HTTPRoute in namespace ns with the given parentRef and hostnames.
func httpRoute(name, ns, parentRef, hostnames string) string {
	return fmt.Sprintf(`
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s, namespace: %s}
spec:
  parentRefs: [%s]
  hostnames: %s
`, name, ns, parentRef, hostnames)
}

func TestPrefilterGatewayRoutes(t *testing.T) {
	tests := []struct {
		name          string
		routes        string
		wantRoutes    []string
		wantHostnames map[string][]string
		wantNote      string
	}{
		{
			name:          "hostnames are cut down to the listener's",
			routes:        httpRoute("r", "app", "{name: gw, namespace: infra, sectionName: http}", `["a.example.com", "b.example.org"]`),
			wantRoutes:    []string{"app/r"},
			wantHostnames: map[string][]string{"app/r": {"a.example.com"}},
		},
		{
			name:          "a route wider than the listener gets the listener's hostname",
			routes:        httpRoute("r", "app", "{name: gw, namespace: infra, sectionName: api}", `["*.example.com"]`),
			wantRoutes:    []string{"app/r"},
			wantHostnames: map[string][]string{"app/r": {"api.example.com"}},
		},
		{
			name:          "without hostnames the route takes the union of HTTP listeners' hostnames",
			routes:        httpRoute("r", "app", "{name: gw, namespace: infra}", `[]`),
			wantRoutes:    []string{"app/r"},
			wantHostnames: map[string][]string{"app/r": {"*.example.com", "api.example.com"}},
		},
		{
			name:          "without sectionName a listener without hostname (here TCP) keeps every hostname, as KIC's getMinimumHostnameIntersection",
			routes:        httpRoute("r", "app", "{name: gw, namespace: infra}", `["a.example.com", "b.example.org"]`),
			wantRoutes:    []string{"app/r"},
			wantHostnames: map[string][]string{"app/r": {"a.example.com", "b.example.org"}},
		},
		{
			name:       "no hostname intersects: left out",
			routes:     httpRoute("r", "app", "{name: gw, namespace: infra, sectionName: http}", `["example.org"]`),
			wantRoutes: nil,
			wantNote:   "not accepted by any listener",
		},
		{
			name:       "port must match the listener named",
			routes:     httpRoute("r", "app", "{name: gw, namespace: infra, sectionName: http, port: 8080}", `[]`),
			wantRoutes: nil,
			wantNote:   "not accepted",
		},
		{
			name:       "a Gateway of another controller: silently not ours",
			routes:     httpRoute("r", "app", "{name: foreign, namespace: infra}", `[]`),
			wantRoutes: nil,
		},
		{
			name:       "an HTTPRoute cannot attach to a TCP listener",
			routes:     httpRoute("r", "blue", "{name: gw, namespace: infra, sectionName: tcp}", `[]`),
			wantRoutes: nil,
			wantNote:   "not accepted",
		},
		{
			name:       "a parent that is not a Gateway is refused",
			routes:     httpRoute("r", "app", "{name: svc, kind: Service, group: \"\"}", `[]`),
			wantRoutes: nil,
		},
		{
			name:          "an unknown Gateway in manifests: kept with a note",
			routes:        httpRoute("r", "app", "{name: elsewhere}", `["x.example.org"]`),
			wantRoutes:    []string{"app/r"},
			wantHostnames: map[string][]string{"app/r": {"x.example.org"}},
			wantNote:      "app/elsewhere is not among the objects read",
		},
		{
			name: "namespace selector admits the labelled namespace only",
			routes: `
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: t, namespace: blue}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules: [{backendRefs: [{name: echo, port: 9000}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: t, namespace: red}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules: [{backendRefs: [{name: echo, port: 9000}]}]
`,
			wantRoutes: []string{"blue/t"},
		},
		{
			name: "allowedRoutes from Same (the default) refuses other namespaces",
			routes: `
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: u, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules: [{backendRefs: [{name: dns, port: 53}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: u, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: dns, port: 53}]}]
`,
			wantRoutes: []string{"infra/u"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := readYAML(t, gatewayClasses+tt.routes, Options{})
			got := append(names(snap.HTTPRoutes), names(snap.TCPRoutes)...)
			got = append(got, names(snap.UDPRoutes)...)
			if !slices.Equal(got, tt.wantRoutes) {
				t.Errorf("routes = %v, want %v (notes %q)", got, tt.wantRoutes, snap.Notes)
			}
			for _, r := range snap.HTTPRoutes {
				want, ok := tt.wantHostnames[objectKey(r)]
				if !ok {
					continue
				}
				var hs []string
				for _, h := range r.Spec.Hostnames {
					hs = append(hs, string(h))
				}
				if !slices.Equal(hs, want) {
					t.Errorf("%s hostnames = %v, want %v", objectKey(r), hs, want)
				}
			}
			hasNote := slices.ContainsFunc(snap.Notes, func(n string) bool { return tt.wantNote != "" && strings.Contains(n, tt.wantNote) })
			if (tt.wantNote != "") != hasNote {
				t.Errorf("notes = %q, want note %q", snap.Notes, tt.wantNote)
			}
			if gw := names(snap.Gateways); !slices.Equal(gw, []string{"infra/gw"}) {
				t.Errorf("gateways = %v, want only the one of our class", gw)
			}
			if gc := names(snap.GatewayClasses); !slices.Equal(gc, []string{"kong"}) {
				t.Errorf("gateway classes = %v, want only ours", gc)
			}
		})
	}
}

func TestPrefilterGatewayClassController(t *testing.T) {
	snap := readYAML(t, gatewayClasses+httpRoute("r", "app", "{name: gw, namespace: infra, sectionName: http}", `["a.example.com", "b.example.org"]`), Options{GatewayClassController: "example.com/other"})
	if len(snap.HTTPRoutes) != 0 {
		t.Fatalf("routes = %v, want none: gw belongs to konghq.com's controller, not example.com/other", names(snap.HTTPRoutes))
	}
	if gw := names(snap.Gateways); !slices.Equal(gw, []string{"infra/foreign"}) {
		t.Errorf("gateways = %v, want the other controller's Gateway", gw)
	}
}
