package proxy

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProxyRoutesToServiceAndAnswersKong404(t *testing.T) {
	backend := newEcho(t, "a")
	c := newConfig()
	c.service(t, "svc-a", backend, nil)
	c.route("11111111-1111-4111-8111-111111111111", "svc-a", map[string]any{"paths": []any{"/foo"}})
	_, front := startProxy(t, c.e, Options{})

	r := get(t, front.URL, "/foo/bar?x=1")
	if r.status != http.StatusOK || r.echo.Path != "/bar?x=1" {
		t.Fatalf("GET /foo/bar: status %d path %q", r.status, r.echo.Path)
	}
	if got := r.header.Get("Via"); got != "1.1 kong/3.9.3" {
		t.Errorf("response Via = %q", got)
	}
	if got := r.echo.Header.Get("Via"); got != "1.1 kong/3.9.3" {
		t.Errorf("upstream Via = %q", got)
	}

	r = get(t, front.URL, "/nothing")
	if r.status != http.StatusNotFound {
		t.Fatalf("GET /nothing: status %d", r.status)
	}
	want := regexp.MustCompile(`^\{\n  "message":"no Route matched with those values",\n  "request_id":"[0-9a-f]{32}"\n\}$`)
	if !want.Match(r.body) {
		t.Errorf("404 body %q", r.body)
	}
	if r.header.Get("Server") != "kong/3.9.3" || r.header.Get("X-Kong-Request-Id") == "" {
		t.Errorf("404 headers %v", r.header)
	}
}

func TestUpstreamRequestHeadersAsKong(t *testing.T) {
	backend := newEcho(t, "a")
	bh, bp := hostPort(t, backend.URL)
	c := newConfig()
	c.service(t, "s", backend, map[string]any{"path": "/base"})
	c.route(id1, "s", map[string]any{"paths": []any{"/strip"}})
	c.route(id2, "s", map[string]any{"paths": []any{"/keep"}, "strip_path": false, "preserve_host": true})
	_, front := startProxy(t, c.e, Options{})
	_, fp := hostPort(t, front.URL)

	r := get(t, front.URL, "/strip/a%20b?q=1", "Host", "Shop.Example:8000", "X-Forwarded-For", "10.1.1.1", "Via", "1.0 edge")
	h := r.echo.Header
	for name, want := range map[string]string{
		"X-Forwarded-For":    "10.1.1.1, 127.0.0.1",
		"X-Forwarded-Proto":  "http",
		"X-Forwarded-Host":   "shop.example",
		"X-Forwarded-Port":   strconv.Itoa(fp),
		"X-Forwarded-Path":   "/strip/a%20b",
		"X-Forwarded-Prefix": "/strip",
		"X-Real-Ip":          "127.0.0.1",
		"Via":                "1.0 edge, 1.1 kong/3.9.3",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("upstream %s = %q, want %q", name, got, want)
		}
	}
	if r.echo.Path != "/base/a%20b?q=1" || r.echo.Host != bh+":"+strconv.Itoa(bp) || h.Get("X-Kong-Request-Id") != r.header.Get("X-Kong-Request-Id") {
		t.Errorf("upstream path %q host %q request id %q", r.echo.Path, r.echo.Host, h.Get("X-Kong-Request-Id"))
	}
	if h.Get("User-Agent") != "Go-http-client/1.1" {
		t.Errorf("User-Agent %q: the client's must pass unchanged", h.Get("User-Agent"))
	}

	r = get(t, front.URL, "/keep/x", "Host", "Shop.Example:8000")
	if r.echo.Host != "Shop.Example:8000" || r.echo.Path != "/base/keep/x" || r.echo.Header.Get("X-Forwarded-Prefix") != "" {
		t.Errorf("preserve_host, no strip: host %q path %q prefix %q", r.echo.Host, r.echo.Path, r.echo.Header.Get("X-Forwarded-Prefix"))
	}
}

func TestRetriesOnRefusedConnectionAndTimeouts(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	alive := newEcho(t, "alive")
	_, ap := hostPort(t, alive.URL)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; the proxy gives up first
	}))
	t.Cleanup(slow.Close)

	c := newConfig()
	c.add("upstreams", map[string]any{"id": "u", "name": "pool", "algorithm": "least-connections"})
	c.add("targets", map[string]any{"id": "t1", "upstream": "u", "target": deadAddr})
	c.add("targets", map[string]any{"id": "t2", "upstream": "u", "target": "127.0.0.1:" + strconv.Itoa(ap)})
	c.add("services", map[string]any{"id": "pooled", "host": "pool", "retries": float64(1)})
	c.route(id1, "pooled", map[string]any{"paths": []any{"/pool"}})
	c.service(t, "slow", slow, map[string]any{"read_timeout": float64(200)})
	c.route(id2, "slow", map[string]any{"paths": []any{"/slow"}})
	c.add("services", map[string]any{"id": "grpc", "host": "127.0.0.1", "port": float64(ap), "protocol": "grpc"})
	c.route(id3, "grpc", map[string]any{"paths": []any{"/grpc"}, "protocols": []any{"grpc"}})
	var logs strings.Builder
	sn, err := Compile(c.e, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil)), Options{})
	s.Swap(sn)
	front := httptest.NewServer(s)
	t.Cleanup(front.Close)

	for i := range 4 { // the wheel alternates; every try on the dead target is retried on the live one
		if r := get(t, front.URL, "/pool"); r.status != http.StatusOK || r.echo.Name != "alive" {
			t.Fatalf("request %d: %d %q", i, r.status, r.body)
		}
	}
	r := get(t, front.URL, "/slow")
	if r.status != http.StatusGatewayTimeout || message(t, r.body) != "The upstream server is timing out" {
		t.Errorf("read timeout: %d %q", r.status, r.body)
	}
	r = get(t, front.URL, "/grpc")
	if r.status != http.StatusUnsupportedMediaType || message(t, r.body) != "Non-gRPC request matched gRPC route" {
		t.Errorf("grpc route, plain request: %d %q", r.status, r.body)
	}
	if got := strings.Count(logs.String(), "algorithm=least-connections"); got != 1 {
		t.Errorf("log says %d times that least-connections is balanced round-robin, want once:\n%s", got, logs.String())
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func TestErrorsFollowAcceptAndPassGlobalHeaderFilters(t *testing.T) {
	c := newConfig()
	c.add("plugins", map[string]any{"id": "p1", "name": "response-transformer", "config": map[string]any{
		"add": map[string]any{"headers": []any{"x-global:1"}}}})
	_, front := startProxy(t, c.e, Options{})

	r := get(t, front.URL, "/", "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if r.status != http.StatusNotFound || r.header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.Contains(string(r.body), "<p>no Route matched with those values.</p>") {
		t.Errorf("html 404: %d %v %q", r.status, r.header, r.body)
	}
	r = get(t, front.URL, "/", "Accept", "text/*;q=0.5, application/xml;q=0.9")
	if r.header.Get("Content-Type") != "application/xml; charset=utf-8" || !strings.Contains(string(r.body), "<message>no Route matched with those values</message>") {
		t.Errorf("xml 404: %v %q", r.header, r.body)
	}
	if r.header.Get("X-Global") != "1" {
		t.Errorf("a global response-transformer must run on the 404: %v", r.header)
	}
}

func TestTrustedClientsForwardedHeadersAndStreamRoutes(t *testing.T) {
	c := newConfig()
	c.service(t, "s", newEcho(t, "a"), nil)
	c.route(id1, "s", map[string]any{"paths": []any{"/secure"}, "protocols": []any{"https"}})
	c.add("routes", map[string]any{"id": id2, "protocols": []any{"tcp"}, "destinations": []any{map[string]any{"port": float64(9000)}},
		"service": map[string]any{"id": "s"}})
	trusted, err := ParseTrustedIPs([]string{"127.0.0.1", "::1/128", "unix:"})
	if err != nil {
		t.Fatal(err)
	}
	s, front := startProxy(t, c.e, Options{TrustedIPs: trusted})

	r := get(t, front.URL, "/secure", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "edge.example", "X-Forwarded-Prefix", "/edge")
	if r.status != http.StatusOK {
		t.Fatalf("https-only route behind a trusted proxy: %d %q", r.status, r.body)
	}
	if h := r.echo.Header; h.Get("X-Forwarded-Proto") != "https" || h.Get("X-Forwarded-Host") != "edge.example" || h.Get("X-Forwarded-Prefix") != "/edge" {
		t.Errorf("trusted forwarded headers not passed on: %v", h)
	}
	if got := s.Stats().StreamRoutes; got != 1 {
		t.Errorf("StreamRoutes = %d, want 1", got)
	}
	// A name that does not resolve is Kong's 503; checked on the error
	// mapping itself, since a test may not query a DNS server.
	x := &exchange{s: s, req: httptest.NewRequest(http.MethodGet, "/", nil), route: &route{id: id3}, requestID: "r", start: time.Now()}
	rec := httptest.NewRecorder()
	s.proxyError(rec, withExchange(x.req, x), &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "svc.internal", IsNotFound: true}})
	if rec.Code != http.StatusServiceUnavailable || message(t, rec.Body.Bytes()) != "name resolution failed" {
		t.Errorf("unresolvable service host: %d %q", rec.Code, rec.Body.Bytes())
	}
	if _, err := ParseTrustedIPs([]string{"10.0.0.0/33"}); err == nil || !strings.Contains(err.Error(), "10.0.0.0/33") {
		t.Errorf("bad trusted_ips error %v", err)
	}
}

// write_timeout bounds each write of the request to the upstream, as nginx's
// proxy_send_timeout: an upstream that accepts the connection but never reads
// stalls the proxy's writes once the socket buffers are full, and Kong
// answers 504 instead of waiting for the client to give up.
func TestWriteTimeoutBoundsSendingTheRequest(t *testing.T) {
	stuck, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stuck.Close() })
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := stuck.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn) // accepted, never read
			mu.Unlock()
		}
	}()
	_, port := hostPort(t, "http://"+stuck.Addr().String())
	c := newConfig()
	c.add("services", map[string]any{"id": "stuck", "host": "127.0.0.1", "port": float64(port),
		"write_timeout": float64(300), "read_timeout": float64(60000), "retries": float64(0)})
	c.route(id1, "stuck", map[string]any{"paths": []any{"/upload"}})
	sn, err := Compile(c.e, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	s.Swap(sn)
	front := httptest.NewServer(s)
	t.Cleanup(front.Close)
	// Cleanups run last-first: the held connections close before the front
	// server waits for its handlers, so a proxy stuck writing (the bug this
	// test catches) fails the test instead of hanging it.
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})

	// Far more than loopback socket buffers hold, so the proxy's writes block.
	body := strings.NewReader(strings.Repeat("x", 64<<20))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, front.URL+"/upload", body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the proxy did not answer while the upstream stalled its writes: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusGatewayTimeout || message(t, raw) != "The upstream server is timing out" {
		t.Errorf("write timeout: %d %q", resp.StatusCode, raw)
	}
}
