package admin

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

const rootBody = `{"version":"3.9.1","node_id":"n1","hostname":"h","configuration":{"database":"postgres","role":"traditional"}}`

// fakeKong answers / with root and lists from pages (path → pages of items); it records the
// headers of the last request.
type fakeKong struct {
	root  string
	pages map[string][][]map[string]any
	mu    sync.Mutex
	hdr   http.Header
}

func (k *fakeKong) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	k.hdr = r.Header.Clone()
	k.mu.Unlock()
	if r.URL.Path == "/" {
		_, _ = w.Write([]byte(k.root))
		return
	}
	pages := k.pages[r.URL.Path]
	i := 0
	if off := r.URL.Query().Get("offset"); off != "" {
		i = int(off[0] - '0')
	}
	body := map[string]any{"data": []any{}}
	if i < len(pages) {
		body["data"] = pages[i]
		if i+1 < len(pages) {
			body["offset"] = string(rune('0' + i + 1))
		}
	}
	_ = json.NewEncoder(w).Encode(body)
}

func writePEM(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.pem")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConnectOverTLSWithCAClientCertAndToken(t *testing.T) {
	server, err := pki.SelfSigned(pki.Options{CommonName: "localhost", ServerAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	client, err := pki.SelfSigned(pki.Options{CommonName: "kongdb"})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(server.CertPEM, server.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	clients := x509.NewCertPool()
	clients.AppendCertsFromPEM(client.CertPEM)
	k := &fakeKong{root: rootBody}
	srv := httptest.NewUnstartedServer(k)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: clients, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := StaticEndpoints{"https://localhost:" + port}
	ca, cert, key := writePEM(t, server.CertPEM), writePEM(t, client.CertPEM), writePEM(t, client.KeyPEM)

	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"CA and client certificate", Config{CACert: ca, ClientCert: cert, ClientKey: key, Token: "s3cret-token", Headers: []string{"X-Team: edge"}}, true},
		{"unknown CA", Config{ClientCert: cert, ClientKey: key, Token: "s3cret-token"}, false},
		{"no client certificate", Config{CACert: ca}, false},
		{"verification off", Config{InsecureSkipVerify: true, ClientCert: cert, ClientKey: key}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := Connect(t.Context(), c.cfg, url)
			if !c.ok {
				if err == nil {
					t.Fatal("connected")
				}
				if strings.Contains(err.Error(), "s3cret-token") {
					t.Fatalf("error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			if cl.Nodes[0].Version != "3.9.1" || cl.Nodes[0].Role != RoleTraditional {
				t.Fatalf("info = %+v", cl.Nodes[0].Info)
			}
			if c.cfg.Token != "" {
				k.mu.Lock()
				defer k.mu.Unlock()
				if k.hdr.Get(TokenHeader) != c.cfg.Token || k.hdr.Get("X-Team") != "edge" {
					t.Fatalf("headers sent: %v", k.hdr)
				}
			}
		})
	}
}

func TestConnectRefusesDBLessAndDataPlanes(t *testing.T) {
	for _, tc := range []struct{ root, want string }{
		{`{"version":"3.9.1","configuration":{"database":"off","role":"traditional"}}`, "DB-less"},
		{`{"version":"3.9.1","configuration":{"database":"off","role":"data_plane"}}`, "DB-less"},
		{`{"version":"3.9.1","configuration":{"database":"postgres","role":"data_plane"}}`, "data plane"},
	} {
		srv := httptest.NewServer(&fakeKong{root: tc.root})
		_, err := Connect(t.Context(), Config{}, StaticEndpoints{srv.URL})
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("root %s: error %v, want %q", tc.root, err, tc.want)
		}
	}
}

func TestConnectKeepsLiveNodes(t *testing.T) {
	live := httptest.NewServer(&fakeKong{root: rootBody})
	t.Cleanup(live.Close)
	dead := httptest.NewServer(&fakeKong{root: rootBody})
	dead.Close()
	cl, err := Connect(t.Context(), Config{}, StaticEndpoints{dead.URL, live.URL})
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.Nodes) != 1 || cl.Nodes[0].URL != live.URL || cl.Unreachable[dead.URL] == nil {
		t.Fatalf("nodes %v unreachable %v", cl.Nodes, cl.Unreachable)
	}
}

func TestReadStateFollowsPagesAndNests(t *testing.T) {
	tag := []any{"managed-by-kongdb"}
	svc := func(id string) map[string]any { return map[string]any{"id": id, "name": "s-" + id, "tags": tag} }
	k := &fakeKong{root: rootBody, pages: map[string][][]map[string]any{
		"/services": {{svc("1"), svc("2")}, {svc("3")}},
		"/routes": {{{"id": "r1", "name": "r1", "service": map[string]any{"id": "3"}, "tags": tag},
			{"id": "r2", "name": "orphan", "service": map[string]any{"id": "untagged"}, "tags": tag}}},
		"/upstreams":            {{{"id": "u1", "name": "u1", "tags": tag}}},
		"/upstreams/u1/targets": {{{"id": "t1", "target": "10.0.0.1:80", "tags": tag}, {"id": "t2", "target": "10.0.0.2:80"}}},
	}}
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	cl, err := Connect(t.Context(), Config{}, StaticEndpoints{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	s, notes, err := ReadState(t.Context(), cl.Nodes[0].Client, ReadOptions{Tag: "managed-by-kongdb"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Services) != 3 || len(s.Services[2].Routes) != 1 {
		t.Fatalf("services %d, routes of the third %d", len(s.Services), len(s.Services[2].Routes))
	}
	if len(s.Upstreams) != 1 || len(s.Upstreams[0].Targets) != 1 {
		t.Fatalf("untagged target read as ours: %+v", s.Upstreams)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "orphan") {
		t.Fatalf("notes = %v", notes)
	}
}

// TestConnectSaysWhenTheDatabaseIsDown: a node whose / fails with Kong's 500 is explained by its
// /status when that says the database is unreachable, and only then.
func TestConnectSaysWhenTheDatabaseIsDown(t *testing.T) {
	for _, reachable := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/status" {
				_ = json.NewEncoder(w).Encode(map[string]any{"database": map[string]any{"reachable": reachable}})
				return
			}
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"message":"An unexpected error occurred"}`))
		}))
		_, err := Connect(t.Context(), Config{}, StaticEndpoints{srv.URL})
		srv.Close()
		said := err != nil && strings.Contains(err.Error(), "cannot reach its database")
		if err == nil || !strings.Contains(err.Error(), "An unexpected error occurred") || said == reachable {
			t.Errorf("database reachable %v: error %v", reachable, err)
		}
	}
}
