package translate

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/kong/go-kong/kong"
)

var (
	validMethods      = regexp.MustCompile(`\A[A-Z]+$`)
	validPathHandling = regexp.MustCompile(`v\d`)
	validSNI          = regexp.MustCompile(`^([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)+(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*$`)
	validHost         = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)+(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*?(\.\*)?$`)
)

// applyOverrides is the first half of KIC's FillOverrides: Service annotations on each Kong
// service, route annotations of each route's parent object on the route; then the upstream
// overrides.
func (t *translator) applyOverrides(services []*kongService) {
	for _, svc := range services {
		t.overrideService(svc)
		for _, r := range svc.Routes {
			t.overrideRoute(r)
		}
	}
	t.overrideUpstreams()
}

// overrideRoute is KIC's Route.Override: konghq.com/* annotations on the route's parent, each
// ignored when invalid (reported as a warning), then protocol normalisation.
func (t *translator) overrideRoute(r *kongRoute) {
	if r.Parent == nil {
		return
	}
	anns := r.Parent.GetAnnotations()
	t.boolAnnotation(r.Parent, annStripPath, &r.StripPath, false)
	t.overrideHTTPSRedirect(r, anns)
	t.boolAnnotation(r.Parent, annPreserveHost, &r.PreserveHost, false)
	t.boolAnnotation(r.Parent, annRequestBuffering, &r.RequestBuffering, true)
	t.boolAnnotation(r.Parent, annResponseBuffering, &r.ResponseBuffering, true)
	if ps := commaList(anns[annProtocols]); len(ps) > 0 {
		valid := true
		for _, p := range ps {
			if !validateProtocol(p) {
				valid = false
				t.warn(r.Parent, annField(annProtocols), "ignored: invalid protocol %q", p)
				break
			}
		}
		if valid {
			r.Protocols = kong.StringSlice(ps...)
		}
	}
	if v := anns[annRegexPriority]; v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			r.RegexPriority = kong.Int(n)
		} else {
			t.warn(r.Parent, annField(annRegexPriority), "ignored: %q is not an integer", v)
		}
	}
	if ms := commaList(anns[annMethods], strings.ToUpper); len(ms) > 0 {
		if ok := allMatch(ms, validMethods); ok {
			r.Methods = kong.StringSlice(ms...)
		} else {
			t.warn(r.Parent, annField(annMethods), "ignored: invalid method in %q", anns[annMethods])
		}
	}
	if v, ok := anns[annSNIs]; ok {
		snis := commaList(v)
		if allMatch(snis, validSNI) {
			r.SNIs = kong.StringSlice(snis...)
			if len(snis) == 0 {
				r.SNIs = nil
			}
		} else {
			t.warn(r.Parent, annField(annSNIs), "ignored: invalid SNI in %q", v)
		}
	}
	if v := anns[annHostAliases]; v != "" {
		aliases := commaList(v)
		if allMatch(aliases, validHost) {
			for _, a := range aliases {
				if !containsPtr(r.Hosts, a) {
					r.Hosts = append(r.Hosts, kong.String(a))
				}
			}
		} else {
			t.warn(r.Parent, annField(annHostAliases), "ignored: invalid host alias in %q", v)
		}
	}
	if h := routeHeaders(anns); h != nil {
		r.Headers = h
	}
	if v, ok := anns[annPathHandling]; ok {
		if validPathHandling.MatchString(v) {
			r.PathHandling = kong.String(v)
		} else {
			t.warn(r.Parent, annField(annPathHandling), "ignored: invalid path_handling %q", v)
		}
	}
	normalizeProtocols(r)
}

// boolAnnotation sets *dst from a true/false annotation (case-insensitive). strconv forms
// ("1", "t") are accepted when parseBool is set, as KIC's buffering annotations accept them.
func (t *translator) boolAnnotation(obj object, key string, dst **bool, parseBool bool) {
	v, ok := obj.GetAnnotations()[key]
	if !ok || (v == "" && !parseBool) {
		return
	}
	lv := strings.ToLower(v)
	if parseBool {
		b, err := strconv.ParseBool(lv)
		if err != nil {
			t.warn(obj, annField(key), "ignored: %q is not a boolean", v)
			return
		}
		*dst = kong.Bool(b)
		return
	}
	switch lv {
	case "true":
		*dst = kong.Bool(true)
	case "false":
		*dst = kong.Bool(false)
	default:
		t.warn(obj, annField(key), "ignored: %q is not true or false", v)
	}
}

func (t *translator) overrideHTTPSRedirect(r *kongRoute, anns map[string]string) {
	if anns[annForceSSLRedirect] == "true" {
		r.HTTPSRedirectStatusCode = kong.Int(302)
		useSSLProtocol(r)
	}
	v := anns[annHTTPSRedirectCode]
	if v == "" {
		return
	}
	code, err := strconv.Atoi(v)
	if err != nil || (code != 426 && code != 301 && code != 302 && code != 307 && code != 308) {
		t.warn(r.Parent, annField(annHTTPSRedirectCode), "ignored: %q is not one of 426, 301, 302, 307, 308", v)
		return
	}
	r.HTTPSRedirectStatusCode = kong.Int(code)
}

// useSSLProtocol restricts the route to the TLS variants of its protocols.
func useSSLProtocol(r *kongRoute) {
	var http, grpc bool
	for _, p := range r.Protocols {
		if strings.Contains(deref(p), "grpc") {
			grpc = true
		}
		if strings.Contains(deref(p), "http") {
			http = true
		}
	}
	var out []*string
	if grpc {
		out = append(out, kong.String("grpcs"))
	}
	if http || !grpc {
		out = append(out, kong.String("https"))
	}
	r.Protocols = out
}

// normalizeProtocols is KIC's Route.normalizeProtocols: mixing gRPC and HTTP protocols falls
// back to http/https; gRPC routes carry no strip_path.
func normalizeProtocols(r *kongRoute) {
	var http, grpc bool
	for _, p := range r.Protocols {
		s := deref(p)
		if strings.Contains(s, "grpc") {
			grpc = true
		}
		if strings.Contains(s, "http") || !validateProtocol(s) {
			http = true
		}
	}
	if grpc && http {
		r.Protocols = kong.StringSlice("http", "https")
	}
	if grpc {
		r.StripPath = nil
	}
}

// routeHeaders is KIC's ExtractHeaders: konghq.com/headers.<name> values split on the
// separator (konghq.com/headers-separator, default ",").
func routeHeaders(anns map[string]string) map[string][]string {
	sep, ok := anns[annHeadersSeparator]
	if !ok {
		sep = ","
	}
	var out map[string][]string
	for k, v := range anns {
		name, found := strings.CutPrefix(k, annHeadersPrefix)
		if !found || name == "" || v == "" {
			continue
		}
		if out == nil {
			out = map[string][]string{}
		}
		var vals []string
		for _, part := range strings.Split(v, sep) {
			vals = append(vals, strings.TrimSpace(part))
		}
		out[name] = vals
	}
	return out
}

func allMatch(vs []string, re *regexp.Regexp) bool {
	for _, v := range vs {
		if !re.MatchString(v) {
			return false
		}
	}
	return true
}

func containsPtr(ps []*string, s string) bool {
	for _, p := range ps {
		if deref(p) == s {
			return true
		}
	}
	return false
}

// versionLess compares dotted versions numerically; an unparsable a counts as new enough.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pb); i++ {
		if i >= len(pa) {
			return true
		}
		x, err1 := strconv.Atoi(pa[i])
		y, err2 := strconv.Atoi(pb[i])
		if err1 != nil || err2 != nil {
			return false
		}
		if x != y {
			return x < y
		}
	}
	return false
}
