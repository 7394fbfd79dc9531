package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

// clusterTLS is a shared-mode cluster certificate as `kong hybrid
// gen_cert` makes it.
func clusterTLS(tb testing.TB) *TLS {
	tb.Helper()
	p, err := pki.ClusterCert()
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM)
	if err != nil {
		tb.Fatal(err)
	}
	return &TLS{Cert: cert}
}

// startCP serves a control plane on a TLS listener until the test ends and
// returns its address.
func startCP(tb testing.TB, st DataPlaneStore, certs *TLS, log *slog.Logger, edit ...func(*ControlPlaneOptions)) (*ControlPlane, string) {
	tb.Helper()
	o := ControlPlaneOptions{Version: "3.9.3",
		Plugins:    map[string]string{"acl": "3.9.3", "cors": "3.9.3", "key-auth": "3.9.3"},
		PurgeDelay: time.Hour, MaxPayload: 64 << 20, Log: log}
	for _, e := range edit {
		e(&o)
	}
	cp := NewControlPlane(st, o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: cp, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	background(tb, cp.Run)
	serving := make(chan struct{})
	go func() { defer close(serving); _ = srv.Serve(tls.NewListener(ln, certs.ServerConfig(log))) }()
	tb.Cleanup(func() { _ = srv.Close(); <-serving })
	return cp, ln.Addr().String()
}

// startDP runs a data plane towards addr until the test ends; edit may
// change its options (version, plugins) first.
func startDP(tb testing.TB, addr string, certs *TLS, a Applier, edit func(*DataPlaneOptions)) *DataPlane {
	tb.Helper()
	o := DataPlaneOptions{ControlPlane: addr, TLS: certs.ClientConfig(quiet, addr),
		NodeID: "9f2a4e6c-0000-4000-8000-000000000001", Hostname: "dp", Version: "3.9.3",
		Plugins: []PluginInfo{{Name: "acl", Version: "3.9.3"}, {Name: "cors", Version: "3.9.3"}, {Name: "key-auth", Version: "3.9.3"}},
		Prefix:  tb.TempDir(), MaxPayload: 64 << 20, Retry: func() time.Duration { return 100 * time.Millisecond }, Log: quiet}
	if edit != nil {
		edit(&o)
	}
	dp, err := NewDataPlane(o, a)
	if err != nil {
		tb.Fatal(err)
	}
	background(tb, dp.Run)
	return dp
}

// dataPlaneRow reads the one clustering_data_planes row.
func dataPlaneRow(tb testing.TB, st interface {
	DataPlanes(ctx context.Context, size int, offset string) ([]json.RawMessage, string, error)
}) map[string]any {
	tb.Helper()
	rows, _, err := st.DataPlanes(context.Background(), 10, "")
	if err != nil {
		tb.Fatal(err)
	}
	if len(rows) != 1 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(rows[0], &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestControlPlaneRecordsIncompatibleDataPlanes(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*DataPlaneOptions)
		status string
	}{
		{"newer minor version", func(o *DataPlaneOptions) { o.Version = "3.10.0" }, SyncKongVersionIncompatible},
		{"other major version", func(o *DataPlaneOptions) { o.Version = "2.8.4" }, SyncKongVersionIncompatible},
		{"configured plugin missing", func(o *DataPlaneOptions) { o.Plugins = o.Plugins[1:] }, SyncPluginSetIncompatible},
		{"configured plugin newer", func(o *DataPlaneOptions) { o.Plugins[0].Version = "3.10.0" }, SyncPluginVersionIncompatible},
		{"older minor is fine", func(o *DataPlaneOptions) { o.Version = "3.8.1" }, SyncNormal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStores(t, 1)[0]
			insert(t, st, "plugins", map[string]any{"name": "acl", "config": map[string]any{"allow": []any{"a"}}})
			certs := clusterTLS(t)
			_, addr := startCP(t, st, certs, quiet)
			dp := startDP(t, addr, certs, &holder{}, tt.edit)
			var row map[string]any
			waitUntil(t, 20*time.Second, "data plane recorded", func() bool {
				row = dataPlaneRow(t, st)
				return row != nil && row["sync_status"] == tt.status
			})
			configured := dp.Hash() != EmptyHash
			if tt.status == SyncNormal {
				waitUntil(t, 20*time.Second, "configuration applied", func() bool { return dp.Hash() != EmptyHash })
			} else if configured {
				t.Errorf("data plane with sync_status %s was sent the configuration (%s)", tt.status, dp.Hash())
			}
		})
	}
}

// Shared mode on the control plane's side: a client that accepts the
// control plane but presents another certificate is refused before any
// websocket exchange, and the control plane logs why.
func TestControlPlaneRefusesAForeignClientCertificate(t *testing.T) {
	st := openStores(t, 1)[0]
	certs := clusterTLS(t)
	var log syncLog
	_, addr := startCP(t, st, certs, slog.New(slog.NewTextHandler(&log, nil)))
	foreign := clusterTLS(t).Cert
	cfg := certs.ClientConfig(quiet, addr)
	cfg.Certificates = []tls.Certificate{foreign}
	conn, err := tls.Dial("tcp", addr, cfg)
	if err == nil {
		// TLS 1.3 clients finish before the server has checked them; the
		// refusal arrives on the first read.
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "bad certificate") {
		t.Errorf("foreign client got %v, want a bad certificate alert", err)
	}
	waitUntil(t, 5*time.Second, "refusal logged", func() bool {
		return strings.Contains(log.String(), "peer certificate is not the cluster certificate")
	})
	if row := dataPlaneRow(t, st); row != nil {
		t.Errorf("refused client recorded as data plane: %v", row)
	}
}

type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func slogTo(l *syncLog) *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// counter is an Applier counting the configurations applied.
type counter struct {
	mu sync.Mutex
	n  int
	e  Entities
}

func (c *counter) Apply(e Entities) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.e = c.n+1, e
	return nil
}

func (c *counter) state() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, len(c.e["services"])
}

// Kong's push_config_loop: the first change after a quiet spell is pushed
// at once; changes during the following db_update_frequency go out as one.
func TestControlPlaneCoalescesChangesWithinTheUpdateFrequency(t *testing.T) {
	st := openStores(t, 1)[0]
	certs := clusterTLS(t)
	cp, addr := startCP(t, st, certs, quiet, func(o *ControlPlaneOptions) { o.Coalesce = 3 * time.Second })
	c := &counter{}
	dp := startDP(t, addr, certs, c, nil)
	waitUntil(t, 20*time.Second, "initial configuration", func() bool { return dp.Hash() != EmptyHash })

	insert(t, st, "services", map[string]any{"name": "s0", "host": "example.com"})
	cp.Changed()
	waitUntil(t, 20*time.Second, "first change pushed", func() bool { n, _ := c.state(); return n == 2 })
	for i := 1; i <= 4; i++ {
		insert(t, st, "services", map[string]any{"name": fmt.Sprintf("s%d", i), "host": "example.com"})
		cp.Changed()
	}
	waitUntil(t, 20*time.Second, "later changes pushed", func() bool { _, svcs := c.state(); return svcs == 5 })
	if n, _ := c.state(); n != 3 {
		t.Errorf("data plane applied %d configurations, want 3 (initial, first change, the other four as one)", n)
	}
}

// A data plane restarts with what it persisted, and an unreadable file
// makes it start empty rather than not at all.
func TestDataPlaneLoadsItsPersistedConfiguration(t *testing.T) {
	st := openStores(t, 1)[0]
	insert(t, st, "services", map[string]any{"name": "kept", "host": "example.com"})
	certs := clusterTLS(t)
	_, addr := startCP(t, st, certs, quiet)
	prefix := t.TempDir()
	first := startDP(t, addr, certs, &holder{}, func(o *DataPlaneOptions) { o.Prefix = prefix })
	waitUntil(t, 20*time.Second, "configured", func() bool { return first.Hash() != EmptyHash })
	// The configuration is served before it is persisted (an atomic rename): wait for the file,
	// or the restart below may read nothing (seen in a clean-clone CI run).
	waitUntil(t, 20*time.Second, "persisted", func() bool {
		_, err := os.Stat(filepath.Join(prefix, persistName))
		return err == nil
	})

	h := &holder{}
	again, err := NewDataPlane(DataPlaneOptions{Prefix: prefix, MaxPayload: 64 << 20, Log: quiet}, h)
	if err != nil {
		t.Fatal(err)
	}
	if again.Hash() != first.Hash() || len(h.e["services"]) != 1 {
		t.Errorf("restarted data plane serves %s with %d services, want %s with 1", again.Hash(), len(h.e["services"]), first.Hash())
	}

	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, persistName), []byte("not gzip"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty, err := NewDataPlane(DataPlaneOptions{Prefix: broken, MaxPayload: 64 << 20, Log: quiet}, &holder{})
	if err != nil {
		t.Fatalf("data plane with an unreadable file refused to start: %v", err)
	}
	if empty.Hash() != EmptyHash {
		t.Errorf("data plane with an unreadable file serves %s, want nothing", empty.Hash())
	}
}
