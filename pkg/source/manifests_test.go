package source

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// readYAML reads manifests given as one YAML stream through the stdin path.
func readYAML(t *testing.T, manifests string, opts Options) *Snapshot {
	t.Helper()
	snap, err := ReadManifests(t.Context(), ManifestInput{Filenames: []string{"-"}, Stdin: strings.NewReader(manifests)}, opts)
	if err != nil {
		t.Fatalf("ReadManifests: %v", err)
	}
	return snap
}

func names[P object](objs []P) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, objectKey(o))
	}
	return out
}

func TestReadManifestsFromPaths(t *testing.T) {
	tests := []struct {
		name         string
		in           ManifestInput
		wantServices []string
		wantIngress  []string
	}{
		{
			name:         "a directory without -R reads only its own files",
			in:           ManifestInput{Filenames: []string{"testdata/tree"}},
			wantServices: []string{"default/echo"},
		},
		{
			name:         "-R descends and flattens Lists; the ingress class filter drops other classes",
			in:           ManifestInput{Filenames: []string{"testdata/tree"}, Recursive: true, Namespace: "team-a"},
			wantServices: []string{"team-a/echo"},
			wantIngress:  []string{"team-a/one"},
		},
		{
			name:         "-l narrows route kinds only; Services are read whole",
			in:           ManifestInput{Filenames: []string{"testdata/tree"}, Recursive: true, Namespace: "team-a", Selector: "app=none"},
			wantServices: []string{"team-a/echo"},
		},
		{
			name:         "-k renders a kustomization",
			in:           ManifestInput{Kustomize: "testdata/kustomize"},
			wantServices: []string{"kustomized/from-kustomize"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := ReadManifests(t.Context(), tt.in, Options{})
			if err != nil {
				t.Fatalf("ReadManifests: %v", err)
			}
			if got := names(snap.Services); !slices.Equal(got, tt.wantServices) {
				t.Errorf("services = %v, want %v", got, tt.wantServices)
			}
			if got := names(snap.Ingresses); !slices.Equal(got, tt.wantIngress) {
				t.Errorf("ingresses = %v, want %v", got, tt.wantIngress)
			}
			if !snap.Complete {
				t.Error("a snapshot read from manifests must be complete")
			}
		})
	}
}

func TestReadManifestsAppliesServerDefaults(t *testing.T) {
	snap, err := ReadManifests(t.Context(), ManifestInput{Filenames: []string{"testdata/tree/app.yaml"}}, Options{})
	if err != nil {
		t.Fatalf("ReadManifests: %v", err)
	}
	if len(snap.Secrets) != 1 {
		t.Fatalf("secrets = %v, want one", names(snap.Secrets))
	}
	sec := snap.Secrets[0]
	if got := string(sec.Data["key"]); got != "new" {
		t.Errorf("data[key] = %q, want stringData's %q to win", got, "new")
	}
	if got := string(sec.Data["kept"]); got != "kept" {
		t.Errorf("data[kept] = %q, want %q", got, "kept")
	}
	if sec.StringData != nil || sec.Type != corev1.SecretTypeOpaque {
		t.Errorf("stringData = %v, type = %q; want nil and Opaque", sec.StringData, sec.Type)
	}
	svc := snap.Services[0]
	port := svc.Spec.Ports[0]
	if port.Protocol != corev1.ProtocolTCP || port.TargetPort != intstr.FromInt32(80) || svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("service port = %+v, type %q; want protocol TCP, targetPort 80, ClusterIP", port, svc.Spec.Type)
	}
	if svc.APIVersion != "v1" || svc.Kind != "Service" {
		t.Errorf("type meta = %v, want v1 Service", svc.TypeMeta)
	}
	if len(snap.IngressClasses) != 1 || snap.IngressClasses[0].Namespace != "" {
		t.Errorf("ingress classes = %v, want the cluster-scoped class without a namespace", names(snap.IngressClasses))
	}
	if !slices.ContainsFunc(snap.Notes, func(n string) bool { return strings.Contains(n, "Deployment (1)") }) {
		t.Errorf("notes = %q, want one naming the ignored Deployment", snap.Notes)
	}
}

func TestReadManifestsDefaultsHTTPRoute(t *testing.T) {
	snap := readYAML(t, `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: echo, port: 80}]
    filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https}
  - matches: [{headers: [{name: x, value: "yes"}]}]
`, Options{})
	if len(snap.HTTPRoutes) != 1 {
		t.Fatalf("routes = %v, want the route kept (its Gateway is unknown)", names(snap.HTTPRoutes))
	}
	r := snap.HTTPRoutes[0]
	ref := r.Spec.ParentRefs[0]
	if *ref.Group != gatewayv1.GroupName || *ref.Kind != "Gateway" {
		t.Errorf("parentRef = %+v, want group and kind defaulted", ref)
	}
	m := r.Spec.Rules[0].Matches
	if len(m) != 1 || *m[0].Path.Type != gatewayv1.PathMatchPathPrefix || *m[0].Path.Value != "/" {
		t.Errorf("rule 0 matches = %+v, want one PathPrefix / match", m)
	}
	b := r.Spec.Rules[0].BackendRefs[0]
	if *b.Weight != 1 || *b.Kind != "Service" || *b.Group != "" {
		t.Errorf("backendRef = %+v, want weight 1, kind Service, group \"\"", b)
	}
	if code := *r.Spec.Rules[0].Filters[0].RequestRedirect.StatusCode; code != 302 {
		t.Errorf("redirect status = %d, want 302", code)
	}
	h := r.Spec.Rules[1].Matches[0]
	if *h.Headers[0].Type != gatewayv1.HeaderMatchExact || *h.Path.Value != "/" {
		t.Errorf("rule 1 match = %+v, want Exact header and default path", h)
	}
	if !slices.ContainsFunc(snap.Notes, func(n string) bool { return strings.Contains(n, "ns/gw is not among") }) {
		t.Errorf("notes = %q, want one saying the parent Gateway is unknown", snap.Notes)
	}
}

func TestReadManifestsFromURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("apiVersion: v1\nkind: Service\nmetadata: {name: remote, namespace: web}\n"))
	}))
	t.Cleanup(srv.Close)
	snap, err := ReadManifests(t.Context(), ManifestInput{Filenames: []string{srv.URL + "/svc.yaml"}}, Options{})
	if err != nil {
		t.Fatalf("ReadManifests: %v", err)
	}
	if got := names(snap.Services); !slices.Equal(got, []string{"web/remote"}) {
		t.Errorf("services = %v, want [web/remote]", got)
	}
}

func TestReadManifestsKeepsConfigMaps(t *testing.T) {
	snap := readYAML(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: ca, namespace: ns, labels: {konghq.com/ca-cert: "true"}}
data: {id: 8e8a8c61-0000-4000-8000-000000000001}
`, Options{})
	if got := names(snap.ConfigMaps); !slices.Equal(got, []string{"ns/ca"}) {
		t.Errorf("config maps = %v, want [ns/ca] (KIC reads CA certificates from them)", got)
	}
}

func TestReadManifestsDuplicateKeepsLast(t *testing.T) {
	snap := readYAML(t, `
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns, labels: {v: "1"}}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns, labels: {v: "2"}}
`, Options{})
	if len(snap.Services) != 1 || snap.Services[0].Labels["v"] != "2" {
		t.Fatalf("services = %+v, want only the second one", snap.Services)
	}
	if len(snap.Notes) != 1 || !strings.Contains(snap.Notes[0], "more than once") {
		t.Errorf("notes = %q, want one about the duplicate", snap.Notes)
	}
}

func TestReadManifestsErrors(t *testing.T) {
	tests := []struct {
		name string
		in   ManifestInput
		want string
	}{
		{"missing file", ManifestInput{Filenames: []string{"testdata/nope.yaml"}}, "nope.yaml"},
		{"stdin without a reader", ManifestInput{Filenames: []string{"-"}}, "no standard input"},
		{"broken YAML", ManifestInput{Filenames: []string{"-"}, Stdin: strings.NewReader("kind: [")}, "read manifests"},
		{"wrong field type", ManifestInput{Filenames: []string{"-"}, Stdin: strings.NewReader(
			"apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: 3}\n")}, "decode Service default/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadManifests(t.Context(), tt.in, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestReadManifestsBoundsAURL: a manifest URL whose answer is over the size bound fails (with
// or without a Content-Length) rather than being read in full or silently cut, and one that
// stalls mid-body fails at the time bound rather than holding the sync.
func TestReadManifestsBoundsAURL(t *testing.T) {
	doc := "apiVersion: v1\nkind: Service\nmetadata: {name: remote, namespace: web}\n"
	big := doc + "# " + strings.Repeat("x", 4096) + "\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sized":
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			_, _ = w.Write([]byte(big))
		case "/chunked":
			_, _ = w.Write([]byte(big[:len(big)/2]))
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte(big[len(big)/2:]))
		case "/stalls":
			_, _ = w.Write([]byte(doc))
			w.(http.Flusher).Flush()
			select { // until the client gives up (or, if it never does, long after its bound)
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		default:
			_, _ = w.Write([]byte(doc))
		}
	}))
	t.Cleanup(srv.Close)
	for path, want := range map[string]string{"/sized": "over the limit of 1024", "/chunked": "over the size limit",
		"/stalls": "Client.Timeout", "/small": ""} {
		t.Run(path, func(t *testing.T) {
			_, err := ReadManifests(t.Context(), ManifestInput{Filenames: []string{srv.URL + path},
				MaxURLBytes: 1024, URLTimeout: 300 * time.Millisecond}, Options{})
			if want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want an error containing %q", err, want)
			}
		})
	}
}
