package proxy

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// exchange is one request's state through the phases, as Kong's ngx.ctx.
type exchange struct {
	s         *Server
	sn        *Snapshot
	req       *http.Request
	start     time.Time
	requestID string

	route       *route
	service     *service
	matchedPath string // the matched prefix or regex text; "" without paths
	prefix      string // the stripped prefix ("/" when nothing stripped)
	scheme      string
	listenPort  int
	reqPath     string // normalized request path

	fwdProto, fwdHost, fwdPort, fwdPath, fwdPrefix string

	consumer      *consumer
	corsPreflight bool   // cors answered or passed on a preflight
	correlationID string // correlation-id's value for header_filter
	hostOverride  bool   // request-transformer replaced the Host header
	credential    string // the authenticated credential's id

	// respHeader holds headers plugins set in the access phase for the
	// response (kong.response.set_header before the response exists).
	respHeader http.Header
	filters    []collected

	// upstream side
	peer        peer
	tries       int
	proxyStart  time.Time
	upstreamURI string
	hostHeader  string
}

// collected is a plugin configuration that takes part in the response's
// header_filter phase.
type collected struct {
	inst instance
}

func (x *exchange) headerFilter(h http.Header, status int) {
	for _, c := range x.filters {
		if hf, ok := c.inst.(headerFilterer); ok {
			hf.headerFilter(x, h, status)
		}
	}
}

type ctxKey struct{}

// cacheLimit bounds the route match cache, as Kong bounds its router LRU.
const cacheLimit = 5000

type cached struct {
	m    *matcher
	path string
}

func (s *Server) serve(sn *Snapshot, w http.ResponseWriter, r *http.Request) {
	x := &exchange{s: s, sn: sn, req: r, start: time.Now(), requestID: newRequestID(), scheme: "http"}
	if r.TLS != nil {
		x.scheme = "https"
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ta, ok := a.(*net.TCPAddr); ok {
			x.listenPort = ta.Port
		}
	}
	rawPath := r.RequestURI
	if i := strings.IndexByte(rawPath, '?'); i >= 0 {
		rawPath = rawPath[:i]
	}
	if rawPath == "" || rawPath == "*" || !strings.HasPrefix(rawPath, "/") {
		rawPath = r.URL.EscapedPath()
	}
	x.reqPath = normalizePath(rawPath)
	host, hostPort := splitHostPort(r.Host)
	q := request{method: r.Method, host: host, port: hostPort, path: x.reqPath, scheme: x.scheme, header: r.Header}
	if q.port == 0 {
		q.port = x.listenPort
	}
	if r.TLS != nil {
		q.sni = r.TLS.ServerName
	}

	m, matched := sn.match(&q)
	x.filters = sn.plugins.globalFilters()
	if m == nil {
		s.kongError(w, x, http.StatusNotFound, "no Route matched with those values", nil)
		return
	}
	x.route, x.service, x.matchedPath = m.r, m.r.service, matched
	s.forwardedHeaders(x, rawPath)

	if x.route.httpsOnly && x.fwdProto != "https" {
		if x.route.redirectCode == http.StatusUpgradeRequired {
			s.kongError(w, x, http.StatusUpgradeRequired, "Please use HTTPS protocol",
				http.Header{"Connection": {"Upgrade"}, "Upgrade": {"TLS/1.2, HTTP/1.1"}})
			return
		}
		s.kongResponse(w, x, x.route.redirectCode, http.Header{"Location": {"https://" + x.fwdHost + r.RequestURI}}, nil)
		return
	}

	if (x.route.grpc || x.route.grpcs) && s.grpcMismatch(w, x) {
		return
	}
	x.filters = x.filters[:0] // from here the access phase collects them
	if sn.plugins.access(x, w) {
		return
	}
	if x.service == nil {
		s.kongError(w, x, http.StatusServiceUnavailable, "no Service found with those values", nil)
		return
	}
	s.forward(w, x)
}

// grpcMismatch answers a request that matched a gRPC route but is not
// one, as handler.lua access.before does.
func (s *Server) grpcMismatch(w http.ResponseWriter, x *exchange) bool {
	r := x.req
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
		s.kongError(w, x, http.StatusUnsupportedMediaType, "Non-gRPC request matched gRPC route", nil)
		return true
	}
	if r.ProtoMajor != 2 {
		s.kongError(w, x, http.StatusUpgradeRequired, "Please use HTTP2 protocol",
			http.Header{"Connection": {"Upgrade"}, "Upgrade": {"HTTP/2"}})
		return true
	}
	if !x.route.grpc && x.fwdProto != "https" {
		s.kongResponse(w, x, http.StatusOK, http.Header{"Content-Type": {"application/grpc"}, "Grpc-Status": {"1"},
			"Grpc-Message": {"gRPC request matched gRPCs route"}}, nil)
		return true
	}
	return false
}

// match finds the route for a request, through the cache when the router
// does not look at headers (so the key below determines the result).
func (sn *Snapshot) match(q *request) (*matcher, string) {
	if sn.router.hasHeaders {
		return sn.router.find(q)
	}
	key := q.method + "\x00" + q.host + "\x00" + strconv.Itoa(q.port) + "\x00" + q.path + "\x00" + q.scheme + "\x00" + q.sni
	if v, ok := sn.cache.Load(key); ok {
		c := v.(cached)
		return c.m, c.path
	}
	m, p := sn.router.find(q)
	if sn.cacheSize.Load() < cacheLimit {
		if _, loaded := sn.cache.LoadOrStore(key, cached{m, p}); !loaded {
			sn.cacheSize.Add(1)
		}
	}
	return m, p
}

// forwardedHeaders computes X-Forwarded-* as handler.lua access.before
// does: passed on from trusted clients, computed otherwise.
func (s *Server) forwardedHeaders(x *exchange, rawPath string) {
	r := x.req
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.Contains(host[:i], ":") {
		host = host[:i]
	}
	x.fwdProto, x.fwdHost, x.fwdPort = x.scheme, host, strconv.Itoa(x.listenPort)
	if s.trusted(r.RemoteAddr) {
		x.fwdProto = firstNonEmpty(r.Header.Get("X-Forwarded-Proto"), x.fwdProto)
		x.fwdHost = firstNonEmpty(r.Header.Get("X-Forwarded-Host"), x.fwdHost)
		x.fwdPort = firstNonEmpty(r.Header.Get("X-Forwarded-Port"), x.fwdPort)
		x.fwdPath = r.Header.Get("X-Forwarded-Path")
		x.fwdPrefix = r.Header.Get("X-Forwarded-Prefix")
	}
	if x.fwdPath == "" {
		x.fwdPath = rawPath
	}
	x.prefix = "/"
	if x.route.stripPath && x.matchedPath != "" {
		x.prefix = x.matchedPath
	}
	if x.fwdPrefix == "" && x.route.stripPath && x.matchedPath != "" && x.matchedPath != "/" {
		x.fwdPrefix = x.matchedPath
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) trusted(remote string) bool {
	if len(s.opts.TrustedIPs) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	for _, p := range s.opts.TrustedIPs {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

func remoteIP(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// int64Counter is an atomic counter the snapshot's cache uses.
type int64Counter = atomic.Int64

// withExchange stores the exchange for the transport and the response
// hooks.
func withExchange(r *http.Request, x *exchange) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, x))
}

func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(ctxKey{}).(*exchange)
	return x
}
