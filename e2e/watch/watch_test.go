// Package watch_test runs `kongdb sync --watch` end to end: the program built from this tree
// as a subprocess, a real API server (envtest) as its cluster, and an emulator node on a real
// PostgreSQL as its Kong, with every Admin API write counted by a reverse proxy in front of
// the node. Every wait polls with a deadline; nothing is timed.
package watch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/internal/testenv"
)

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	kongdbtest.Remove()
	os.Exit(code)
}

// deadline bounds every wait for the watcher to act.
const deadline = 90 * time.Second

// kong is an emulator node on a fresh database.
type kong struct {
	URL string // the node's Admin API, bypassing every counter
}

func startKong(t *testing.T) *kong {
	t.Helper()
	db := pgtest.NewDatabase(t)
	admin := "127.0.0.1:" + strconv.Itoa(emutest.FreePort(t))
	env := append(os.Environ(), db.Env()...)
	env = append(env, "KONG_ADMIN_LISTEN="+admin, "KONG_PREFIX="+t.TempDir(), "KONG_LOG_LEVEL=warn", "KONG_STATUS_LISTEN=off",
		"KONG_PROXY_LISTEN=127.0.0.1:"+strconv.Itoa(emutest.FreePort(t)))
	boot := exec.Command(emutest.Binary(t), "migrations", "bootstrap")
	boot.Env = env
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("kong migrations bootstrap: %v: %s", err, out)
	}
	var log emutest.Buffer
	cmd := exec.Command(emutest.Binary(t), "start")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("kong start: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	k := &kong{URL: "http://" + admin}
	poll(t, "the node answers /status", func() (bool, string) {
		select {
		case <-done:
			t.Fatalf("kong start exited: %s", log.String())
		default:
		}
		resp, err := http.Get(k.URL + "/status")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return k
}

// list returns every entity of an Admin API collection but the sync marker's.
func (k *kong) list(t *testing.T, path string) []map[string]any {
	t.Helper()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	if code := k.do(t, http.MethodGet, path+"?size=1000", "", &page); code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, code)
	}
	out := page.Data[:0]
	for _, e := range page.Data {
		if !strings.Contains(fmt.Sprint(e["tags"]), "kongdb-sync-marker") {
			out = append(out, e)
		}
	}
	return out
}

func (k *kong) do(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	return emutest.Request(t, method, k.URL+path, body, out)
}

// route returns the route whose name holds the Ingress's namespace and name, or nil.
func (k *kong) route(t *testing.T, ns, ingress string) map[string]any {
	t.Helper()
	for _, r := range k.list(t, "/routes") {
		if name, _ := r["name"].(string); strings.HasPrefix(name, ns+"."+ingress+".") {
			return r
		}
	}
	return nil
}

// targets returns the targets of the upstream of a Service, as "ip:port".
func (k *kong) targets(t *testing.T, ns, svc string) []string {
	t.Helper()
	var out []string
	for _, u := range k.list(t, "/upstreams") {
		if u["name"] != fmt.Sprintf("%s.%s.80.svc", svc, ns) {
			continue
		}
		for _, tg := range k.list(t, "/upstreams/"+u["id"].(string)+"/targets") {
			out = append(out, tg["target"].(string))
		}
	}
	return out
}

// writes counts the writes passing through a reverse proxy to a node; the sync lock's and
// the sync marker's (kongdb's bookkeeping) are kept apart from entity writes.
type writes struct {
	URL      string
	mu       sync.Mutex
	entities []string
	all      int
}

func countWrites(t *testing.T, target string) *writes {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	w := &writes{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			w.mu.Lock()
			w.all++
			if !bookkeeping(r, body) {
				w.entities = append(w.entities, r.Method+" "+r.URL.Path)
			}
			w.mu.Unlock()
		}
		proxy.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.URL = srv.URL
	return w
}

// bookkeeping tells the sync lock (a consumer in Kong) and the sync marker (a route and
// plugin tagged kongdb-sync-marker) from the entities a sync writes.
func bookkeeping(r *http.Request, body []byte) bool {
	return strings.HasPrefix(r.URL.Path, "/consumers") || bytes.Contains(body, []byte("kongdb-sync-marker")) ||
		bytes.Contains(body, []byte("kongdb-sync-lock"))
}

// count is how many writes of any kind passed, bookkeeping included.
func (w *writes) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all
}

// take returns the entity writes so far and forgets them.
func (w *writes) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.entities
	w.entities = nil
	return out
}

// watcher is one `kongdb sync --watch` process.
type watcher struct {
	cmd    *exec.Cmd
	log    *emutest.Buffer
	health string
	done   chan struct{}
	err    error
}

// startWatcher runs `kongdb sync --watch` on namespace ns of env against adminURL.
func startWatcher(t *testing.T, env *testenv.Env, ns, adminURL string, extra ...string) *watcher {
	t.Helper()
	w := &watcher{log: &emutest.Buffer{}, done: make(chan struct{})}
	w.health = "127.0.0.1:" + strconv.Itoa(healthPort(t))
	args := append([]string{"sync", "--watch", "--kubeconfig", env.Kubeconfig, "-n", ns, "--lock-namespace", ns,
		"--kong-admin-url", adminURL, "--schema-cache-dir", t.TempDir(), "--health-probe-bind-address", w.health,
		// A test namespace holds a dozen entities: deleting one Ingress's service, route,
		// upstream and target is over the default 30%, which the delete budget tests prove.
		"--max-delete", "100%"}, extra...)
	w.cmd = exec.Command(kongdbtest.Binary(t), args...)
	w.cmd.Env = append(os.Environ(), "KONG_ADMIN_URL=", "KONG_ADMIN_TOKEN=")
	w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("kongdb sync --watch: %v", err)
	}
	go func() { w.err = w.cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		_ = w.cmd.Process.Signal(os.Interrupt)
		select {
		case <-w.done:
		case <-time.After(20 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.done
		}
		if t.Failed() {
			t.Logf("watcher log:\n%s", w.log.String())
		}
	})
	return w
}

// healthPort is a free port of the watch tests' range (23000-23999).
func healthPort(t *testing.T) int {
	t.Helper()
	for p := 23000 + os.Getpid()%500; p < 24000; p++ {
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			_ = l.Close()
			if !taken(p) {
				return p
			}
		}
	}
	t.Fatal("no free port in 23000-23999")
	return 0
}

var (
	portsMu sync.Mutex
	ports   = map[int]bool{}
)

func taken(p int) bool {
	portsMu.Lock()
	defer portsMu.Unlock()
	if ports[p] {
		return true
	}
	ports[p] = true
	return false
}

// ready is the watcher's /readyz body when it answers 200, else "".
func (w *watcher) ready() string {
	resp, err := http.Get("http://" + w.health + "/readyz")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return string(b)
}

func (w *watcher) waitRole(t *testing.T, role string) {
	t.Helper()
	poll(t, "the watcher is ready as "+role, func() (bool, string) {
		select {
		case <-w.done:
			t.Fatalf("the watcher exited: %v\n%s", w.err, w.log.String())
		default:
		}
		r := w.ready()
		return strings.Contains(r, "("+role+")"), r
	})
}

// stop interrupts the watcher and returns its exit code.
func (w *watcher) stop(t *testing.T) int {
	t.Helper()
	_ = w.cmd.Process.Signal(os.Interrupt)
	select {
	case <-w.done:
	case <-time.After(deadline):
		t.Fatalf("the watcher did not stop on SIGINT:\n%s", w.log.String())
	}
	var exit *exec.ExitError
	if errors.As(w.err, &exit) {
		return exit.ExitCode()
	}
	return 0
}

// poll calls cond until it holds or the deadline passes; last says where it stood.
func poll(t *testing.T, what string, cond func() (ok bool, last string)) {
	t.Helper()
	end := time.Now().Add(deadline)
	last := ""
	for time.Now().Before(end) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waited %s for %s; last: %s", deadline, what, last)
}

// cluster starts an API server of the test's own.
func cluster(t *testing.T) *testenv.Env {
	t.Helper()
	env, err := testenv.Start(context.Background())
	if err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	return env
}

const ingressClass = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: kong}
spec: {controller: ingress-controllers.konghq.com/kong}
`

// app is a Service with one endpoint at ip and an Ingress routing name.example.com to it.
func app(name, ip string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: %[1]s}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
%[3]s
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: %[1]s}
spec:
  ingressClassName: kong
  rules:
  - host: %[1]s.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: %[1]s, port: {number: 80}}}}
`, name, ip, endpointSlice(name, ip))
}

func endpointSlice(name, ip string) string {
	return fmt.Sprintf(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: %[1]s-x, labels: {kubernetes.io/service-name: %[1]s}}
addressType: IPv4
endpoints: [{addresses: ["%[2]s"], conditions: {ready: true}}]
ports: [{name: http, port: 8080, protocol: TCP}]
`, name, ip)
}

// apply creates, or updates, every object of a multi-document YAML in namespace ns
// (cluster-scoped kinds keep none).
func apply(t *testing.T, env *testenv.Env, ns, text string) {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			t.Fatalf("decode: %v", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetKind() != "IngressClass" {
			u.SetNamespace(ns)
		}
		err := env.Client.Create(t.Context(), &u)
		if apierrors.IsAlreadyExists(err) {
			var cur unstructured.Unstructured
			cur.SetGroupVersionKind(u.GroupVersionKind())
			if err = env.Client.Get(t.Context(), clientKey(u.GetNamespace(), u.GetName()), &cur); err == nil {
				u.SetResourceVersion(cur.GetResourceVersion())
				err = env.Client.Update(t.Context(), &u)
			}
		}
		if err != nil {
			t.Fatalf("apply %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}
