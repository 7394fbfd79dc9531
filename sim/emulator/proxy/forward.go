package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// forward sends the request to the service as Kong's balancer phase does:
// the upstream path from the router, the Host header, the forwarding
// headers, a peer from the service's host or its upstream's wheel, and
// retries on connection failures.
func (s *Server) forward(w http.ResponseWriter, x *exchange) {
	r := x.req
	p := upstreamPath(x.route, x.prefix, x.matchedPath, x.reqPath, x.service.path)
	x.upstreamURI = escapeURI(p)
	if i := strings.IndexByte(r.RequestURI, '?'); i >= 0 {
		x.upstreamURI += r.RequestURI[i:]
	}
	if !s.nextPeer(x) {
		s.kongError(w, x, http.StatusServiceUnavailable, "failure to get a peer from the ring-balancer", nil)
		return
	}
	x.proxyStart = time.Now()
	s.reverseProxy().ServeHTTP(noSniff{w}, withExchange(r, x))
}

// noSniff keeps a response without Content-Type without one: nginx never
// guesses a type, where Go's server would sniff the body.
type noSniff struct{ http.ResponseWriter }

func (n noSniff) WriteHeader(code int) {
	h := n.ResponseWriter.Header()
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil
	}
	n.ResponseWriter.WriteHeader(code)
}

func (n noSniff) Write(b []byte) (int, error) {
	h := n.ResponseWriter.Header()
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil
	}
	return n.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// upgrades).
func (n noSniff) Unwrap() http.ResponseWriter { return n.ResponseWriter }

// upstreamPath is the path sent upstream before escaping: prefix is the
// stripped prefix ("/" when nothing is stripped), matched the route's
// matched path text, req the normalized request path, servicePath the
// service's path ("" for none).
func upstreamPath(rt *route, prefix, matched, req, servicePath string) string {
	base := servicePath
	if base == "" {
		base = "/"
	}
	postfix := sanitizePostfix(req[min(len(prefix), len(req)):])
	if rt.pathHandling == "v1" {
		return upstreamPathV1(rt.stripPath && matched != "", postfix, req, base)
	}
	return upstreamPathV0(rt.stripPath, postfix, req, base)
}

// nextPeer chooses the peer of the next try.
func (s *Server) nextPeer(x *exchange) bool {
	svc := x.service
	x.tries++
	if svc.upstream == nil {
		x.peer = peer{host: svc.host, port: svc.port}
	} else {
		p, ok := svc.upstream.pick()
		if !ok {
			return false
		}
		x.peer = p
	}
	switch {
	case x.route.preserveHost || x.hostOverride:
		x.hostHeader = x.req.Host
	case svc.upstream != nil && svc.upstream.hostHeader != "":
		x.hostHeader = svc.upstream.hostHeader
	default:
		x.hostHeader = x.peer.host
		if strings.Contains(x.hostHeader, ":") {
			x.hostHeader = "[" + x.hostHeader + "]"
		}
		if !(x.peer.port == 80 && (svc.protocol == "http" || svc.protocol == "grpc")) &&
			!(x.peer.port == 443 && (svc.protocol == "https" || svc.protocol == "grpcs")) {
			x.hostHeader += ":" + strconv.Itoa(x.peer.port)
		}
	}
	return true
}

func (s *Server) reverseProxy() *httputil.ReverseProxy {
	s.rpOnce.Do(func() {
		s.rp = &httputil.ReverseProxy{
			Rewrite:        s.rewrite,
			Transport:      (*retryTransport)(s),
			ModifyResponse: s.modifyResponse,
			ErrorHandler:   s.proxyError,
			BufferPool:     bufferPool{},
		}
	})
	return s.rp
}

// bufferPool reuses the 32 KiB buffers that copy response bodies, which
// ReverseProxy would otherwise allocate per response.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { return make([]byte, 32<<10) }}

func (bufferPool) Get() []byte { return buffers.Get().([]byte) }

//lint:ignore SA6002 a slice header per Put costs less than the 32 KiB per response it saves
func (bufferPool) Put(b []byte) { buffers.Put(b) }

func (s *Server) rewrite(pr *httputil.ProxyRequest) {
	x := exchangeOf(pr.In)
	out := pr.Out
	scheme := "http"
	if x.service.protocol == "https" || x.service.protocol == "grpcs" {
		scheme = "https"
	}
	out.URL = &url.URL{Scheme: scheme, Host: x.peer.addr(), Opaque: x.upstreamURI}
	if i := strings.IndexByte(x.upstreamURI, '?'); i >= 0 {
		out.URL.Opaque, out.URL.RawQuery = x.upstreamURI[:i], x.upstreamURI[i+1:]
		if out.URL.RawQuery == "" {
			out.URL.ForceQuery = true
		}
	}
	out.Host = x.hostHeader
	h := out.Header
	ip := remoteIP(x.req.RemoteAddr)
	if xff := pr.In.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		h.Set("X-Forwarded-For", strings.Join(xff, ", ")+", "+ip)
	} else {
		h.Set("X-Forwarded-For", ip)
	}
	h.Set("X-Forwarded-Proto", x.fwdProto)
	h.Set("X-Forwarded-Host", x.fwdHost)
	h.Set("X-Forwarded-Port", x.fwdPort)
	h.Set("X-Forwarded-Path", x.fwdPath)
	if x.fwdPrefix != "" {
		h.Set("X-Forwarded-Prefix", x.fwdPrefix)
	} else {
		h.Del("X-Forwarded-Prefix")
	}
	h.Set("X-Real-Ip", ip)
	via := strconv.Itoa(pr.In.ProtoMajor)
	if pr.In.ProtoMajor == 1 {
		via += "." + strconv.Itoa(pr.In.ProtoMinor)
	}
	via += " kong/" + s.opts.Version
	h.Set("Via", joinHeader(strings.Join(pr.In.Header.Values("Via"), ", "), via))
	h.Set("X-Kong-Request-Id", x.requestID)
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = nil // Go would add its own; nginx sends none
	}
}

// modifyResponse adds Kong's response headers and runs header_filter.
func (s *Server) modifyResponse(resp *http.Response) error {
	x := exchangeOf(resp.Request)
	h := resp.Header
	now := time.Now()
	for k, v := range x.respHeader {
		h[k] = v
	}
	x.headerFilter(h, resp.StatusCode)
	h.Set("X-Kong-Upstream-Latency", strconv.FormatInt(now.Sub(x.proxyStart).Milliseconds(), 10))
	h.Set("X-Kong-Proxy-Latency", strconv.FormatInt(x.proxyStart.Sub(x.start).Milliseconds(), 10))
	version := "1.1" // Kong's proxy_http_version; grpc_pass speaks 2
	if x.service.protocol == "grpc" || x.service.protocol == "grpcs" {
		version = "2"
	}
	h.Set("Via", joinHeader(strings.Join(h.Values("Via"), ", "), version+" kong/"+s.opts.Version))
	if h.Get("Server") == "" {
		h.Set("Server", "kong/"+s.opts.Version)
	}
	h.Set("X-Kong-Request-Id", x.requestID)
	return nil
}

// proxyError answers a failed upstream exchange as Kong's error handler:
// 503 when the name does not resolve, 504 on timeouts, 502 otherwise.
func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	x := exchangeOf(r)
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away (nginx's 499): nobody to answer
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		s.log.Debug("upstream name resolution failed", "route", x.route.id, "host", x.peer.host, "error", err)
		s.kongError(w, x, http.StatusServiceUnavailable, "name resolution failed", nil)
		return
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		s.log.Debug("upstream timed out", "route", x.route.id, "peer", x.peer.addr(), "error", err)
		s.kongError(w, x, http.StatusGatewayTimeout, "The upstream server is timing out", nil)
		return
	}
	s.log.Debug("upstream failed", "route", x.route.id, "peer", x.peer.addr(), "error", err)
	s.kongError(w, x, http.StatusBadGateway, "An invalid response was received from the upstream server", nil)
}

// retryTransport sends a request through the transport for the service's
// timeouts and retries a failed connection on the next peer, up to the
// service's retries, as nginx's proxy_next_upstream error timeout does for
// connections that never sent the request.
type retryTransport Server

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s := (*Server)(t)
	x := exchangeOf(req)
	svc := x.service
	tr := s.transports.get(svc)
	body := req.Body
	if body != nil && body != http.NoBody && svc.retries > 0 {
		req.Body = keepOpen{body} // a failed dial must not close it for the next try
		defer body.Close()
	}
	for {
		resp, err := tr.RoundTrip(req)
		if err == nil {
			return resp, nil
		}
		if !isDialError(err) || x.tries > svc.retries || !s.nextPeer(x) {
			return nil, err
		}
		req.URL.Host = x.peer.addr()
		req.Host = x.hostHeader
	}
}

type keepOpen struct{ io.Reader }

func (keepOpen) Close() error { return nil }

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// sendTimeoutConn bounds each write to the upstream by the service's
// write_timeout, as nginx's proxy_send_timeout bounds the time between two
// successive writes of the request (not the whole transfer).
type sendTimeoutConn struct {
	net.Conn
	write time.Duration
}

func (c *sendTimeoutConn) Write(p []byte) (int, error) {
	if c.write > 0 {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.write))
	}
	return c.Conn.Write(p)
}

// transportCache shares connection pools between snapshots: one transport
// per distinct timeouts, as nginx keeps upstream keepalive pools across
// router rebuilds.
type transportCache struct{ m sync.Map } // transportKey → *http.Transport

type transportKey struct {
	connect, read, write time.Duration
	grpc                 bool
}

func (c *transportCache) get(svc *service) *http.Transport {
	k := transportKey{svc.connect, svc.read, svc.write, svc.protocol == "grpc" || svc.protocol == "grpcs"}
	if t, ok := c.m.Load(k); ok {
		return t.(*http.Transport)
	}
	d := &net.Dialer{Timeout: svc.connect, KeepAlive: 60 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &sendTimeoutConn{Conn: conn, write: svc.write}, nil
	}
	t := &http.Transport{
		DialContext: dial,
		// nginx's proxy_read_timeout bounds each read; Go bounds the wait
		// for the response head, which is where a silent upstream stalls.
		ResponseHeaderTimeout: svc.read,
		MaxIdleConnsPerHost:   60, // Kong's upstream_keepalive_pool_size
		IdleConnTimeout:       60 * time.Second,
		// Kong verifies upstream certificates only when the service's
		// tls_verify says so; the emulator does not verify them at all.
		TLSClientConfig:    &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
		DisableCompression: true,
	}
	if k.grpc {
		// grpc_pass speaks HTTP/2 only: cleartext (h2c) for grpc, over TLS
		// for grpcs.
		p := new(http.Protocols)
		p.SetUnencryptedHTTP2(svc.protocol == "grpc")
		p.SetHTTP2(svc.protocol == "grpcs")
		t.Protocols = p
	}
	actual, _ := c.m.LoadOrStore(k, t)
	return actual.(*http.Transport)
}
