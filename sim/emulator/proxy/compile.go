package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Snapshot is one immutable configuration as the proxy serves it: the
// router, the services and their balancers, plugin configurations by
// scope, consumers and credentials, and TLS certificates by SNI.
type Snapshot struct {
	router    router
	upstreams map[string]*upstream // by name: a service host naming one is balanced
	plugins   pluginSet
	auth      credentials
	certs     certIndex

	counts          map[string]int
	streamRoutes    int
	notExecuted     []string
	otherAlgorithms []string

	// cache remembers route matches by request key when no route matches
	// on headers, as Kong's router LRU does; bounded by cacheLimit.
	cache     sync.Map
	cacheSize int64Counter
}

// service is an enabled service; upstream is set when its host names an
// upstream entity.
type service struct {
	id, name, protocol, host, path string
	port, retries                  int
	connect, read, write           time.Duration
	upstream                       *upstream
}

// Compile builds a snapshot from Kong's configuration. A row Kong would not
// load (an invalid regex, a field of the wrong type) fails the whole build
// with an error naming it, so the node keeps serving its previous snapshot,
// as Kong keeps its previous router.
func Compile(e Entities, opts Options) (*Snapshot, error) {
	opts = opts.withDefaults()
	sn := &Snapshot{upstreams: map[string]*upstream{}, counts: map[string]int{}}
	var errs []error
	rows := func(kind string) []*row {
		var out []*row
		for _, m := range e[kind] {
			r := &row{kind: kind, m: m}
			if !r.boolean("enabled", true) {
				continue
			}
			out = append(out, r)
		}
		sn.counts[kind] = len(out)
		return out
	}
	check := func(r *row) bool {
		if r.err != nil {
			errs = append(errs, r.err)
			return false
		}
		return true
	}
	for _, kind := range sortedKeys(e) {
		if _, known := compiledKinds[kind]; !known {
			sn.counts[kind] = len(rows(kind))
		}
	}

	targets := map[string][]target{}
	for _, r := range rows("targets") {
		up, t, w := r.fk("upstream"), r.str("target"), r.integer("weight", 100)
		p, ok := parseTarget(t)
		if !ok && r.err == nil {
			r.fail("target", "host[:port]", t)
		}
		if check(r) {
			targets[up] = append(targets[up], target{peer: p, weight: w})
		}
	}
	algs := map[string]bool{}
	for _, r := range rows("upstreams") {
		id, name, alg := r.str("id"), r.str("name"), r.str("algorithm")
		if alg == "" {
			alg = "round-robin"
		}
		u := newUpstream(id, name, alg, r.str("host_header"), targets[id])
		if check(r) {
			sn.upstreams[name] = u
			if alg != "round-robin" && !algs[alg] {
				algs[alg] = true
				sn.otherAlgorithms = append(sn.otherAlgorithms, alg)
			}
		}
	}
	sort.Strings(sn.otherAlgorithms)

	services := map[string]*service{}
	for _, r := range rows("services") {
		s := &service{
			id: r.str("id"), name: r.str("name"), protocol: r.str("protocol"), host: r.str("host"),
			path: r.str("path"), port: r.integer("port", 80), retries: r.integer("retries", 5),
			connect: ms(r.num("connect_timeout", 60000)), read: ms(r.num("read_timeout", 60000)),
			write: ms(r.num("write_timeout", 60000)),
		}
		if s.protocol == "" {
			s.protocol = "http"
		}
		s.upstream = sn.upstreams[s.host]
		if check(r) {
			services[s.id] = s
		}
	}
	disabledServices := map[string]bool{}
	for _, m := range e["services"] {
		r := &row{kind: "services", m: m}
		if !r.boolean("enabled", true) {
			disabledServices[r.str("id")] = true
		}
	}

	for _, r := range rows("routes") {
		if isStreamRoute(r) {
			sn.streamRoutes++
			continue
		}
		ms, err := compileRoute(r, services, disabledServices, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sn.router.add(ms...)
	}
	sortMatchers(sn.router.matchers)

	var err error
	if sn.auth, err = compileCredentials(rows); err != nil {
		errs = append(errs, err)
	}
	if sn.plugins, err = compilePlugins(rows("plugins")); err != nil {
		errs = append(errs, err)
	}
	sn.notExecuted = sn.plugins.notExecuted
	if sn.certs, err = compileCerts(rows("certificates"), rows("snis")); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("compile proxy configuration: %w", errors.Join(errs...))
	}
	return sn, nil
}

// compiledKinds are the entities Compile reads itself; other kinds are only
// counted.
var compiledKinds = map[string]struct{}{
	"targets": {}, "upstreams": {}, "services": {}, "routes": {}, "plugins": {}, "consumers": {},
	"keyauth_credentials": {}, "basicauth_credentials": {}, "acls": {}, "certificates": {}, "snis": {},
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// httpProtocols are the protocols of Kong's http subsystem; routes with
// others (tcp, tls, udp, tls_passthrough) are the stream router's.
var httpProtocols = map[string]bool{"http": true, "https": true, "grpc": true, "grpcs": true}

// isStreamRoute is transform.lua is_stream_route: the first protocol
// decides the subsystem.
func isStreamRoute(r *row) bool {
	p := r.strs("protocols")
	return len(p) > 0 && !httpProtocols[p[0]]
}

func compileRoute(r *row, services map[string]*service, disabled map[string]bool, opts Options) ([]*matcher, error) {
	protocols := r.strs("protocols")
	if len(protocols) == 0 {
		protocols = []string{"http", "https"}
	}
	has := map[string]bool{}
	for _, p := range protocols {
		has[p] = true
	}
	svcID := r.fk("service")
	rt := &route{
		id: r.str("id"), name: r.str("name"),
		httpsOnly:    has["https"] && !has["http"],
		grpc:         has["grpc"],
		grpcs:        has["grpcs"],
		redirectCode: r.integer("https_redirect_status_code", 426),
		stripPath:    r.boolean("strip_path", true),
		preserveHost: r.boolean("preserve_host", false),
		pathHandling: "v0",
	}
	if opts.RouterFlavor == "traditional" && r.str("path_handling") == "v1" {
		rt.pathHandling = "v1"
	}
	spec := routeSpec{
		methods: r.strs("methods"), hosts: r.strs("hosts"), paths: r.strs("paths"), snis: r.strs("snis"),
		hostsSet: r.has("hosts"), headers: r.headerMap("headers"), regexPriority: r.integer("regex_priority", 0),
	}
	if r.err != nil {
		return nil, r.err
	}
	if disabled[svcID] {
		return nil, nil
	}
	if s := services[svcID]; s != nil && httpProtocols[s.protocol] {
		rt.service = s
	}
	return newMatchers(rt, spec)
}

func (rt *router) add(ms ...*matcher) {
	for _, m := range ms {
		rt.hasHeaders = rt.hasHeaders || len(m.headers) > 0
		rt.matchers = append(rt.matchers, m)
	}
}

// certIndex holds the certificates by SNI name: exact names, then
// "*.suffix" and "prefix.*" wildcards as Kong's certificate phase tries them.
type certIndex struct {
	exact    map[string]*tls.Certificate
	suffixes map[string]*tls.Certificate // ".example.com" for "*.example.com"
	prefixes map[string]*tls.Certificate // "example." for "example.*"
}
