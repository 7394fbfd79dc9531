package apply

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

// recorder is an HTTP endpoint that answers per path and records the order of requests.
type recorder struct {
	mu     sync.Mutex
	seen   []string
	answer func(method, path string, n int) int
	counts map[string]int
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	if rec.counts == nil {
		rec.counts = map[string]int{}
	}
	rec.counts[r.URL.Path]++
	n := rec.counts[r.URL.Path]
	rec.seen = append(rec.seen, r.Method+" "+r.URL.Path)
	rec.mu.Unlock()
	status := http.StatusCreated
	if rec.answer != nil {
		status = rec.answer(r.Method, r.URL.Path, n)
	}
	w.WriteHeader(status)
	if status >= 400 {
		_, _ = w.Write([]byte(`{"message":"schema violation (config.bogus: unknown field)"}`))
	} else {
		_, _ = w.Write([]byte(`{}`))
	}
}

func (rec *recorder) index(req string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, s := range rec.seen {
		if s == req {
			return i
		}
	}
	return -1
}

func nodes(t *testing.T, urls ...string) *Pool {
	t.Helper()
	cl, err := admin.Connect(t.Context(), admin.Config{Timeout: 5 * time.Second}, admin.StaticEndpoints(urls))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return NewPool(cl.Nodes)
}

// kong serves / like a traditional node, and everything else through rec.
func kong(t *testing.T, rec http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			_, _ = w.Write([]byte(`{"version":"3.9.1","configuration":{"database":"postgres","role":"traditional"}}`))
			return
		}
		rec.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// chain is service → route → plugin, plus an unrelated upstream.
func chain() *plan.Plan {
	ops := []*plan.Op{
		{Action: plan.Create, Kind: plan.KindService, Name: "svc", Method: "POST", Path: "/services"},
		{Action: plan.Create, Kind: plan.KindRoute, Name: "route", Method: "POST", Path: "/routes", DependsOn: []int{0}},
		{Action: plan.Create, Kind: plan.KindPlugin, Name: "plugin", Method: "POST", Path: "/plugins", DependsOn: []int{1}},
		{Action: plan.Create, Kind: plan.KindUpstream, Name: "up", Method: "POST", Path: "/upstreams"},
	}
	for i, op := range ops {
		op.Index = i
		op.Body = map[string]any{"name": op.Name}
	}
	return &plan.Plan{Ops: ops}
}

func statuses(o *Outcome) string {
	var s []string
	for _, r := range o.Results {
		s = append(s, r.Op.Name+"="+string(r.Status))
	}
	return strings.Join(s, " ")
}

func TestParentsBeforeChildren(t *testing.T) {
	rec := &recorder{}
	pool := nodes(t, kong(t, rec).URL)
	out := Run(context.Background(), chain(), pool, Options{Concurrency: 4})
	if out.Failed() {
		t.Fatalf("failed: %s", statuses(out))
	}
	if !(rec.index("POST /services") < rec.index("POST /routes") && rec.index("POST /routes") < rec.index("POST /plugins")) {
		t.Fatalf("order: %v", rec.seen)
	}
	if out.Requests != 4 {
		t.Fatalf("%d requests, want 4", out.Requests)
	}
}

func TestFailureSkipsOnlyDependents(t *testing.T) {
	rec := &recorder{answer: func(method, path string, _ int) int {
		if path == "/routes" {
			return http.StatusBadRequest
		}
		return http.StatusCreated
	}}
	out := Run(context.Background(), chain(), nodes(t, kong(t, rec).URL), Options{})
	if got := statuses(out); got != "svc=done route=failed plugin=skipped up=done" {
		t.Fatalf("statuses: %s", got)
	}
	if r := out.Results[1]; !strings.Contains(r.Error, "config.bogus") || r.HTTPStatus != 400 {
		t.Fatalf("failure does not carry Kong's body: %+v", r)
	}
	if r := out.Results[2]; r.Cause != 1 {
		t.Fatalf("skipped plugin names cause %d", r.Cause)
	}
	if rec.index("POST /plugins") != -1 {
		t.Fatal("a dependent of a failed op was sent")
	}
}

// TestRefusedOpIsNotSent checks an op pkg/preflight marked: it fails without a request, with
// the reason, and what depends on it is skipped, as after Kong's own refusal.
func TestRefusedOpIsNotSent(t *testing.T) {
	rec := &recorder{}
	p := chain()
	p.Ops[1].Refused = "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"
	out := Run(context.Background(), p, nodes(t, kong(t, rec).URL), Options{})
	if got := statuses(out); got != "svc=done route=failed plugin=skipped up=done" {
		t.Fatalf("statuses: %s", got)
	}
	if r := out.Results[1]; !strings.Contains(r.Error, "not sent") || !strings.Contains(r.Error, "strip_path") || r.Attempts != 0 {
		t.Fatalf("refused op: %+v", r)
	}
	if rec.index("POST /routes") != -1 || rec.index("POST /plugins") != -1 {
		t.Fatalf("a refused op or its dependent was sent: %v", rec.seen)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	rec := &recorder{answer: func(method, path string, n int) int {
		if path == "/services" && n < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusCreated
	}}
	out := Run(context.Background(), chain(), nodes(t, kong(t, rec).URL), Options{Backoff: time.Millisecond})
	if out.Failed() || out.Results[0].Attempts != 3 {
		t.Fatalf("statuses %s, attempts %d", statuses(out), out.Results[0].Attempts)
	}
}

func TestConnectionErrorFailsOverToAnotherNode(t *testing.T) {
	first, second := &recorder{}, &recorder{}
	a, b := kong(t, first), kong(t, second)
	pool := nodes(t, a.URL, b.URL)
	a.Close() // the node in use goes away after the topology was read
	out := Run(context.Background(), chain(), pool, Options{Backoff: time.Millisecond})
	if out.Failed() {
		t.Fatalf("failed: %s", statuses(out))
	}
	if len(out.Down) != 1 || out.Down[a.URL] == "" {
		t.Fatalf("down = %v", out.Down)
	}
	// The creates that met the broken connection were sent again to the live node; none was
	// lost.
	if n := len(second.seen); n != 4 {
		t.Fatalf("second node saw %d requests: %v", n, second.seen)
	}
}
