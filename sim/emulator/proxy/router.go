package proxy

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// route is one enabled route as the router and the access phase need it.
type route struct {
	id, name     string
	service      *service // nil: Kong answers 503 after the access phase
	httpsOnly    bool     // protocols has https but not http
	grpc, grpcs  bool     // protocols include grpc / grpcs
	redirectCode int
	stripPath    bool
	preserveHost bool
	pathHandling string
}

// matcher is one atc matcher: a route, or one path group of a split route
// (transform.lua split_routes_and_services_by_path), with its priority.
type matcher struct {
	r        *route
	id       string
	priority uint64
	methods  []string
	hosts    []hostPattern
	paths    []pathPattern
	headers  []headerPattern
	snis     []hostPattern
}

type hostOp byte

const (
	opEqual hostOp = iota
	opPrefix
	opSuffix
)

type hostPattern struct {
	op    hostOp
	value string
	port  int // 0: any port
}

func (p hostPattern) match(host string, port int) bool {
	if p.port != 0 && p.port != port {
		return false
	}
	switch p.op {
	case opPrefix:
		return strings.HasPrefix(host, p.value)
	case opSuffix:
		return strings.HasSuffix(host, p.value)
	}
	return host == p.value
}

type pathPattern struct {
	prefix string
	re     *regexp.Regexp
}

type headerPattern struct {
	name   string // canonical MIME header key
	values []string
	res    []*regexp.Regexp
}

func (h headerPattern) match(vals []string) bool {
	for _, v := range vals {
		v = strings.ToLower(v)
		for _, want := range h.values {
			if v == want {
				return true
			}
		}
		for _, re := range h.res {
			if re.MatchString(v) {
				return true
			}
		}
	}
	return false
}

// request is what the router reads of a request.
type request struct {
	method, host, path, scheme, sni string
	port                            int
	header                          http.Header
}

// match reports whether every predicate holds, and the matched path text
// (the prefix, or the regex's full match) when the route has paths.
func (m *matcher) match(q *request) (string, bool) {
	if len(m.snis) > 0 && q.scheme == "https" && !anyHost(m.snis, q.sni, -1) {
		return "", false
	}
	if len(m.methods) > 0 && !contains(m.methods, q.method) {
		return "", false
	}
	if len(m.hosts) > 0 && !anyHost(m.hosts, q.host, q.port) {
		return "", false
	}
	matched, ok := "", len(m.paths) == 0
	for _, p := range m.paths {
		if p.re == nil {
			if strings.HasPrefix(q.path, p.prefix) {
				matched, ok = p.prefix, true
				break
			}
			continue
		}
		if loc := p.re.FindStringIndex(q.path); loc != nil {
			matched, ok = q.path[loc[0]:loc[1]], true
			break
		}
	}
	if !ok {
		return "", false
	}
	for _, h := range m.headers {
		if !h.match(q.header[h.name]) {
			return "", false
		}
	}
	return matched, true
}

func anyHost(ps []hostPattern, host string, port int) bool {
	for _, p := range ps {
		if port < 0 {
			p.port = 0
		}
		if p.match(host, port) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// router holds the matchers in Kong's evaluation order.
type router struct {
	matchers   []*matcher
	hasHeaders bool
}

// splitHostPort is transform.lua split_host_port: split at the first ':'
// only when the rest is a number, so IPv6 literals stay whole.
func splitHostPort(h string) (string, int) {
	i := strings.IndexByte(h, ':')
	if i < 0 {
		return h, 0
	}
	p, err := strconv.Atoi(h[i+1:])
	if err != nil {
		return h, 0
	}
	return h[:i], p
}

func isRegexPath(p string) bool { return strings.HasPrefix(p, "~") }

// routeSpec is a route's matching fields as configured.
type routeSpec struct {
	methods, hosts, paths, snis []string
	hostsSet                    bool
	headers                     map[string][]string
	regexPriority               int
}

// newMatchers builds the matchers of one route: one per path group when
// the paths mix regexes and prefixes of different lengths, each group with
// id uuid_v5(ns, "<route id>#<group>"), as transform.lua does.
func newMatchers(r *route, spec routeSpec) ([]*matcher, error) {
	groups := groupPaths(spec.paths)
	out := make([]*matcher, 0, len(groups))
	for i, paths := range groups {
		m := &matcher{r: r, id: r.id, methods: spec.methods}
		if len(groups) > 1 {
			m.id = uuidV5(splitNamespace, fmt.Sprintf("%s#%d", r.id, i+1))
		}
		for _, h := range spec.hosts {
			host, port := splitHostPort(h)
			p := hostPattern{value: host, port: port}
			switch {
			case strings.HasPrefix(host, "*"):
				p.op, p.value = opSuffix, host[1:]
			case strings.HasSuffix(host, "*"):
				p.op, p.value = opPrefix, host[:len(host)-1]
			}
			m.hosts = append(m.hosts, p)
		}
		for _, s := range spec.snis {
			p := hostPattern{value: s}
			switch {
			case strings.HasPrefix(s, "*"):
				p.op, p.value = opSuffix, strings.TrimSuffix(s[1:], ".")
			case strings.HasSuffix(s, "*"):
				p.op, p.value = opPrefix, s[:len(s)-1]
			case len(s) > 1:
				p.value = strings.TrimSuffix(s, ".")
			}
			m.snis = append(m.snis, p)
		}
		for _, p := range paths {
			if !isRegexPath(p) {
				m.paths = append(m.paths, pathPattern{prefix: p})
				continue
			}
			re, err := regexp.Compile("^" + strings.ReplaceAll(p[1:], "?<", "?P<"))
			if err != nil {
				return nil, fmt.Errorf("route %s: path %q: invalid regex: %w", r.id, p, err)
			}
			m.paths = append(m.paths, pathPattern{re: re})
		}
		for _, name := range sortedKeys(spec.headers) {
			h := headerPattern{name: http.CanonicalHeaderKey(name)}
			for _, v := range spec.headers[name] {
				if strings.HasPrefix(v, "~*") {
					re, err := regexp.Compile(strings.ToLower(v[2:]))
					if err != nil {
						return nil, fmt.Errorf("route %s: header %q: invalid regex %q: %w", r.id, name, v, err)
					}
					h.res = append(h.res, re)
					continue
				}
				h.values = append(h.values, strings.ToLower(v))
			}
			m.headers = append(m.headers, h)
		}
		m.priority = priority(spec, paths)
		out = append(out, m)
	}
	return out, nil
}

// groupPaths is transform.lua group_by_regex_or_length: all regexes form
// one group, prefixes one group per length, in order of first appearance.
func groupPaths(paths []string) [][]string {
	if len(paths) <= 1 {
		return [][]string{paths}
	}
	index := map[int]int{}
	var groups [][]string
	for _, p := range paths {
		k := len(p)
		if isRegexPath(p) {
			k = 0
		}
		g, ok := index[k]
		if !ok {
			g = len(groups)
			index[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], p)
	}
	return groups
}

// priority is Kong 3.9.3's transform.lua get_priority as LuaJIT evaluates
// it. Its lshift_uint64 helper rebinds its cdata upvalue to the Lua number
// it is given, so every shift of a number is LuaJIT's 32-bit bit.lshift
// (count mod 32); only PLAIN_HOST_ONLY (bit 60) and REGEX_URL (bit 51) are
// real 64-bit bits. A negative 32-bit term reads as bit 63, as the LuaJIT
// interpreter converts it (reference §5.3).
func priority(spec routeSpec, paths []string) uint64 {
	mw := 0
	for _, n := range []int{len(spec.methods), len(spec.hosts), len(spec.headers), len(spec.snis), len(paths)} {
		if n > 0 {
			mw++
		}
	}
	hc := min(len(spec.headers), 255)
	plain := spec.hostsSet
	for _, h := range spec.hosts {
		if strings.Contains(h, "*") {
			plain = false
		}
	}
	regex, prefixLen := false, 0
	if len(paths) > 0 {
		if isRegexPath(paths[0]) {
			regex = true
		} else {
			prefixLen = len(paths[0])
		}
	}
	a := int32(uint32(mw) << 29)
	b := int32(uint32(hc) << 20)
	var c int32
	if regex {
		c = int32(uint32(int64(spec.regexPriority) << 19))
	}
	d := int32(prefixLen & 0x7FFFF)
	u := func(x int32) uint64 {
		if x >= 0 {
			return uint64(x)
		}
		return 1 << 63
	}
	if !plain && !regex {
		return u(a | b | d)
	}
	var p uint64
	if plain {
		p |= 1 << 60
	}
	if regex {
		p |= 1 << 51
	}
	return p | u(a) | u(b) | u(c) | u(d)
}

// sortMatchers orders as atc-router iterates its BTreeMap of
// (priority, uuid) in reverse: higher priority first, then the higher id.
func sortMatchers(ms []*matcher) {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].priority != ms[j].priority {
			return ms[i].priority > ms[j].priority
		}
		return ms[i].id > ms[j].id
	})
}

// find returns the first matcher that matches and its matched path text.
func (rt *router) find(q *request) (*matcher, string) {
	for _, m := range rt.matchers {
		if p, ok := m.match(q); ok {
			return m, p
		}
	}
	return nil, ""
}

// splitNamespace is the uuid v5 namespace transform.lua derives split
// routes' ids in.
var splitNamespace = uuid.MustParse("7f145bf9-0dce-4f91-98eb-debbce4b9f6b")

func uuidV5(ns uuid.UUID, name string) string { return uuid.NewSHA1(ns, []byte(name)).String() }
