package proxy

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// echo is an upstream that answers with what it received, so tests can
// assert what the proxy sent.
type echoed struct {
	Method, Path, Host, Name string
	Header                   http.Header
}

func newEcho(t *testing.T, name string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, Path: r.RequestURI, Host: r.Host, Name: name, Header: r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func hostPort(t *testing.T, rawURL string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(strings.TrimPrefix(rawURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return h, port
}

// config builds Entities with a terse syntax for tests.
type config struct{ e Entities }

func newConfig() *config { return &config{e: Entities{}} }

func (c *config) add(kind string, m map[string]any) map[string]any {
	c.e[kind] = append(c.e[kind], m)
	return m
}

// service adds a service pointing at an httptest backend.
func (c *config) service(t *testing.T, id string, backend *httptest.Server, extra map[string]any) {
	t.Helper()
	h, p := hostPort(t, backend.URL)
	m := map[string]any{"id": id, "name": id, "protocol": "http", "host": h, "port": float64(p)}
	for k, v := range extra {
		m[k] = v
	}
	c.add("services", m)
}

func (c *config) route(id, svc string, fields map[string]any) {
	m := map[string]any{"id": id, "name": id, "service": map[string]any{"id": svc}}
	for k, v := range fields {
		m[k] = v
	}
	c.add("routes", m)
}

// startProxy compiles the configuration and serves it on a real socket.
func startProxy(t *testing.T, e Entities, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	sn, err := Compile(e, opts)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), opts)
	s.Swap(sn)
	front := httptest.NewServer(s)
	t.Cleanup(front.Close)
	return s, front
}

type reply struct {
	status int
	header http.Header
	body   []byte
	echo   echoed
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	rp := reply{status: resp.StatusCode, header: resp.Header, body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && resp.Header.Get("X-Kong-Upstream-Latency") != "" {
		if err := json.Unmarshal(b, &rp.echo); err != nil {
			t.Fatalf("decode echo %q: %v", b, err)
		}
	}
	return rp
}

func get(t *testing.T, base, path string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			req.Host = header[i+1]
			continue
		}
		req.Header.Add(header[i], header[i+1])
	}
	return do(t, req)
}

func message(t *testing.T, b []byte) string {
	t.Helper()
	var m struct{ Message string }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return m.Message
}

// doEcho sends a GET and decodes the echo whatever the response's content
// type.
func doEcho(t *testing.T, u string, h http.Header) echoed {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e echoed
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("decode echo: %v", err)
	}
	return e
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
