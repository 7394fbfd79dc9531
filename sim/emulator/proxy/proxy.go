// Package proxy is the emulator's proxy: Kong 3.9's traditional_compatible
// router, upstream balancing and the handful of plugins tests depend on,
// served from an immutable Snapshot that Compile builds aside from the
// configuration and Server.Swap installs atomically. Nodes never query the
// database per request, so a change becomes visible exactly when the node
// swaps in a snapshot built after it — which is what makes propagation
// observable, as it is on Kong.
//
// Executed plugins: key-auth, basic-auth, acl, rate-limiting (counted
// locally whatever the policy; Stats says so for others),
// request-termination, the header operations of request-transformer and
// response-transformer, cors, correlation-id and redirect, with Kong's
// priorities and scoping. Every
// other configured plugin is stored and reported in Stats and the log as not
// executed. What the emulator does not do, and says so rather than pretend:
// stream routes (tcp, tls, udp) are counted, not served; upstreams of every
// algorithm are balanced weighted round-robin (logged once per algorithm);
// no active or passive health checks; a hostname target is resolved per
// connection rather than expanded into weighted addresses; read_timeout
// bounds the wait for the response head, write_timeout each write of the
// request to the upstream;
// upstream TLS is not verified and client_certificate/ca_certificates are
// not used; certificates' cert_alt/key_alt are not served.
package proxy

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Entities is Kong's declarative configuration: entity name ("services",
// "routes", "upstreams", "targets", "plugins", "consumers",
// "keyauth_credentials", "basicauth_credentials", "acls", "certificates",
// "snis", "ca_certificates", …) → rows in the Admin API's JSON shape as
// encoding/json decodes them into any. Foreign keys may be {"id":"<uuid>"} or
// the bare id string, as Kong's declarative export writes them.
type Entities = map[string][]map[string]any

// Options are the node settings the proxy needs. The zero value behaves as
// Kong's defaults.
type Options struct {
	// Version is the Kong version in Via and Server headers; default "3.9.3".
	Version string
	// RouterFlavor is Kong's router_flavor. Only "traditional" honours a
	// route's path_handling v1; the default traditional_compatible always
	// builds the upstream path the v0 way, as Kong 3.9's atc router does.
	RouterFlavor string
	// TrustedIPs are Kong's trusted_ips: clients whose X-Forwarded-* headers
	// are passed on instead of computed.
	TrustedIPs []netip.Prefix
	// DefaultCertificate is served on HTTPS when no SNI matches (Kong's
	// default certificate); nil makes a self-signed one.
	DefaultCertificate *tls.Certificate
	// Now is the clock for rate limiting; default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Version == "" {
		o.Version = "3.9.3"
	}
	if o.RouterFlavor == "" {
		o.RouterFlavor = "traditional_compatible"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Stats is what the node reports about its proxy (the /status API).
type Stats struct {
	// Requests counts requests the proxy answered since the server started.
	Requests uint64 `json:"requests"`
	// Entities counts the enabled entities of the current snapshot by name.
	Entities map[string]int `json:"entities"`
	// PluginsNotExecuted names the configured plugins the emulator stores
	// but does not run, sorted.
	PluginsNotExecuted []string `json:"plugins_not_executed"`
	// PluginsApproximated says how executed plugins run other than
	// configured (a rate-limiting policy counted locally), sorted.
	PluginsApproximated []string `json:"plugins_approximated"`
	// StreamRoutes counts routes of the stream subsystem (tcp, tls, udp,
	// tls_passthrough): stored, not served, as the emulator has no stream
	// listener.
	StreamRoutes int `json:"stream_routes"`
	// ConfigLoaded is false until the first snapshot is swapped in.
	ConfigLoaded bool `json:"config_loaded"`
}

// Server is the proxy's http.Handler. It serves whatever snapshot was last
// swapped in; state that Kong keeps across router rebuilds (rate-limiting
// counters, upstream connection pools) lives here rather than in the
// snapshot.
type Server struct {
	log      *slog.Logger
	opts     Options
	snap     atomic.Pointer[Snapshot]
	requests atomic.Uint64
	loaded   atomic.Bool
	defCert  *tls.Certificate
	defOnce  sync.Once
	defErr   error

	transports transportCache
	rpOnce     sync.Once
	rp         *httputil.ReverseProxy
	limits     *counters

	warnedMu sync.Mutex
	warned   map[string]bool
}

// NewServer returns a server with an empty configuration: every request gets
// Kong's 404 until the first Swap.
func NewServer(log *slog.Logger, opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{log: log, opts: opts, warned: map[string]bool{}, limits: newCounters()}
	s.defCert = opts.DefaultCertificate
	empty, _ := Compile(nil, opts)
	s.snap.Store(empty)
	s.loaded.Store(false)
	return s
}

// Swap installs a snapshot for every request that starts after it returns.
// Requests already running keep the snapshot they started with.
func (s *Server) Swap(sn *Snapshot) {
	if sn == nil {
		return
	}
	s.snap.Store(sn)
	s.loaded.Store(true)
	s.logOnce(sn)
}

// Snapshot returns the snapshot currently served.
func (s *Server) Snapshot() *Snapshot { return s.snap.Load() }

// Stats reports requests served and what the current snapshot holds.
func (s *Server) Stats() Stats {
	sn := s.snap.Load()
	ents := make(map[string]int, len(sn.counts))
	for k, v := range sn.counts {
		ents[k] = v
	}
	return Stats{
		Requests:            s.requests.Load(),
		Entities:            ents,
		PluginsNotExecuted:  append([]string(nil), sn.notExecuted...),
		StreamRoutes:        sn.streamRoutes,
		PluginsApproximated: append([]string(nil), sn.plugins.approximate...),
		ConfigLoaded:        s.loaded.Load(),
	}
}

// logOnce says once per server and plugin name that a configured plugin is
// not executed, and once per upstream algorithm that it is balanced
// round-robin, so a test reading the log knows what the emulator skips.
func (s *Server) logOnce(sn *Snapshot) {
	s.warnedMu.Lock()
	defer s.warnedMu.Unlock()
	for _, name := range sn.notExecuted {
		if !s.warned["plugin:"+name] {
			s.warned["plugin:"+name] = true
			s.log.Warn("plugin is configured but the emulator does not execute it; requests pass as if it were absent", "plugin", name)
		}
	}
	for _, note := range sn.plugins.approximate {
		if !s.warned["approx:"+note] {
			s.warned["approx:"+note] = true
			s.log.Warn("plugin runs approximated by the emulator", "note", note)
		}
	}
	if sn.streamRoutes > 0 && !s.warned["stream"] {
		s.warned["stream"] = true
		s.log.Warn("routes with stream protocols (tcp, tls, udp, tls_passthrough) are stored but not served: the emulator has no stream listener", "routes", sn.streamRoutes)
	}
	for _, alg := range sn.otherAlgorithms {
		if !s.warned["alg:"+alg] {
			s.warned["alg:"+alg] = true
			s.log.Warn("the emulator balances this upstream algorithm round-robin (weighted)", "algorithm", alg)
		}
	}
}

// ServeHTTP routes one request through the current snapshot.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.serve(s.snap.Load(), w, r)
}

// ParseTrustedIPs reads Kong's trusted_ips values (addresses or CIDR
// blocks, "0.0.0.0/0,::/0" for all); "unix:" is accepted and ignored, as
// the emulator listens on TCP only.
func ParseTrustedIPs(values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		v = strings.TrimSpace(v)
		switch {
		case v == "" || v == "unix:":
			continue
		case strings.Contains(v, "/"):
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return nil, fmt.Errorf("trusted_ips: %q: %w", v, err)
			}
			out = append(out, p.Masked())
		default:
			a, err := netip.ParseAddr(v)
			if err != nil {
				return nil, fmt.Errorf("trusted_ips: %q: %w", v, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out, nil
}
