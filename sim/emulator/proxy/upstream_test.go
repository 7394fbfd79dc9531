package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

func TestUpstreamTargetsWeightedRoundRobin(t *testing.T) {
	a, b := newEcho(t, "a"), newEcho(t, "b")
	_, pa := hostPort(t, a.URL)
	_, pb := hostPort(t, b.URL)
	c := newConfig()
	c.add("upstreams", map[string]any{"id": "u1", "name": "backend.upstream", "algorithm": "round-robin"})
	c.add("targets", map[string]any{"id": "t1", "upstream": map[string]any{"id": "u1"}, "target": fmt.Sprintf("127.0.0.1:%d", pa), "weight": float64(300)})
	c.add("targets", map[string]any{"id": "t2", "upstream": "u1", "target": fmt.Sprintf("127.0.0.1:%d", pb), "weight": float64(100)})
	c.add("targets", map[string]any{"id": "t3", "upstream": "u1", "target": "127.0.0.1:1", "weight": float64(0)})
	c.add("services", map[string]any{"id": "s", "host": "backend.upstream", "port": float64(80), "protocol": "http"})
	c.route(routeID, "s", map[string]any{"paths": []any{"/"}})
	_, front := startProxy(t, c.e, Options{})

	counts := map[string]int{}
	for range 8 { // two turns of the 3:1 wheel
		r := get(t, front.URL, "/")
		if r.status != http.StatusOK {
			t.Fatalf("status %d %q", r.status, r.body)
		}
		counts[r.echo.Name]++
		if want := fmt.Sprintf("127.0.0.1:%d", map[string]int{"a": pa, "b": pb}[r.echo.Name]); r.echo.Host != want {
			t.Errorf("Host header %q, want the target's %q", r.echo.Host, want)
		}
	}
	if counts["a"] != 6 || counts["b"] != 2 {
		t.Errorf("distribution %v, want a:6 b:2", counts)
	}
}

func TestKongErrorBodies(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := dead.Addr().(*net.TCPAddr).Port
	dead.Close() // nothing listens there any more: connection refused

	c := newConfig()
	c.add("services", map[string]any{"id": "down", "host": "127.0.0.1", "port": float64(deadPort), "retries": float64(2)})
	c.route(id1, "down", map[string]any{"paths": []any{"/down"}})
	c.add("upstreams", map[string]any{"id": "u", "name": "empty.upstream"})
	c.add("services", map[string]any{"id": "empty", "host": "empty.upstream", "port": float64(80)})
	c.route(id2, "empty", map[string]any{"paths": []any{"/empty"}})
	c.add("routes", map[string]any{"id": id3, "paths": []any{"/nosvc"}})
	c.service(t, "tls", newEcho(t, "a"), nil)
	c.route("e8fb37f1-102d-461e-9c51-6608a6bb8104", "tls", map[string]any{"paths": []any{"/secure"}, "protocols": []any{"https"}})
	c.route("e8fb37f1-102d-461e-9c51-6608a6bb8105", "tls", map[string]any{"paths": []any{"/moved"}, "protocols": []any{"https"},
		"https_redirect_status_code": float64(301)})
	_, front := startProxy(t, c.e, Options{})

	for _, tc := range []struct {
		path   string
		status int
		msg    string
	}{
		{"/down", 502, "An invalid response was received from the upstream server"},
		{"/empty", 503, "failure to get a peer from the ring-balancer"},
		{"/nosvc", 503, "no Service found with those values"},
		{"/secure", 426, "Please use HTTPS protocol"},
	} {
		r := get(t, front.URL, tc.path)
		if r.status != tc.status || message(t, r.body) != tc.msg {
			t.Errorf("%s: %d %q, want %d %q", tc.path, r.status, r.body, tc.status, tc.msg)
		}
	}
	r := get(t, front.URL, "/moved?a=1", "Host", "shop.example:8000")
	if r.status != 301 || r.header.Get("Location") != "https://shop.example/moved?a=1" {
		t.Errorf("https redirect: %d %v", r.status, r.header)
	}
}

func TestHTTPSSelectsCertificateBySNI(t *testing.T) {
	mk := func(name string) pki.Pair {
		p, err := pki.SelfSigned(pki.Options{CommonName: name, DNSNames: []string{name}, ServerAuth: true})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	exact, wild := mk("shop.example"), mk("*.wild.example")
	c := newConfig()
	c.add("certificates", map[string]any{"id": "c1", "cert": string(exact.CertPEM), "key": string(exact.KeyPEM)})
	c.add("certificates", map[string]any{"id": "c2", "cert": string(wild.CertPEM), "key": string(wild.KeyPEM)})
	c.add("snis", map[string]any{"id": "n1", "name": "shop.example", "certificate": map[string]any{"id": "c1"}})
	c.add("snis", map[string]any{"id": "n2", "name": "*.wild.example", "certificate": map[string]any{"id": "c2"}})
	c.service(t, "s", newEcho(t, "a"), nil)
	c.route(id1, "s", map[string]any{"paths": []any{"/"}, "protocols": []any{"https"}, "snis": []any{"shop.example"}})
	sn, err := Compile(c.e, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(discard(), Options{})
	s.Swap(sn)
	front := httptest.NewUnstartedServer(s)
	front.TLS = s.TLSConfig()
	front.Config.ErrorLog = log.New(io.Discard, "", 0) // the bare tls.Dial below ends without a request
	front.StartTLS()
	t.Cleanup(front.Close)

	for _, tc := range []struct {
		sni  string
		want []byte
	}{{"shop.example", exact.DER}, {"a.wild.example", wild.DER}} {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(map[string][]byte{"shop.example": exact.CertPEM, "a.wild.example": wild.CertPEM}[tc.sni])
		tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: tc.sni, RootCAs: pool}}
		req, _ := http.NewRequest(http.MethodGet, front.URL+"/", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("sni %s: %v", tc.sni, err)
		}
		resp.Body.Close()
		if got := resp.TLS.PeerCertificates[0].Raw; string(got) != string(tc.want) {
			t.Errorf("sni %s: served another certificate", tc.sni)
		}
		want := http.StatusOK
		if tc.sni != "shop.example" {
			want = http.StatusNotFound // the route's snis do not match
		}
		if resp.StatusCode != want {
			t.Errorf("sni %s: status %d, want %d", tc.sni, resp.StatusCode, want)
		}
		tr.CloseIdleConnections()
	}
	// An unknown SNI gets the default certificate.
	conn, err := tls.Dial("tcp", front.Listener.Addr().String(), &tls.Config{ServerName: "other.example", InsecureSkipVerify: true}) //nolint:gosec // inspecting the default cert
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if cn := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "localhost" {
		t.Errorf("default certificate CN %q", cn)
	}
}

// TestSwapUnderConcurrentLoad swaps between two snapshots while clients
// send requests: every answer comes whole from one snapshot (run with
// -race to check the swap itself).
func TestSwapUnderConcurrentLoad(t *testing.T) {
	a, b := newEcho(t, "a"), newEcho(t, "b")
	snap := func(backend *httptest.Server) *Snapshot {
		c := newConfig()
		c.service(t, "s", backend, nil)
		c.route(id1, "s", map[string]any{"paths": []any{"/"}})
		sn, err := Compile(c.e, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return sn
	}
	sa, sb := snap(a), snap(b)
	s := NewServer(discard(), Options{})
	s.Swap(sa)
	front := httptest.NewServer(s)
	t.Cleanup(front.Close)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				s.Swap(sb)
			} else {
				s.Swap(sa)
			}
		}
	}()
	seen := map[string]int{}
	var mu sync.Mutex
	var clients sync.WaitGroup
	for range 4 {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for range 50 {
				e := doEcho(t, front.URL+"/", http.Header{})
				mu.Lock()
				seen[e.Name]++
				mu.Unlock()
			}
		}()
	}
	clients.Wait()
	close(stop)
	wg.Wait()
	if seen["a"]+seen["b"] != 200 || len(seen) > 2 {
		t.Errorf("answers %v, want 200 from a or b", seen)
	}
}

// TestGRPCRouteProxiesOverHTTP2 sends a gRPC-shaped request (HTTP/2
// cleartext, application/grpc) through a grpc route to an h2c upstream:
// the upstream is reached over HTTP/2 and its trailers come back.
func TestGRPCRouteProxiesOverHTTP2(t *testing.T) {
	h2c := new(http.Protocols)
	h2c.SetUnencryptedHTTP2(true)
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status")
		w.Header().Set("X-Upstream-Proto", r.Proto)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte{0, 0, 0, 0, 0})
		w.Header().Set("Grpc-Status", "0")
	}))
	backend.Config.Protocols = h2c
	backend.Start()
	t.Cleanup(backend.Close)
	bh, bp := hostPort(t, backend.URL)

	c := newConfig()
	c.add("services", map[string]any{"id": "g", "protocol": "grpc", "host": bh, "port": float64(bp)})
	c.route(id1, "g", map[string]any{"paths": []any{"/pkg.Svc/"}, "protocols": []any{"grpc"}, "strip_path": false})
	sn, err := Compile(c.e, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(discard(), Options{})
	s.Swap(sn)
	front := httptest.NewUnstartedServer(s)
	front.Config.Protocols = h2c
	front.Start()
	t.Cleanup(front.Close)

	client := &http.Transport{Protocols: h2c}
	t.Cleanup(client.CloseIdleConnections)
	req, _ := http.NewRequest(http.MethodPost, front.URL+"/pkg.Svc/Call", strings.NewReader("\x00\x00\x00\x00\x00"))
	req.Header.Set("Content-Type", "application/grpc")
	resp, err := client.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Upstream-Proto") != "HTTP/2.0" || resp.Trailer.Get("Grpc-Status") != "0" {
		t.Errorf("grpc: %d upstream proto %q trailer %v", resp.StatusCode, resp.Header.Get("X-Upstream-Proto"), resp.Trailer)
	}
	if via := resp.Header.Get("Via"); via != "2 kong/3.9.3" {
		t.Errorf("Via %q, want Kong's grpc_pass version 2", via)
	}
}
