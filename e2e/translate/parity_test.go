// Package translate_test checks that kongdb translate gives the same output whether the objects
// come from manifests or from a real API server that stored them: the manifest reader's
// defaulting and the live reader's paging and conversion must agree.
package translate_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/pki"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/internal/testenv"
	"github.com/kongdb/kubectl-kongdb/pkg/cli"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// loadManifests reads the YAML documents of path with the test's namespace, class and a fresh
// self-signed certificate filled in.
func loadManifests(t *testing.T, path, ns, class string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	crt, key := selfSigned(t)
	for placeholder, value := range map[string]string{
		"__NS__": ns, "__CLASS__": class,
		"__TLS_CRT__": base64.StdEncoding.EncodeToString(crt), "__TLS_KEY__": base64.StdEncoding.EncodeToString(key),
	} {
		data = bytes.ReplaceAll(data, []byte(placeholder), []byte(value))
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("decode %s: %v", path, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// selfSigned returns a PEM certificate and key made for this test run only.
func selfSigned(t *testing.T) (crt, key []byte) {
	t.Helper()
	p, err := pki.SelfSigned(pki.Options{CommonName: "secure.example.com", DNSNames: []string{"secure.example.com", "tcp.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	return p.CertPEM, p.KeyPEM
}

// runTranslate runs the real command line and returns stdout, failing on a non-zero exit.
func runTranslate(t *testing.T, args ...string) string {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	code := cli.Main(append([]string{"kongdb", "translate"}, args...), streams)
	if code != cli.ExitOK {
		t.Fatalf("kongdb translate %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	t.Logf("kongdb translate %s stderr:\n%s", strings.Join(args, " "), errOut)
	return out.String()
}

func TestTranslateFilesEqualsLiveCluster(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	class := "kongdb-" + ns

	// What the test writes to the API server, and keeps unchanged for the files.
	manifests := loadManifests(t, filepath.Join("testdata", "cluster.yaml"), ns, class)
	created := make([]*unstructured.Unstructured, 0, len(manifests))
	for _, m := range manifests {
		obj := m.DeepCopy()
		env.Apply(t, obj)
		if obj.GetNamespace() == "" {
			t.Cleanup(func() { _ = env.Client.Delete(context.Background(), obj) })
		}
		created = append(created, obj)
	}

	// The API server gives every object a UID and a creation time, which kongdb's tags and
	// ordering use; the files get the same ones, and nothing else of what the server stored.
	var files bytes.Buffer
	for i, m := range manifests {
		file := m.DeepCopy()
		file.SetUID(created[i].GetUID())
		file.SetCreationTimestamp(created[i].GetCreationTimestamp())
		doc, err := yaml.Marshal(file.Object)
		if err != nil {
			t.Fatalf("marshal %s: %v", file.GetName(), err)
		}
		files.WriteString("---\n")
		files.Write(doc)
	}
	path := filepath.Join(t.TempDir(), "objects.yaml")
	if err := os.WriteFile(path, files.Bytes(), 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}

	t.Run("pages of one object", func(t *testing.T) {
		// The command reads 500 objects a page; one per page makes every list use continue
		// tokens against the real API server, and must still see the same objects.
		flags := genericclioptions.NewConfigFlags(true)
		flags.KubeConfig = &env.Kubeconfig
		opts := source.Options{IngressClass: class, GatewayClassController: "kongdb.test/" + class}
		paged, err := source.ReadCluster(t.Context(), flags, source.ClusterInput{Namespace: ns, PageSize: 1}, opts)
		if err != nil {
			t.Fatalf("ReadCluster: %v", err)
		}
		files, err := source.ReadManifests(t.Context(), source.ManifestInput{Filenames: []string{path}, Namespace: ns}, opts)
		if err != nil {
			t.Fatalf("ReadManifests: %v", err)
		}
		if !paged.Complete {
			t.Errorf("paged read incomplete: %q", paged.Notes)
		}
		topts := translate.DefaultOptions()
		topts.IngressClass, topts.ControllerName = opts.IngressClass, opts.GatewayClassController
		render := func(snap *source.Snapshot) string {
			state, _ := translate.Translate(snap, topts)
			var b bytes.Buffer
			if err := kongstate.Write(&b, state, kongstate.FormatDeck, kongstate.WriteOptions{ShowSecrets: true}); err != nil {
				t.Fatalf("write: %v", err)
			}
			return b.String()
		}
		if a, b := render(files), render(paged); a != b {
			t.Errorf("paged live read differs from files: %s", firstDifference(a, b))
		}
		if n := len(paged.Services); n != 2 {
			t.Errorf("paged read found %d Services, want 2", n)
		}
	})

	common := []string{"-n", ns, "--ingress-class", class, "--gateway-class-controller", "kongdb.test/" + class}
	for _, format := range []string{"deck", "json"} {
		t.Run(format, func(t *testing.T) {
			// --show-secrets: parity covers the credential and the private key too.
			fromFiles := runTranslate(t, append([]string{"-f", path, "-o", format, "--show-secrets"}, common...)...)
			live := runTranslate(t, append([]string{"--kubeconfig", env.Kubeconfig, "-o", format, "--show-secrets"}, common...)...)
			if fromFiles != live {
				t.Errorf("output differs between files and the live cluster: %s", firstDifference(fromFiles, live))
			}
			redacted := runTranslate(t, append([]string{"--kubeconfig", env.Kubeconfig, "-o", format}, common...)...)
			for _, secret := range []string{"alice-secret-key", "PRIVATE KEY"} {
				if strings.Contains(redacted, secret) {
					t.Errorf("live output without --show-secrets shows %q", secret)
				}
			}
			if !strings.Contains(redacted, "<redacted>") {
				t.Errorf("live output without --show-secrets lacks <redacted>")
			}
			// Both must have translated something from every route-producing kind, so that
			// "equal" cannot mean "both empty".
			for _, want := range []string{
				ns + ".web.echo.web.example.com.http", // Ingress, port by name
				ns + ".dns.0.udp",                     // UDPIngress
				"httproute." + ns + ".api.0.0",        // HTTPRoute, default match
				"tcproute." + ns + ".grpc.0.0",        // TCPRoute
				"alice-secret-key",                    // consumer credential from stringData
				"api.example.com",                     // hostname kept by the listener
				"grpcroute." + ns + ".greeter.0.0",    // GRPCRoute
				"tlsroute." + ns + ".db.0.0",          // TLSRoute
				"tls_passthrough",                     // TLSRoute on a Passthrough listener
				ns + ".tcp.0",                         // TCPIngress
				"secure.example.com",                  // Gateway listener certificate SNI
				"correlation-id",                      // global KongClusterPlugin
			} {
				if !strings.Contains(live, want) {
					t.Errorf("live output lacks %q", want)
				}
			}
			if strings.Contains(live, "api.example.org") {
				t.Errorf("live output keeps api.example.org, which the route's listener (*.example.com) does not match")
			}
		})
	}
}

// firstDifference names the first line where a and b differ without printing key material:
// the outputs carry the test certificate's private key.
func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	redact := func(l string) string {
		if strings.Contains(l, "PRIVATE KEY") || (len(strings.TrimSpace(l)) > 40 && !strings.Contains(strings.TrimSpace(l), " ")) {
			return "<redacted>"
		}
		return l
	}
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: files %q, live %q (%d and %d lines)", i+1, redact(x), redact(y), len(al), len(bl))
		}
	}
	return "no line differs"
}
