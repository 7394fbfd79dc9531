package source

import (
	"slices"
	"strings"
	"testing"
)

const kongClass = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: kong}
spec: {controller: ingress-controllers.konghq.com/kong}
`

const kongDefaultClass = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: kong
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: ingress-controllers.konghq.com/kong}
`

const nginxClass = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
`

const classedObjects = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: by-name, namespace: ns}
spec: {ingressClassName: kong}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: other-name, namespace: ns}
spec: {ingressClassName: nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: annotation-wins
  namespace: ns
  annotations: {kubernetes.io/ingress.class: kong}
spec: {ingressClassName: nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: annotation-other
  namespace: ns
  annotations: {kubernetes.io/ingress.class: nginx}
spec: {ingressClassName: kong}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: unclassed, namespace: ns}
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata:
  name: classed
  namespace: ns
  annotations: {kubernetes.io/ingress.class: kong}
username: classed
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata: {name: unclassed, namespace: ns}
username: unclassed
---
apiVersion: configuration.konghq.com/v1beta1
kind: TCPIngress
metadata:
  name: other
  namespace: ns
  annotations: {kubernetes.io/ingress.class: nginx}
spec: {rules: []}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata:
  name: never-filtered
  namespace: ns
  annotations: {kubernetes.io/ingress.class: nginx}
plugin: cors
`

func TestPrefilterIngressClass(t *testing.T) {
	tests := []struct {
		name          string
		class         string
		manifests     string
		wantIngresses []string
		wantConsumers []string
		wantNote      string
	}{
		{
			name:          "kong is not the default class: only exact matches",
			manifests:     kongClass + "---" + classedObjects,
			wantIngresses: []string{"ns/annotation-wins", "ns/by-name"},
			wantConsumers: []string{"ns/classed"},
		},
		{
			name:          "kong is the default class: unclassed objects are ours too",
			manifests:     kongDefaultClass + "---" + classedObjects,
			wantIngresses: []string{"ns/annotation-wins", "ns/by-name", "ns/unclassed"},
			wantConsumers: []string{"ns/classed", "ns/unclassed"},
		},
		{
			name:          "--ingress-class picks another class",
			class:         "nginx",
			manifests:     kongDefaultClass + "---" + nginxClass + "---" + classedObjects,
			wantIngresses: []string{"ns/annotation-other", "ns/other-name"},
			wantConsumers: nil,
		},
		{
			name:          "class absent from manifests: unclassed objects kept with a note",
			manifests:     classedObjects,
			wantIngresses: []string{"ns/annotation-wins", "ns/by-name", "ns/unclassed"},
			wantConsumers: []string{"ns/classed", "ns/unclassed"},
			wantNote:      `Ingress ns/unclassed has no ingress class and IngressClass "kong" is not among the manifests`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := readYAML(t, tt.manifests, Options{IngressClass: tt.class})
			if got := names(snap.Ingresses); !slices.Equal(got, tt.wantIngresses) {
				t.Errorf("ingresses = %v, want %v", got, tt.wantIngresses)
			}
			if got := names(snap.KongConsumers); !slices.Equal(got, tt.wantConsumers) {
				t.Errorf("consumers = %v, want %v", got, tt.wantConsumers)
			}
			if len(snap.TCPIngresses) != 0 && tt.class != "nginx" {
				t.Errorf("TCPIngresses = %v, want the nginx one dropped", names(snap.TCPIngresses))
			}
			if len(snap.KongPlugins) != 1 {
				t.Errorf("KongPlugins = %v, want KIC's unfiltered plugin kept", names(snap.KongPlugins))
			}
			hasNote := slices.ContainsFunc(snap.Notes, func(n string) bool { return tt.wantNote != "" && strings.Contains(n, tt.wantNote) })
			if (tt.wantNote != "") != hasNote {
				t.Errorf("notes = %q, want note %q", snap.Notes, tt.wantNote)
			}
		})
	}
}

func TestHostnameMatches(t *testing.T) {
	tests := []struct {
		mask, host string
		want       bool
	}{
		{"example.com", "example.com", true},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "a.b.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "aexample.com", false},
		{"*.example.com", "*.example.com", true},
		{"a.example.com", "*.example.com", false},
		{"example.com", "example.org", false},
	}
	for _, tt := range tests {
		if got := hostnameMatches(tt.mask, tt.host); got != tt.want {
			t.Errorf("hostnameMatches(%q, %q) = %v, want %v", tt.mask, tt.host, got, tt.want)
		}
	}
}
