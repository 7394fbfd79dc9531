package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
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
func startCP(tb testing.TB, st DataPlaneStore, certs *TLS, log *slog.Logger) (*ControlPlane, string) {
	tb.Helper()
	cp := NewControlPlane(st, ControlPlaneOptions{Version: "3.9.3",
		Plugins:    map[string]string{"acl": "3.9.3", "cors": "3.9.3", "key-auth": "3.9.3"},
		PurgeDelay: time.Hour, MaxPayload: 64 << 20, Log: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: cp, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = srv.Serve(tls.NewListener(ln, certs.ServerConfig(log))) }()
	go func() { defer wg.Done(); _ = cp.Run(ctx) }()
	tb.Cleanup(func() { cancel(); _ = srv.Close(); wg.Wait() })
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = dp.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
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
