package schema

import (
	"net/url"
	"strconv"
)

// common fields
func idField() *Field      { return tUUID.Named("id") }
func createdAt() *Field    { return tTimeS.Named("created_at") }
func updatedAt() *Field    { return tTimeS.Named("updated_at") }
func tagsField() *Field    { return tTags.Named("tags") }
func timeout(n int) *Field { return El(Integer, Between(1, 2147483646), Def(n)) }
func shorthand(name string, t Type, fn func(v any, rec map[string]any) string) *Shorthand {
	return &Shorthand{Field: F(name, t), Translate: fn}
}

func ifThen(ifField string, ifMatch *Field, thenField string, thenMatch *Field) *Check {
	return &Check{Kind: "conditional", IfField: ifField, IfMatch: ifMatch, ThenField: thenField, ThenMatch: thenMatch}
}

// match builds an if_match/then_match table (a field without a type).
func match(opts ...Opt) *Field { return F("", "", opts...) }

var services = &Entity{
	Name: "services", Table: "services", AdminPath: "services", EndpointKey: "name", Workspaceable: true,
	Fields: []*Field{
		idField(), createdAt(), updatedAt(),
		tUTF8Name.Named("name"),
		F("retries", Integer, Def(5), Between(0, 32767)),
		tProtocol.Named("protocol", Required, Def("http")),
		tHost.Named("host", Required),
		tPort.Named("port", Required, Def(80)),
		tPath.Named("path"),
		timeout(60000).Named("connect_timeout"),
		timeout(60000).Named("write_timeout"),
		timeout(60000).Named("read_timeout"),
		tagsField(),
		F("client_certificate", Foreign, Ref("certificates")),
		F("tls_verify", Boolean),
		F("tls_verify_depth", Integer, Def(nil), Between(0, 64)),
		F("ca_certificates", Array, Elements(El(String, func(f *Field) { f.UUID = true }))),
		F("enabled", Boolean, Required, Def(true)),
	},
	Checks: []*Check{
		ifThen("protocol", match(OneOf("tcp", "tls", "udp", "grpc", "grpcs")), "path", match(EqNull)),
		ifThen("protocol", match(NotOneOf("https", "tls")), "client_certificate", match(EqNull)),
		ifThen("protocol", match(NotOneOf("https", "tls")), "tls_verify", match(EqNull)),
		ifThen("protocol", match(NotOneOf("https", "tls")), "tls_verify_depth", match(EqNull)),
		ifThen("protocol", match(NotOneOf("https", "tls")), "ca_certificates", match(EqNull)),
	},
	Shorthands: []*Shorthand{shorthand("url", String, serviceURL)},
}

// serviceURL expands the url shorthand like Kong (socket.url): an explicit
// port wins, else 80/443 by scheme.
func serviceURL(v any, rec map[string]any) string {
	s, _ := v.(string)
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	port, perr := strconv.Atoi(u.Port())
	hasPort := u.Port() != "" && perr == nil
	proto := u.Scheme
	if proto == "" {
		switch {
		case hasPort && port == 80:
			proto = "http"
		case hasPort && port == 443:
			proto = "https"
		default:
			proto = "http"
		}
	}
	rec["protocol"] = proto
	if h := u.Hostname(); h != "" {
		rec["host"] = h
	} else {
		rec["host"] = nil
	}
	switch {
	case hasPort:
		rec["port"] = float64(port)
	case proto == "https":
		rec["port"] = float64(443)
	default:
		rec["port"] = float64(80)
	}
	if p := u.EscapedPath(); p != "" {
		rec["path"] = p
	} else {
		rec["path"] = nil
	}
	return ""
}

func withErr(f *Field, msg string) *Field { return f.With(EqNull, Err(msg)) }

var (
	tSources = El(Set, Elements(El(Record, Fields(tIPOrCIDR.Named("ip"), tPort.Named("port")),
		func(f *Field) { f.Checks = []*Check{{Kind: "at_least_one_of", Fields: []string{"ip", "port"}}} })))
	tHosts = El(Array, Elements(El(String,
		func(f *Field) {
			f.MatchAll = []PatternErr{{"^[^*]*%*?[^*]*$", "invalid wildcard: must have at most one wildcard"}}
			f.MatchAny = &MatchAny{Patterns: []string{"^%*%.", "%.%*$", "^[^*]*$"}, Err: "invalid wildcard: must be placed at leftmost or rightmost label"}
		},
		CustomStr(func(s string) string { return validateHostOptionalPort(replaceStar(s)) }))))
	tRouterPaths = El(Array, Elements(El(String,
		func(f *Field) {
			f.MatchAny = &MatchAny{Patterns: []string{"^/", "^~/"}, Err: "should start with: / (fixed path) or ~/ (regex path)"}
			f.MatchNone = []PatternErr{{"//", "must not have empty segments"}}
		},
		CustomStr(validateRouterPath))))
	tRouteHeaders = El(Map, KV(
		tHeader.With(func(f *Field) {
			f.MatchNone = []PatternErr{{"^[Hh][Oo][Ss][Tt]$", "cannot contain 'host' header, which must be specified in the 'hosts' attribute"}}
		}),
		El(Array, Elements(El(String)))))
)

// Kong's router flavors (kong.conf router_flavor); the routes schema
// depends on the flavor.
const (
	FlavorTraditional           = "traditional"
	FlavorTraditionalCompatible = "traditional_compatible"
	FlavorExpressions           = "expressions"
)

// newRoutes is the routes entity of a router flavor
// (kong/db/schema/entities/routes.lua): SNIs are plain SNIs under the
// traditional router and may be wildcards otherwise; the ATC flavors add the
// router check, and expressions adds the expression and priority fields.
func newRoutes(flavor string) *Entity {
	sniElement := tWildHost
	if flavor == FlavorTraditional {
		sniElement = tSNI
	}
	e := &Entity{
		Name: "routes", Table: "routes", AdminPath: "routes", NestedPath: "routes", EndpointKey: "name", Workspaceable: true,
		SubschemaKey: "protocols", SubschemaError: "unknown type: %s",
		Fields: []*Field{
			idField(), createdAt(), updatedAt(),
			tUTF8Name.Named("name"),
			F("protocols", Set, LenMin(1), Required, Elements(tProtocol), Def([]any{"http", "https"}),
				func(f *Field) {
					f.ExclusiveSubsets = [][]string{{"http", "https"}, {"tcp", "tls", "udp"}, {"tls_passthrough"}, {"grpc", "grpcs"}}
				}),
			F("https_redirect_status_code", Integer, OneOf(426, 301, 302, 307, 308), Def(426), Required),
			F("strip_path", Boolean, Required, Def(true)),
			F("preserve_host", Boolean, Required, Def(false)),
			F("request_buffering", Boolean, Required, Def(true)),
			F("response_buffering", Boolean, Required, Def(true)),
			tagsField(),
			F("service", Foreign, Ref("services")),
			F("snis", Set, Elements(sniElement)),
			tSources.Named("sources"),
			tSources.Named("destinations"),
			tMethods.Named("methods"),
			tHosts.Named("hosts"),
			tRouterPaths.Named("paths"),
			tRouteHeaders.Named("headers"),
			F("regex_priority", Integer, Def(0)),
			F("path_handling", String, Def("v0"), OneOf("v0", "v1")),
		},
		Checks: []*Check{
			{Kind: "conditional", IfField: "protocols",
				IfMatch:   match(Elements(El(String, NotOneOf("grpcs", "https", "tls", "tls_passthrough")))),
				ThenField: "snis", ThenMatch: match(LenEq(0)),
				ThenErr: "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"},
			{Kind: "custom_entity_check", FieldSources: []string{"path_handling"}, Fn: func(map[string]any) map[string]string { return nil }},
		},
	}
	if flavor != FlavorTraditional {
		e.Checks = append(e.Checks, routeCheck())
	}
	if flavor == FlavorExpressions {
		e.Fields = append(e.Fields,
			F("expression", String, Desc("The route expression.")),
			F("priority", Integer, Between(0, 1<<46-1), Required, Def(0),
				Desc("A number used to specify the matching order for expression routes. The higher the `priority`, the sooner an route will be evaluated. This field is ignored unless `expression` field is set.")),
		)
	}
	e.subschema = routeSubschemas(flavor)
	return e
}

func replaceStar(s string) string {
	out := []byte(s)
	res := make([]byte, 0, len(out))
	for _, c := range out {
		if c == '*' {
			res = append(res, "abc"...)
		} else {
			res = append(res, c)
		}
	}
	return string(res)
}

// routeSubs are the protocol subschemas of one flavor
// (kong/db/schema/entities/routes_subschemas.lua).
type routeSubs struct{ http, stream, grpc routeSub }

type routeSub struct {
	fields []*Field
	checks []*Check
}

var streamErr = "when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'"

// newRouteSubs builds the subschemas; under the expressions flavor HTTP and
// gRPC routes may set sources and destinations, and every "at least one
// of" check also accepts an expression.
func newRouteSubs(flavor string) routeSubs {
	expr := func(fields ...string) []string {
		if flavor == FlavorExpressions {
			return append(fields, "expression")
		}
		return fields
	}
	s := routeSubs{
		http: routeSub{
			fields: []*Field{
				withErr(tSources.Named("sources"), "cannot set 'sources' when 'protocols' is 'http' or 'https'"),
				withErr(tSources.Named("destinations"), "cannot set 'destinations' when 'protocols' is 'http' or 'https'"),
			},
			checks: []*Check{{Kind: "conditional_at_least_one_of", IfField: "protocols",
				IfMatch: match(func(f *Field) { f.Contains = "https" }), ThenAtLeastOneOf: expr("methods", "hosts", "headers", "paths", "snis"),
				ThenErr:   "must set one of %s when 'protocols' is 'https'",
				ElseMatch: match(func(f *Field) { f.Contains = "http" }), ElseThenAtLeastOneOf: expr("methods", "hosts", "headers", "paths"),
				ElseThenErr: "must set one of %s when 'protocols' is 'http'"}},
		},
		stream: routeSub{
			fields: []*Field{
				withErr(tMethods.Named("methods"), "cannot set 'methods' "+streamErr),
				withErr(tHosts.Named("hosts"), "cannot set 'hosts' "+streamErr),
				withErr(tRouterPaths.Named("paths"), "cannot set 'paths' "+streamErr),
				withErr(tRouteHeaders.Named("headers"), "cannot set 'headers' "+streamErr),
			},
			checks: []*Check{
				{Kind: "conditional_at_least_one_of", IfField: "protocols",
					IfMatch:          match(Elements(El(String, OneOf("tcp", "tls", "udp")))),
					ThenAtLeastOneOf: expr("sources", "destinations", "snis"),
					ThenErr:          "must set one of %s when 'protocols' is 'tcp', 'tls' or 'udp'"},
				{Kind: "conditional_at_least_one_of", IfField: "protocols",
					IfMatch:          match(Elements(El(String, OneOf("tls_passthrough")))),
					ThenAtLeastOneOf: expr("snis"),
					ThenErr:          "must set snis when 'protocols' is 'tls_passthrough'"},
			},
		},
		grpc: routeSub{
			fields: []*Field{
				F("strip_path", Boolean, Required, Def(false), Ne(true), Err("cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'")),
				withErr(tMethods.Named("methods"), "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'"),
				withErr(tSources.Named("sources"), "cannot set 'sources' when 'protocols' is 'grpc' or 'grpcs'"),
				withErr(tSources.Named("destinations"), "cannot set 'destinations' when 'protocols' is 'grpc' or 'grpcs'"),
			},
			checks: []*Check{{Kind: "conditional_at_least_one_of", IfField: "protocols",
				IfMatch: match(func(f *Field) { f.Contains = "grpcs" }), ThenAtLeastOneOf: expr("hosts", "headers", "paths", "snis"),
				ThenErr:   "must set one of %s when 'protocols' is 'grpcs'",
				ElseMatch: match(func(f *Field) { f.Contains = "grpc" }), ElseThenAtLeastOneOf: expr("hosts", "headers", "paths"),
				ElseThenErr: "must set one of %s when 'protocols' is 'grpc'"}},
		},
	}
	if flavor == FlavorExpressions {
		s.http.fields = nil
		s.grpc.fields = s.grpc.fields[:2]
	}
	return s
}

// all lists the subschemas, for compiling their patterns.
func (s routeSubs) all() []routeSub { return []routeSub{s.http, s.stream, s.grpc} }

// routeSubschemas returns the subschema lookup of a flavor: the subschema
// of the first protocol, as Kong's get_subschema does for a set-valued key.
func routeSubschemas(flavor string) func(key any) ([]*Field, []*Check, bool) {
	subs := newRouteSubs(flavor)
	return func(key any) ([]*Field, []*Check, bool) {
		var list []any
		switch t := key.(type) {
		case string:
			list = []any{t}
		case []any:
			list = t
		}
		for _, p := range list {
			switch p {
			case "http", "https":
				return subs.http.fields, subs.http.checks, true
			case "tcp", "tls", "udp", "tls_passthrough":
				return subs.stream.fields, subs.stream.checks, true
			case "grpc", "grpcs":
				return subs.grpc.fields, subs.grpc.checks, true
			}
		}
		return nil, nil, false
	}
}
