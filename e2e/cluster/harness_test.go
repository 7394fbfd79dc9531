// Package cluster tests emulator clusters end to end: real kong-emulator
// processes on a real PostgreSQL, talking over real sockets, in
// traditional mode (cluster_events) and hybrid mode (CP/DP websocket).
package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// node is one kong-emulator process.
type node struct {
	name      string
	AdminURL  string // empty on a data plane
	StatusURL string
	ProxyURL  string
	Env       []string
	Log       *emutest.Buffer
	cmd       *exec.Cmd
	done      chan struct{}
}

// Stop ends the process (SIGTERM, SIGKILL after 10 s) and waits for it.
func (n *node) Stop(t testing.TB) {
	t.Helper()
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	n.cmd = nil
}

// Kill ends the process at once, as a crash would.
func (n *node) Kill(t testing.TB) {
	t.Helper()
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	<-n.done
	n.cmd = nil
}

// start runs `kong start` with env and waits until its Status API answers.
func start(t testing.TB, name string, env []string) *node {
	t.Helper()
	n := &node{name: name, Env: env, Log: &emutest.Buffer{}}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "KONG_ADMIN_LISTEN":
			n.AdminURL = "http://" + strings.Fields(v)[0]
		case "KONG_STATUS_LISTEN":
			n.StatusURL = "http://" + strings.Fields(v)[0]
		case "KONG_PROXY_LISTEN":
			n.ProxyURL = "http://" + strings.Fields(v)[0]
		}
	}
	if strings.Contains(strings.Join(env, "\n"), "KONG_ROLE=data_plane") {
		n.AdminURL = ""
	}
	n.restart(t)
	return n
}

func (n *node) restart(t testing.TB) {
	t.Helper()
	cmd := exec.Command(emutest.Binary(t), "start")
	cmd.Env = n.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Stdout, cmd.Stderr = n.Log, n.Log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", n.name, err)
	}
	n.cmd, n.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(n.done) }()
	t.Cleanup(func() { n.Stop(t) })
	waitFor(t, 30*time.Second, n.name+" status API", func() error {
		select {
		case <-n.done:
			t.Fatalf("%s exited; log:\n%s", n.name, n.Log.String())
		default:
		}
		_, err := getJSON(n.StatusURL + "/status")
		return err
	})
}

// baseEnv is the environment every node shares, on free ports.
func baseEnv(t testing.TB) []string {
	t.Helper()
	return append(os.Environ(), "KONG_PREFIX="+t.TempDir(), "KONG_LOG_LEVEL=info",
		"KONG_STATUS_LISTEN="+freeAddr(t), "KONG_ADMIN_LISTEN="+freeAddr(t), "KONG_PROXY_LISTEN="+freeAddr(t))
}

// bootstrap runs `kong migrations bootstrap` on db.
func bootstrap(t testing.TB, db pgtest.Database) {
	t.Helper()
	cmd := exec.Command(emutest.Binary(t), "migrations", "bootstrap")
	cmd.Env = append(os.Environ(), db.Env()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kong migrations bootstrap: %v: %s", err, out)
	}
}

// clusterCert writes a `kong hybrid gen_cert` pair and returns the
// certificate as PEM text and the key as a file path, so both forms of
// the settings are exercised.
func clusterCert(t testing.TB) (certPEM, keyPath string) {
	t.Helper()
	p, err := pki.ClusterCert()
	if err != nil {
		t.Fatal(err)
	}
	keyPath = filepath.Join(t.TempDir(), "cluster.key")
	if err := os.WriteFile(keyPath, p.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return string(p.CertPEM), keyPath
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls check every 50 ms until it returns nil or the deadline
// passes (then the test fails with the last error).
func waitFor(t testing.TB, d time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v: %v", what, d, err)
}

func getJSON(url string) (map[string]any, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("GET %s: %w: %s", url, err, b)
	}
	return m, nil
}

// post writes an entity through an Admin API and returns it.
func post(t testing.TB, url string, body map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return m
}

// configHash is a node's /status configuration_hash.
func configHash(n *node) (string, error) {
	st, err := getJSON(n.StatusURL + "/status")
	if err != nil {
		return "", err
	}
	h, _ := st["configuration_hash"].(string)
	return h, nil
}

// backend is an upstream that answers 200 with the path it received.
func backend(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "backend "+r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// proxied reports whether a node's proxy routes path to the backend.
func proxied(n *node, path string) error {
	resp, err := http.Get(n.ProxyURL + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(b), "backend ") {
		return fmt.Errorf("%s proxy %s: %d %s", n.name, path, resp.StatusCode, b)
	}
	return nil
}

// health runs `kong health` with a node's environment.
func health(t testing.TB, n *node) error {
	t.Helper()
	cmd := exec.Command(emutest.Binary(t), "health")
	cmd.Env = n.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}
