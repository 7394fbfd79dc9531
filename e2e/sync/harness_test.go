// Package sync_test runs kubectl-kongdb's sync and diff end to end: the real command on real
// emulator nodes (the kong-emulator binary) on a real PostgreSQL, with every Admin API write
// counted by a reverse proxy in front of the node.
package sync_test

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
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// node is one running emulator process (emutest.Node).
type node = emutest.Node

// startNode runs `kong start` on db with extra settings (emutest.StartNode).
func startNode(t testing.TB, db pgtest.Database, extra ...string) *node {
	t.Helper()
	return emutest.StartNode(t, db, extra...)
}

// counter is a reverse proxy in front of a node that counts the writes passing through. The
// sync lock's own writes (its marker consumer) are counted apart, in locks.
type counter struct {
	URL    string
	writes atomic.Int64
	locks  atomic.Int64
	// all counts every request, reads included.
	all atomic.Int64
	mu  sync.Mutex
	log []string
}

func countWrites(t testing.TB, target string) *counter {
	t.Helper()
	c := &counter{}
	c.URL = interpose(t, target, func(r *http.Request) {
		c.all.Add(1)
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions || isSchemaCheck(r) {
			return
		}
		if isLockWrite(r) {
			c.locks.Add(1)
			return
		}
		c.writes.Add(1)
		c.mu.Lock()
		c.log = append(c.log, r.Method+" "+r.URL.Path)
		c.mu.Unlock()
	})
	return c
}

// interpose serves a reverse proxy to target that calls before with each request, then
// forwards it, and returns the proxy's URL.
func interpose(t testing.TB, target string, before func(*http.Request)) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before(r)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// isLockWrite tells the sync's own bookkeeping from entity writes: the lock's marker consumer
// (created with the lock tag under a fresh ID, then renewed and deleted by that ID; its epoch
// consumer, PUT by username) and the sync marker's route and plugin (tagged kongdb-sync-marker).
func isLockWrite(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/consumers/kongdb-sync-") {
		return true
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/consumers/"); ok {
		if _, lock := lockIDs.Load(id); lock {
			return true
		}
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !bytes.Contains(body, []byte(`"kongdb-sync-lock"`)) {
		return bytes.Contains(body, []byte(`"kongdb-sync-marker"`))
	}
	var m struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &m) == nil && m.ID != "" {
		lockIDs.Store(m.ID, true)
	}
	return true
}

// isSchemaCheck tells sync's preflight (POST /schemas/{entity}/validate, which Kong answers
// without storing anything) from writes.
func isSchemaCheck(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/schemas/") && strings.HasSuffix(r.URL.Path, "/validate")
}

// lockIDs are the IDs lock markers were created under, seen by isLockWrite or made by a test.
var lockIDs sync.Map

// reset zeroes the count and returns the writes seen so far.
func (c *counter) reset() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes.Store(0)
	c.locks.Store(0)
	out := c.log
	c.log = nil
	return out
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// run runs kongdb with args in-process, as main does, with a schema cache of the test's own.
func run(t testing.TB, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	args = append([]string{"kongdb"}, args...)
	code := cli.Main(args, streams)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// fixture is a Kong node on a fresh database with a write counter in front of it.
type fixture struct {
	db    pgtest.Database
	node  *node
	kong  *counter
	cache string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := pgtest.NewDatabase(t)
	n := startNode(t, db)
	return &fixture{db: db, node: n, kong: countWrites(t, n.URL), cache: t.TempDir()}
}

// sync runs sync (or diff, when args start with "diff") against the fixture's Kong.
func (f *fixture) cmd(t testing.TB, verb string, args ...string) result {
	t.Helper()
	all := append([]string{verb, "--kong-admin-url", f.kong.URL, "--schema-cache-dir", f.cache}, args...)
	return run(t, all...)
}

// get reads one Admin API path directly from the node.
func (f *fixture) get(t *testing.T, path string, out any) int {
	t.Helper()
	return request(t, http.MethodGet, f.node.URL+path, "", out)
}

func request(t *testing.T, method, u, body string, out any) int {
	return emutest.Request(t, method, u, body, out)
}

// list returns every entity of a collection but the sync marker's (kongdb's bookkeeping).
func (f *fixture) list(t *testing.T, path string) []map[string]any {
	t.Helper()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	if code := f.get(t, path+"?size=1000", &page); code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, code)
	}
	return slices.DeleteFunc(page.Data, func(e map[string]any) bool {
		tags, _ := e["tags"].([]any)
		return slices.Contains(tags, any("kongdb-sync-marker"))
	})
}

func writeFile(t testing.TB, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
