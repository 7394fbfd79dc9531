package proxy

import (
	"net/http"
	"strings"
	"testing"
)

// compileRoutes compiles routes (each with service "s") for pure router
// tests; the fields are the Admin API's.
func compileRoutes(t *testing.T, opts Options, routes ...map[string]any) *Snapshot {
	t.Helper()
	e := Entities{"services": {{"id": "s", "host": "example.org", "port": float64(80), "protocol": "http"}}}
	for _, r := range routes {
		r["service"] = map[string]any{"id": "s"}
		e["routes"] = append(e["routes"], r)
	}
	sn, err := Compile(e, opts)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return sn
}

func selectRoute(sn *Snapshot, method, path, host string, header http.Header) (string, string) {
	h, p := splitHostPort(host)
	if p == 0 {
		p = 8000
	}
	m, matched := sn.router.find(&request{method: method, path: normalizePath(path), host: h, port: p, scheme: "http", header: header})
	if m == nil {
		return "", ""
	}
	return m.r.id, matched
}

const (
	id1 = "e8fb37f1-102d-461e-9c51-6608a6bb8101"
	id2 = "e8fb37f1-102d-461e-9c51-6608a6bb8102"
	id3 = "e8fb37f1-102d-461e-9c51-6608a6bb8103"
)

func TestRouterMatchesAndPrioritizesAsKong(t *testing.T) {
	type req struct {
		method, path, host string
		header             http.Header
		want               string // route id, "" for no match
	}
	cases := []struct {
		name, source string
		routes       []map[string]any
		reqs         []req
	}{
		{
			name:   "host and uri have higher priority than method",
			source: "spec/01-unit/08-router_spec.lua:2492",
			routes: []map[string]any{
				{"id": id1, "hosts": []any{"domain-1.org", "domain-2.org"}},
				{"id": id2, "methods": []any{"TRACE"}},
				{"id": id3, "paths": []any{"/my-route"}},
			},
			reqs: []req{
				{method: "TRACE", path: "/", host: "domain-2.org", want: id1},
				{method: "TRACE", path: "/my-route", host: "domain.org", want: id3},
				{method: "TRACE", path: "/", host: "domain.org", want: id2},
			},
		},
		{
			name:   "method does not supersede uri prefix",
			source: "spec/01-unit/08-router_spec.lua:2691",
			routes: []map[string]any{{"id": id1, "methods": []any{"GET"}}, {"id": id2, "paths": []any{"/example"}}},
			reqs: []req{
				{method: "GET", path: "/example", host: "domain.org", want: id2},
				{method: "GET", path: "/example/status/200", host: "domain.org", want: id2},
			},
		},
		{
			name:   "method does not supersede wildcard host",
			source: "spec/01-unit/08-router_spec.lua:2719",
			routes: []map[string]any{{"id": id1, "methods": []any{"GET"}}, {"id": id2, "hosts": []any{"domain.*"}}},
			reqs: []req{
				{method: "GET", path: "/", host: "nothing.com", want: id1},
				{method: "GET", path: "/", host: "domain.com", want: id2},
			},
		},
		{
			name:   "a longer uri prefix wins",
			source: "spec/01-unit/08-router_spec.lua:801",
			routes: []map[string]any{{"id": id1, "paths": []any{"/my-route/hello"}}, {"id": id2, "paths": []any{"/my-route"}}},
			reqs: []req{
				{method: "GET", path: "/my-route/hello", host: "domain.org", want: id1},
				{method: "GET", path: "/my-route/hello/world", host: "domain.org", want: id1},
				{method: "GET", path: "/my-route", host: "domain.org", want: id2},
				{method: "GET", path: "/my-routes", host: "domain.org", want: id2},
			},
		},
		{
			name:   "prefix matching ignores regex_priority",
			source: "spec/01-unit/08-router_spec.lua:4890",
			routes: []map[string]any{
				{"id": id1, "paths": []any{"~/.*"}, "hosts": []any{"domain-1.org"}},
				{"id": id2, "paths": []any{"/"}, "hosts": []any{"domain-2.org"}, "regex_priority": float64(5)},
				{"id": id3, "paths": []any{"/v1"}, "hosts": []any{"domain-2.org"}},
			},
			reqs: []req{{method: "GET", path: "/v1", host: "domain-2.org", want: id3}},
		},
		{
			name:   "a route with regex and prefix paths is split and each part keeps its own priority",
			source: "spec/01-unit/08-router_spec.lua:4955",
			routes: []map[string]any{
				{"id": id1, "paths": []any{"~/some/thing/else", "/foo"}, "hosts": []any{"domain-1.org"}},
				{"id": id2, "paths": []any{"/foo/bar"}, "hosts": []any{"domain-1.org"}},
			},
			reqs: []req{
				{method: "GET", path: "/some/thing/else", host: "domain-1.org", want: id1},
				{method: "GET", path: "/foo/bar", host: "domain-1.org", want: id2},
				{method: "GET", path: "/foo", host: "domain-1.org", want: id1},
			},
		},
		{
			name:   "overlapping prefixes of one route get different priorities",
			source: "spec/01-unit/08-router_spec.lua:5004",
			routes: []map[string]any{
				{"id": id1, "paths": []any{"/foo", "/foo/bar/baz"}, "hosts": []any{"domain-1.org"}},
				{"id": id2, "paths": []any{"/foo/bar"}, "hosts": []any{"domain-1.org"}},
			},
			reqs: []req{
				{method: "GET", path: "/foo", host: "domain-1.org", want: id1},
				{method: "GET", path: "/foo/bar", host: "domain-1.org", want: id2},
				{method: "GET", path: "/foo/bar/baz", host: "domain-1.org", want: id1},
			},
		},
		{
			name:   "host with a port matches only that port; a host without one any port",
			source: "spec/01-unit/08-router_spec.lua:411 ([host] matches specific port)",
			routes: []map[string]any{
				{"id": id1, "hosts": []any{"domain-1.org:321"}},
				{"id": id2, "hosts": []any{"domain-2.org"}},
			},
			reqs: []req{
				{method: "GET", path: "/", host: "domain-1.org:321", want: id1},
				{method: "GET", path: "/", host: "domain-1.org:123", want: ""},
				{method: "GET", path: "/", host: "domain-1.org", want: ""},
				{method: "GET", path: "/", host: "domain-2.org:8888", want: id2},
			},
		},
		{
			name:   "wildcard hosts: leftmost is a suffix, rightmost a prefix",
			source: "spec/01-unit/08-router_spec.lua:1183 ([wildcard host])",
			routes: []map[string]any{
				{"id": id1, "hosts": []any{"*.route.com"}},
				{"id": id2, "hosts": []any{"route.*"}},
			},
			reqs: []req{
				{method: "GET", path: "/", host: "plain.route.com", want: id1},
				{method: "GET", path: "/", host: "route.org", want: id2},
				{method: "GET", path: "/", host: "route.com", want: id2},
				{method: "GET", path: "/", host: "other.org", want: ""},
			},
		},
		{
			name:   "plain host beats a wildcard host",
			source: "spec/01-unit/08-router_spec.lua:2981 (plain [host])",
			routes: []map[string]any{
				{"id": id1, "hosts": []any{"*.domain.com"}},
				{"id": id2, "hosts": []any{"plain.domain.com"}},
			},
			reqs: []req{
				{method: "GET", path: "/", host: "plain.domain.com", want: id2},
				{method: "GET", path: "/", host: "other.domain.com", want: id1},
			},
		},
		{
			name:   "regex paths are anchored at the start only, and regex_priority orders them",
			source: "spec/01-unit/08-router_spec.lua:998 ([uri regex])",
			routes: []map[string]any{
				{"id": id1, "paths": []any{`~/route/persons/\d+`}, "regex_priority": float64(0)},
				{"id": id2, "paths": []any{`~/route/persons/\d+/profile`}, "regex_priority": float64(1)},
			},
			reqs: []req{
				{method: "GET", path: "/route/persons/123/profile", host: "domain.org", want: id2},
				{method: "GET", path: "/route/persons/123", host: "domain.org", want: id1},
				{method: "GET", path: "/x/route/persons/123", host: "domain.org", want: ""},
			},
		},
		{
			name:   "headers: any value, case-insensitive, ~* regex; more headers win",
			source: "spec/01-unit/08-router_spec.lua:1613 ([headers]) and 3066",
			routes: []map[string]any{
				{"id": id1, "headers": map[string]any{"version": []any{"v1", "v2"}}},
				{"id": id2, "headers": map[string]any{"version": []any{"v1"}, "location": []any{"~*^us-(east|west)$"}}},
			},
			reqs: []req{
				{method: "GET", path: "/", host: "d.org", header: http.Header{"Version": {"V2"}}, want: id1},
				{method: "GET", path: "/", host: "d.org", header: http.Header{"Version": {"v1"}, "Location": {"US-EAST"}}, want: id2},
				{method: "GET", path: "/", host: "d.org", header: http.Header{"Version": {"v1"}, "Location": {"eu-west"}}, want: id1},
				{method: "GET", path: "/", host: "d.org", header: http.Header{"Version": {"v3"}}, want: ""},
			},
		},
		{
			name:   "the request path is normalized before matching",
			source: "spec/01-unit/08-router_spec.lua:3726 (normalized client URI before matching)",
			routes: []map[string]any{{"id": id1, "paths": []any{"/my-route/hello"}}},
			reqs: []req{
				{method: "GET", path: "/my-route/./x/../hello", host: "d.org", want: id1},
				{method: "GET", path: "/my%2Droute//hello", host: "d.org", want: id1},
			},
		},
		{
			name:   "equal priority: the higher route id wins",
			source: "reference §5.3 (atc-router BTreeMap iterated in reverse)",
			routes: []map[string]any{{"id": id1, "paths": []any{"/same"}}, {"id": id2, "paths": []any{"/same"}}},
			reqs:   []req{{method: "GET", path: "/same", host: "d.org", want: id2}},
		},
		{
			name:   "methods+hosts+paths+headers set bit 63 and beat a plain host route",
			source: "reference §5.3 (3.9.3 32-bit shift rule)",
			routes: []map[string]any{
				{"id": id2, "hosts": []any{"a.com"}, "paths": []any{"/x"}},
				{"id": id1, "hosts": []any{"*.com"}, "methods": []any{"GET"}, "paths": []any{"/"}, "headers": map[string]any{"h": []any{"1"}}},
			},
			reqs: []req{{method: "GET", path: "/x", host: "a.com", header: http.Header{"H": {"1"}}, want: id1}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sn := compileRoutes(t, Options{}, c.routes...)
			for _, q := range c.reqs {
				got, _ := selectRoute(sn, q.method, q.path, q.host, q.header)
				if got != q.want {
					t.Errorf("%s %s host %s %v: matched %q, want %q (source %s)", q.method, q.path, q.host, q.header, got, q.want, c.source)
				}
			}
		})
	}
}

// pathHandlingCases are spec/fixtures/router_path_handling_tests.lua
// (Kong 3.9.3) as expanded by its expand(): service path, route path ("" for
// none: the route matches by host), strip_path, path_handling, request
// path, expected upstream path.
var pathHandlingCases = [][6]any{
	{"/", "/", []bool{false, true}, "v0 v1", "/", "/"},
	{"/", "/", []bool{false, true}, "v0 v1", "/route", "/route"},
	{"/", "/", []bool{false, true}, "v0 v1", "/route/", "/route/"},
	{"/", "/", []bool{false, true}, "v0 v1", "/routereq", "/routereq"},
	{"/", "/", []bool{false, true}, "v0 v1", "/route/req", "/route/req"},
	{"/", "/route", []bool{false}, "v0 v1", "/route", "/route"},
	{"/", "/route", []bool{false}, "v0 v1", "/route/", "/route/"},
	{"/", "/route", []bool{false}, "v0 v1", "/routereq", "/routereq"},
	{"/", "/route", []bool{true}, "v0 v1", "/route", "/"},
	{"/", "/route", []bool{true}, "v0 v1", "/route/", "/"},
	{"/", "/route", []bool{true}, "v0 v1", "/routereq", "/req"},
	{"/", "/route/", []bool{false}, "v0 v1", "/route/", "/route/"},
	{"/", "/route/", []bool{false}, "v0 v1", "/route/req", "/route/req"},
	{"/", "/route/", []bool{true}, "v0 v1", "/route/", "/"},
	{"/", "/route/", []bool{true}, "v0 v1", "/route/req", "/req"},
	{"/srv", "/rou", []bool{false}, "v0", "/roureq", "/srv/roureq"},
	{"/srv", "/rou", []bool{false}, "v1", "/roureq", "/srvroureq"},
	{"/srv", "/rou", []bool{true}, "v0", "/roureq", "/srv/req"},
	{"/srv", "/rou", []bool{true}, "v1", "/roureq", "/srvreq"},
	{"/srv/", "/rou", []bool{false}, "v0 v1", "/rou", "/srv/rou"},
	{"/srv/", "/rou", []bool{true}, "v0", "/rou", "/srv"},
	{"/srv/", "/rou", []bool{true}, "v1", "/rou", "/srv/"},
	{"/service", "/", []bool{false, true}, "v0 v1", "/", "/service"},
	{"/service", "/", []bool{false, true}, "v0", "/route", "/service/route"},
	{"/service", "/", []bool{false, true}, "v1", "/route", "/serviceroute"},
	{"/service", "/", []bool{false, true}, "v0", "/route/", "/service/route/"},
	{"/service", "/", []bool{false, true}, "v1", "/route/", "/serviceroute/"},
	{"/service", "/route", []bool{false}, "v0", "/route", "/service/route"},
	{"/service", "/route", []bool{false}, "v1", "/route", "/serviceroute"},
	{"/service", "/route", []bool{true}, "v0 v1", "/route", "/service"},
	{"/service", "/route", []bool{true}, "v0 v1", "/route/", "/service/"},
	{"/service", "/route", []bool{true}, "v0", "/routereq", "/service/req"},
	{"/service", "/route", []bool{true}, "v1", "/routereq", "/servicereq"},
	{"/service", "/route/", []bool{true}, "v0", "/route/", "/service/"},
	{"/service", "/route/", []bool{true}, "v1", "/route/", "/service"},
	{"/service/", "/", []bool{false, true}, "v0 v1", "/", "/service/"},
	{"/service/", "/route", []bool{true}, "v0", "/route", "/service"},
	{"/service/", "/route", []bool{true}, "v1", "/route", "/service/"},
	{"/service/", "/route/", []bool{true}, "v0 v1", "/route/req", "/service/req"},
	{"/", "", []bool{false, true}, "v0 v1", "/route/", "/route/"},
	{"/service", "", []bool{false, true}, "v0", "/route", "/service/route"},
	{"/service", "", []bool{false, true}, "v1", "/route", "/serviceroute"},
	{"/service/", "", []bool{false, true}, "v0 v1", "/route", "/service/route"},
	{"/service", "/route", []bool{true}, "v0", "/route./req", "/service/req"},
	{"/service", "/route", []bool{true}, "v1", "/route./req", "/servicereq"},
	{"/service", "/route", []bool{true}, "v0", "/route%2E/req", "/service/req"},
	{"/service", "/route", []bool{true}, "v0", "/route%2e%2E/req", "/service/req"},
	{"/service/", "/route", []bool{true}, "v0 v1", "/route../req", "/service/req"},
	{"/service", "/route", []bool{false}, "v0", "/route%2E/req", "/service/route./req"},
	{"/service", "/route", []bool{false}, "v1", "/route%2e%2E/req", "/serviceroute../req"},
}

// TestUpstreamPathFollowsKongPathHandlingFixture runs Kong's own slash
// handling table (a selection of its 113 rows): v0 through the default
// traditional_compatible flavor, v1 through router_flavor=traditional,
// which is the only flavor where Kong honours it.
func TestUpstreamPathFollowsKongPathHandlingFixture(t *testing.T) {
	for i, c := range pathHandlingCases {
		svcPath, routePath, strips, handlings, reqPath, want := c[0].(string), c[1].(string), c[2].([]bool), c[3].(string), c[4].(string), c[5].(string)
		for _, strip := range strips {
			for _, ph := range strings.Fields(handlings) {
				opts := Options{}
				if ph == "v1" {
					opts.RouterFlavor = "traditional"
				}
				route := map[string]any{"id": id1, "strip_path": strip, "path_handling": ph, "hosts": []any{"localbin.com"}}
				if routePath != "" {
					route["paths"] = []any{routePath}
				}
				sn := compileRoutes(t, opts, route)
				q := &request{method: "GET", path: normalizePath(reqPath), host: "localbin.com", port: 8000, header: http.Header{}}
				m, matched := sn.router.find(q)
				if m == nil {
					t.Fatalf("row %d: %s did not match", i+1, reqPath)
				}
				prefix := "/"
				if m.r.stripPath && matched != "" {
					prefix = matched
				}
				if got := upstreamPath(m.r, prefix, matched, q.path, svcPath); got != want {
					t.Errorf("row %d (service %s, route %q, strip %v, %s, request %s): upstream path %q, want %q",
						i+1, svcPath, routePath, strip, ph, reqPath, got, want)
				}
			}
		}
	}
}

func TestPriorityReproducesLuaJIT32BitShifts(t *testing.T) {
	cases := []struct {
		name string
		spec routeSpec
		want uint64
	}{
		{"one prefix path", routeSpec{paths: []string{"/foo"}}, 1<<29 | 4},
		{"plain host only", routeSpec{hosts: []string{"a.com"}, hostsSet: true}, 1<<60 | 1<<29},
		{"empty hosts array still sets the plain bit", routeSpec{hostsSet: true}, 1 << 60},
		{"regex with priority 1", routeSpec{paths: []string{"~/x"}, regexPriority: 1}, 1<<51 | 1<<29 | 1<<19},
		{"four fields wrap into bit 63", routeSpec{methods: []string{"GET"}, hosts: []string{"*.a"}, paths: []string{"/"},
			headers: map[string][]string{"h": {"1"}}}, 1 << 63},
	}
	for _, c := range cases {
		if got := priority(c.spec, c.spec.paths); got != c.want {
			t.Errorf("%s: priority %#x, want %#x", c.name, got, c.want)
		}
	}
}
