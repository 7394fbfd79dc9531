// Package validate_test runs `kongdb validate` end to end: the real command on a real
// emulator node (the kong-emulator binary) on a real PostgreSQL, with every Admin API request
// seen by a reverse proxy in front of the node, so that a write would be noticed.
package validate_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/pkg/cli"
	"github.com/kongdb/kubectl-kongdb/pkg/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// kong is an emulator node behind a proxy that counts writes (any request but a read or a
// POST /schemas/.../validate) and validations.
type kong struct {
	node              *emutest.Node
	URL               string
	writes, validates atomic.Int64
	mu                sync.Mutex
	// sent are the entity writes ("POST /routes"), without the sync's own lock and marker.
	sent []string
}

func startKong(t *testing.T) *kong {
	t.Helper()
	k := &kong{node: emutest.StartNode(t, pgtest.NewDatabase(t))}
	u, err := url.Parse(k.node.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/schemas/") && strings.HasSuffix(r.URL.Path, "/validate"):
			k.validates.Add(1)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			k.writes.Add(1)
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if !bytes.Contains(body, []byte("kongdb-sync-")) && !strings.HasPrefix(r.URL.Path, "/consumers/kongdb-sync-") {
				k.mu.Lock()
				k.sent = append(k.sent, r.Method+" "+r.URL.Path)
				k.mu.Unlock()
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	k.URL = srv.URL
	return k
}

// post writes to the node directly, past the counter: what someone else put in Kong.
func (k *kong) post(t *testing.T, path, body string) {
	t.Helper()
	resp, err := http.Post(k.node.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if raw, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, raw)
	}
}

// count is the number of entities of a collection in Kong.
func (k *kong) count(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get(k.node.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Data []any `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	return len(page.Data)
}

type result struct {
	code           int
	stdout, stderr string
}

// validate runs kongdb validate in-process, as main does, against k.
func (k *kong) validate(t *testing.T, manifests string, args ...string) result {
	t.Helper()
	return k.run(t, "validate", manifests, args...)
}

// run runs kongdb verb -f manifests in-process, as main does, against k.
func (k *kong) run(t *testing.T, verb, manifests string, args ...string) result {
	t.Helper()
	file := filepath.Join(t.TempDir(), "in.yaml")
	if err := os.WriteFile(file, []byte(manifests), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	all := append([]string{"kongdb", verb, "-f", file, "--kong-admin-url", k.URL,
		"--schema-cache-dir", t.TempDir()}, args...)
	code := cli.Main(all, streams)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// manifests are an echo Service behind an Ingress with a path and a rate-limiting KongPlugin,
// and a consumer alice with a key-auth key: the parts a case breaks are its arguments.
func manifests(path, minute, key string) string {
	return `apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: default
  annotations: {konghq.com/plugins: rl}
spec:
  ingressClassName: kong
  rules:
  - http:
      paths:
      - {path: "` + path + `", pathType: ImplementationSpecific, backend: {service: {name: echo, port: {number: 80}}}}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: rl, namespace: default}
plugin: rate-limiting
config: {minute: ` + minute + `, policy: local}
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata:
  name: alice
  namespace: default
  annotations: {kubernetes.io/ingress.class: kong}
username: alice
credentials: [alice-key]
---
apiVersion: v1
kind: Secret
metadata:
  name: alice-key
  namespace: default
  labels: {konghq.com/credential: key-auth}
stringData: {key: ` + key + `}
`
}

// TestValidateReportsWhatKongWouldRefuse: a KongPlugin config Kong's schema refuses, an Ingress
// path that is no valid regex and a key another consumer holds in Kong are each reported on
// their object and field, exit 1, without the key; the valid twins exit 0; nothing is written.
func TestValidateReportsWhatKongWouldRefuse(t *testing.T) {
	k := startKong(t)
	const heldKey = "bobs-shared-key-7f3a"
	k.post(t, "/consumers", `{"username":"bob"}`)
	k.post(t, "/consumers/bob/key-auth", `{"key":"`+heldKey+`"}`)
	entities := func() [4]int {
		return [4]int{k.count(t, "/services"), k.count(t, "/routes"), k.count(t, "/plugins"), k.count(t, "/consumers")}
	}
	before := entities()

	bad := k.validate(t, manifests("/~/a[", "-1", heldKey), "-o", "json")
	if bad.code != 1 {
		t.Fatalf("invalid manifests: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", bad.code, bad.stdout, bad.stderr)
	}
	var rep cli.ValidateReport
	if err := json.Unmarshal([]byte(bad.stdout), &rep); err != nil {
		t.Fatalf("-o json: %v\n%s", err, bad.stdout)
	}
	if !rep.KongChecked {
		t.Error("kongChecked false with a Kong given")
	}
	want := []struct{ object, field, problem string }{
		{"KongPlugin default/rl", "config.minute", ""},
		{"Ingress default/web", "paths", "invalid regex"},
		{"Secret default/alice-key", "data.key", `consumer "bob"`},
	}
	for _, w := range want {
		if !hasProblem(rep.Problems, w.object, w.field, w.problem) {
			t.Errorf("no problem on %s field %s (%q) in:\n%s", w.object, w.field, w.problem, bad.stdout)
		}
	}
	table := k.validate(t, manifests("/~/a[", "-1", heldKey))
	t.Logf("validate prints:\n%s%s", table.stdout, table.stderr)
	for _, out := range []string{bad.stdout, bad.stderr, table.stdout, table.stderr} {
		if strings.Contains(out, heldKey) {
			t.Errorf("the key is printed:\n%s", out)
		}
	}
	if table.code != 1 || !strings.Contains(table.stdout, "OBJECT") || !strings.Contains(table.stdout, "KongPlugin default/rl") {
		t.Errorf("table: exit %d\n%s%s", table.code, table.stdout, table.stderr)
	}

	good := k.validate(t, manifests("/~/a[0-9]+", "5", "alices-own-key"))
	if good.code != 0 {
		t.Fatalf("valid manifests: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", good.code, good.stdout, good.stderr)
	}
	if k.validates.Load() == 0 {
		t.Error("no /schemas/.../validate request reached Kong")
	}
	if n := k.writes.Load(); n != 0 {
		t.Errorf("validate wrote to Kong %d times", n)
	}
	if after := entities(); after != before {
		t.Errorf("Kong's entities changed: %v before, %v after", before, after)
	}
}

func hasProblem(ps []validate.Problem, object, field, problem string) bool {
	for _, p := range ps {
		if p.Object == object && strings.Contains(p.Field, field) && strings.Contains(p.Problem, problem) {
			return true
		}
	}
	return false
}

// sentTo reports whether an entity write to a path ending in suffix reached Kong.
func (k *kong) sentTo(suffix string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, w := range k.sent {
		if strings.HasSuffix(w, suffix) {
			return true
		}
	}
	return false
}

// TestSyncPreflight: sync runs validate's checks before writing. By default (block) a problem
// on an entity others depend on (a route its plugin needs) writes nothing at all; warn writes
// the rest and never sends what is at fault; a problem on a leaf (a plugin's config) is not
// sent by default while the rest is written; off sends it and Kong refuses it.
func TestSyncPreflight(t *testing.T) {
	k := startKong(t)
	badRoute := manifests("/~/a[", "5", "alices-own-key")

	blocked := k.run(t, "sync", badRoute)
	if blocked.code == 0 || !strings.Contains(blocked.stderr, "preflight: nothing written") ||
		!strings.Contains(blocked.stderr, "Ingress default/web") {
		t.Fatalf("block: exit %d\nstdout:\n%s\nstderr:\n%s", blocked.code, blocked.stdout, blocked.stderr)
	}
	if n := k.writes.Load(); n != 0 {
		t.Fatalf("block wrote to Kong %d times (%v)", n, k.sent)
	}

	warned := k.run(t, "sync", badRoute, "--preflight=warn")
	if warned.code != 2 || k.sentTo("/routes") || k.sentTo("/plugins") || !k.sentTo("/services") || !k.sentTo("/key-auth") {
		t.Fatalf("warn: exit %d, sent %v\nstdout:\n%s\nstderr:\n%s", warned.code, k.sent, warned.stdout, warned.stderr)
	}

	badPlugin := manifests("/~/a[0-9]+", "-1", "alices-own-key")
	leaf := k.run(t, "sync", badPlugin)
	if leaf.code != 2 || !k.sentTo("/routes") || k.sentTo("/plugins") ||
		!strings.Contains(leaf.stdout, "KongPlugin default/rl") || !strings.Contains(leaf.stdout, "config.minute") {
		t.Fatalf("a leaf at fault under block: exit %d, sent %v\nstdout:\n%s\nstderr:\n%s", leaf.code, k.sent, leaf.stdout, leaf.stderr)
	}

	off := k.run(t, "sync", badPlugin, "--preflight=off")
	if off.code != 2 || !k.sentTo("/plugins") {
		t.Fatalf("off: exit %d, sent %v\nstdout:\n%s\nstderr:\n%s", off.code, k.sent, off.stdout, off.stderr)
	}
}
