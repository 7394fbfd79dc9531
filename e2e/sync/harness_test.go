// Package sync_test runs kubectl-kongdb's sync and diff end to end: the real command on real
// emulator nodes (the kong-emulator binary) on a real PostgreSQL, with every Admin API write
// counted by a reverse proxy in front of the node.
package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// node is one running emulator process.
type node struct {
	URL, ProxyURL string
	cmd           *exec.Cmd
	done          chan struct{}
	log           *bytes.Buffer
}

// kill ends the node at once (SIGKILL), as a crashed Kong.
func (n *node) kill() {
	_ = n.cmd.Process.Kill()
	<-n.done
}

// startNode runs `kong start` on db (bootstrapping it first, which is a no-op the second time),
// with extra settings appended to the environment.
func startNode(t testing.TB, db pgtest.Database, extra ...string) *node {
	t.Helper()
	env := append(nodeEnv(t), db.Env()...)
	env = append(env, extra...)
	boot := exec.Command(emutest.Binary(t), "migrations", "bootstrap")
	boot.Env = env
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("kong migrations bootstrap: %v: %s", err, out)
	}
	return launch(t, env, "KONG_ADMIN_LISTEN")
}

// nodeEnv is every node's environment: its own prefix and free ports.
func nodeEnv(t testing.TB) []string {
	return append(os.Environ(), "KONG_ADMIN_LISTEN=127.0.0.1:"+fmt.Sprint(emutest.FreePort(t)), "KONG_PREFIX="+t.TempDir(),
		"KONG_LOG_LEVEL=warn", "KONG_STATUS_LISTEN=off",
		"KONG_PROXY_LISTEN=127.0.0.1:"+fmt.Sprint(emutest.FreePort(t)))
}

// launch runs `kong start` with env (the last setting of a name wins, as in a shell) and waits
// until the listener named by ready answers /status.
func launch(t testing.TB, env []string, ready string) *node {
	t.Helper()
	n := &node{log: &bytes.Buffer{}, done: make(chan struct{})}
	readyURL := ""
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		switch {
		case k == "KONG_ADMIN_LISTEN":
			n.URL = "http://" + v
		case k == "KONG_PROXY_LISTEN":
			n.ProxyURL = "http://" + v
		}
		if k == ready {
			readyURL = "http://" + v + "/status"
		}
	}
	n.cmd = exec.Command(emutest.Binary(t), "start")
	n.cmd.Env = env
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("kong start: %v", err)
	}
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	t.Cleanup(func() {
		_ = n.cmd.Process.Signal(os.Interrupt)
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
			n.kill()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(readyURL); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return n
			}
		}
		select {
		case <-n.done:
			t.Fatalf("kong start exited: %s", n.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("node did not answer on %s: %s", readyURL, n.log)
	return nil
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
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
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
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, u, raw, err)
		}
	}
	return resp.StatusCode
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
