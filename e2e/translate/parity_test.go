// Package translate_test checks that kongdb translate gives the same output whether the objects
// come from manifests or from a real API server that stored them: the manifest reader's
// defaulting and the live reader's paging and conversion must agree.
package translate_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/internal/testenv"
	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// loadManifests reads the YAML documents of path with the test's namespace and class filled in.
func loadManifests(t *testing.T, path, ns, class string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	data = bytes.ReplaceAll(data, []byte("__NS__"), []byte(ns))
	data = bytes.ReplaceAll(data, []byte("__CLASS__"), []byte(class))
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

// translate runs the real command line and returns stdout, failing on a non-zero exit.
func translate(t *testing.T, args ...string) string {
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

	common := []string{"-n", ns, "--ingress-class", class, "--gateway-class-controller", "kongdb.test/" + class}
	for _, format := range []string{"deck", "json"} {
		t.Run(format, func(t *testing.T) {
			fromFiles := translate(t, append([]string{"-f", path, "-o", format}, common...)...)
			live := translate(t, append([]string{"--kubeconfig", env.Kubeconfig, "-o", format}, common...)...)
			if fromFiles != live {
				t.Errorf("output differs between files and the live cluster\n--- files\n%s\n--- live\n%s", fromFiles, live)
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
			} {
				if !strings.Contains(live, want) {
					t.Errorf("live output lacks %q:\n%s", want, live)
				}
			}
			if strings.Contains(live, "api.example.org") {
				t.Errorf("live output keeps api.example.org, which the route's listener (*.example.com) does not match")
			}
		})
	}
}
