package emutest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

// Node is one running emulator process: `kong start` on a database of its own.
type Node struct {
	// URL is the Admin API, ProxyURL the proxy.
	URL, ProxyURL string
	// Log is what the process printed.
	Log  *Buffer
	cmd  *exec.Cmd
	done chan struct{}
}

// Kill ends the node at once (SIGKILL), as a crashed Kong.
func (n *Node) Kill() {
	_ = n.cmd.Process.Kill()
	<-n.done
}

// StartNode runs `kong start` on db (bootstrapping it first, which is a no-op the second
// time), with extra settings appended to the environment; the node stops with the test.
func StartNode(tb testing.TB, db pgtest.Database, extra ...string) *Node {
	tb.Helper()
	env := append(NodeEnv(tb), db.Env()...)
	env = append(env, extra...)
	boot := exec.Command(Binary(tb), "migrations", "bootstrap")
	boot.Env = env
	if out, err := boot.CombinedOutput(); err != nil {
		tb.Fatalf("kong migrations bootstrap: %v: %s", err, out)
	}
	return Launch(tb, env, "KONG_ADMIN_LISTEN")
}

// NodeEnv is every node's environment: its own prefix and free ports.
func NodeEnv(tb testing.TB) []string {
	return append(os.Environ(), "KONG_ADMIN_LISTEN=127.0.0.1:"+fmt.Sprint(FreePort(tb)), "KONG_PREFIX="+tb.TempDir(),
		"KONG_LOG_LEVEL=warn", "KONG_STATUS_LISTEN=off",
		"KONG_PROXY_LISTEN=127.0.0.1:"+fmt.Sprint(FreePort(tb)))
}

// Launch runs `kong start` with env (the last setting of a name wins, as in a shell) and waits
// until the listener named by ready answers /status.
func Launch(tb testing.TB, env []string, ready string) *Node {
	tb.Helper()
	n := &Node{Log: &Buffer{}, done: make(chan struct{})}
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
	n.cmd = exec.Command(Binary(tb), "start")
	n.cmd.Env = env
	n.cmd.Stdout, n.cmd.Stderr = n.Log, n.Log
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		tb.Fatalf("kong start: %v", err)
	}
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	tb.Cleanup(func() {
		_ = n.cmd.Process.Signal(os.Interrupt)
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
			n.Kill()
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
			tb.Fatalf("kong start exited: %s", n.Log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	tb.Fatalf("node did not answer on %s: %s", readyURL, n.Log)
	return nil
}

// Request sends method to url with a JSON body (none when empty), decodes the answer into out
// when given, and returns the status code; a request that cannot be sent fails the test.
func Request(t testing.TB, method, url, body string, out any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode
}
