package translate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kong/go-kong/kong"
	netv1 "k8s.io/api/networking/v1"
)

// Ingress translation constants, KIC's (subtranslator_vars.go, translate_vars.go).
const (
	kongPathRegexPrefix       = "~"
	controllerPathRegexPrefix = "/~"
	defaultServiceTimeout     = 60000
	defaultRetries            = 5
	defaultHTTPPort           = 80
)

// legacyRegexPath is KIC's heuristic for "this 2.x path was a plain path, not a regex".
var legacyRegexPath = regexp.MustCompile(`^[a-zA-Z0-9\.\-_~/%]*$`)

// ingressRouteMeta collects, per Kong route, the paths of one (Ingress, host, backend)
// (KIC's ingressTranslationMeta: all paths of that triple go into one route, across rules).
type ingressRouteMeta struct {
	ingress     *netv1.Ingress // last Ingress seen for the route (KIC's parentIngress)
	first       *netv1.Ingress // the Ingress that created it, whose tags the route gets
	host        string
	backendName string
	port        portDef
	paths       []netv1.HTTPIngressPath
	regexPrefix func(string) string
}

// translateIngresses is KIC's ingressRulesFromIngressV1: every Ingress path becomes part of a
// route named <ns>.<ingress>.<svc>.<host>.<port> on service <ns>.<svc>.<port>; TLS sections
// demand certificates; the oldest Ingress with a defaultBackend gets a catch-all route.
func (t *translator) translateIngresses() *ruleSet {
	rs := newRuleSet()
	ingresses := sortedByCreation(t.snap.Ingresses)
	icp := t.ingressClassParams()

	var defaultBackends []*netv1.Ingress
	for _, ing := range ingresses {
		if ing.Spec.DefaultBackend != nil {
			defaultBackends = append(defaultBackends, ing)
		}
		for _, tls := range ing.Spec.TLS {
			if len(tls.Hosts) == 0 || tls.SecretName == "" {
				continue
			}
			rs.addSNIs(ing.Namespace, tls.SecretName, tls.Hosts, ing)
		}
	}

	metas := map[string]*ingressRouteMeta{}
	var metaOrder []string
	for _, ing := range ingresses {
		prefix := regexPrefixFn(ing, icp.EnableLegacyRegexDetection)
		for ri, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for pi, p := range rule.HTTP.Paths {
				p.Path = flattenSlashes(p.Path)
				if p.Path == "" {
					p.Path = "/"
				}
				if p.PathType == nil {
					pt := netv1.PathTypeImplementationSpecific
					p.PathType = &pt
				}
				field := fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", ri, pi)
				svc := p.Backend.Service
				if svc == nil {
					if r := p.Backend.Resource; r != nil {
						t.fail(ing, field+".resource", "failed to get backend for ingress path %q: unsupported resource type %s", p.Path, resourceGK(r.APIGroup, r.Kind))
					} else {
						t.fail(ing, field, "failed to get backend for ingress path %q: no Service or Resource specified", p.Path)
					}
					continue
				}
				if svc.Name == "" {
					t.fail(ing, field+".service.name", "failed to translate Ingress into Kong Service: failed to create ServiceBackend for Kubernetes Service %q: name cannot be empty", svc.Name)
					continue
				}
				port := portFromBackend(svc.Port)
				key := ingressRouteName(ing.Namespace, ing.Name, svc.Name, rule.Host, port)
				m, ok := metas[key]
				if !ok {
					m = &ingressRouteMeta{first: ing, host: rule.Host, backendName: svc.Name, port: port, regexPrefix: prefix}
					metas[key] = m
					metaOrder = append(metaOrder, key)
				}
				m.ingress = ing
				m.paths = append(m.paths, p)
			}
		}
	}

	for _, key := range metaOrder {
		m := metas[key]
		ns := m.ingress.Namespace
		svcName := ns + "." + m.backendName + "." + m.port.canonical()
		ks := rs.service(svcName, func() *kongService {
			return &kongService{
				Service:   ingressServiceDefaults(m.backendName+"."+ns+"."+m.port.canonical()+".svc", kong.String("/")),
				Namespace: ns,
				Backends:  []serviceBackend{{Namespace: ns, Name: m.backendName, Port: m.port}},
				Parent:    m.ingress,
			}
		})
		ks.Routes = append(ks.Routes, t.ingressRoute(m))
	}
	for _, name := range rs.order {
		routes := rs.services[name].Routes
		slices.SortStableFunc(routes, func(a, b *kongRoute) int { return strings.Compare(deref(a.Name), deref(b.Name)) })
	}
	for _, name := range rs.order {
		if !t.maybeRewriteURI(rs.services[name]) {
			delete(rs.services, name)
		}
	}
	rs.order = slices.DeleteFunc(rs.order, func(n string) bool { return rs.services[n] == nil })

	if def, ok := t.defaultBackendService(defaultBackends); ok {
		if have, exists := rs.services[deref(def.Name)]; exists {
			have.Routes = append(have.Routes, def.Routes...)
		} else {
			rs.services[deref(def.Name)] = def
			rs.order = append(rs.order, deref(def.Name))
		}
	}
	return rs
}

func ingressServiceDefaults(host string, path *string) kong.Service {
	return kong.Service{
		Host:           kong.String(host),
		Port:           kong.Int(defaultHTTPPort),
		Protocol:       kong.String("http"),
		Path:           path,
		ConnectTimeout: kong.Int(defaultServiceTimeout),
		ReadTimeout:    kong.Int(defaultServiceTimeout),
		WriteTimeout:   kong.Int(defaultServiceTimeout),
		Retries:        kong.Int(defaultRetries),
	}
}

func ingressRouteName(ns, ing, svc, host string, port portDef) string {
	return ns + "." + ing + "." + svc + "." + host + "." + port.canonical()
}

func (t *translator) ingressRoute(m *ingressRouteMeta) *kongRoute {
	host := strings.ReplaceAll(m.host, "*", "_")
	r := &kongRoute{Parent: m.ingress}
	r.Route.Route = kong.Route{
		Name:              kong.String(ingressRouteName(m.ingress.Namespace, m.ingress.Name, m.backendName, host, m.port)),
		StripPath:         kong.Bool(false),
		PreserveHost:      kong.Bool(true),
		Protocols:         ingressRouteProtocols(m.ingress.Annotations),
		RegexPriority:     kong.Int(0),
		RequestBuffering:  kong.Bool(true),
		ResponseBuffering: kong.Bool(true),
		Tags:              t.tags(m.first),
	}
	if m.host != "" {
		r.Hosts = append(r.Hosts, kong.String(m.host))
	}
	for _, p := range m.paths {
		for _, path := range pathsFromIngressPath(p) {
			r.Paths = append(r.Paths, kong.String(m.regexPrefix(path)))
		}
	}
	return r
}

// ingressRouteProtocols are the konghq.com/protocols values, sorted; nil when absent.
func ingressRouteProtocols(anns map[string]string) []*string {
	ps := commaList(anns[annProtocols])
	if len(ps) == 0 {
		return nil
	}
	slices.Sort(ps)
	return kong.StringSlice(ps...)
}

// pathsFromIngressPath is KIC's PathsFromIngressPaths: Prefix /foo → /foo/ and ~/foo$;
// Exact /foo → ~/foo$; ImplementationSpecific verbatim.
func pathsFromIngressPath(p netv1.HTTPIngressPath) []string {
	var plain, regex []string
	switch *p.PathType {
	case netv1.PathTypePrefix:
		base := strings.Trim(p.Path, "/")
		if base == "" {
			plain = append(plain, "/")
		} else {
			plain = append(plain, "/"+base+"/")
			regex = append(regex, kongPathRegexPrefix+"/"+base+"$")
		}
	case netv1.PathTypeExact:
		regex = append(regex, kongPathRegexPrefix+"/"+strings.TrimLeft(p.Path, "/")+"$")
	case netv1.PathTypeImplementationSpecific:
		if p.Path == "" {
			plain = append(plain, "/")
		} else {
			plain = append(plain, p.Path)
		}
	default:
		return nil
	}
	return append(plain, regex...)
}

// flattenSlashes collapses runs of '/' into one.
func flattenSlashes(path string) string {
	if !strings.Contains(path, "//") {
		return path
	}
	var b strings.Builder
	prevSlash := false
	for _, c := range path {
		if c == '/' && prevSlash {
			continue
		}
		prevSlash = c == '/'
		b.WriteRune(c)
	}
	return b.String()
}

// regexPrefixFn is KIC's MaybePrependRegexPrefixForIngressV1Fn: a path starting with the
// Ingress's regex prefix (konghq.com/regex-prefix, default /~) becomes a Kong regex path
// (~...); with the legacy heuristic, any path that is not a plain path does too.
func regexPrefixFn(ing *netv1.Ingress, legacy bool) func(string) string {
	prefix := controllerPathRegexPrefix
	if p, ok := ing.Annotations[annRegexPrefix]; ok {
		prefix = p
	}
	return func(path string) string {
		if strings.HasPrefix(path, prefix) {
			return strings.Replace(path, prefix, kongPathRegexPrefix, 1)
		}
		if legacy && legacyRegexPath.FindString(path) == "" && !strings.HasPrefix(path, kongPathRegexPrefix) {
			return kongPathRegexPrefix + path
		}
		return path
	}
}

func resourceGK(group *string, kind string) string {
	if group != nil {
		return *group + "/" + kind
	}
	return kind
}

func portFromBackend(p netv1.ServiceBackendPort) portDef {
	switch {
	case p.Number != 0:
		return portDef{Mode: portModeByNumber, Number: p.Number}
	case p.Name != "":
		return portDef{Mode: portModeByName, Name: p.Name}
	}
	return portDef{Mode: portModeImplicit}
}

// defaultBackendService is KIC's getDefaultBackendService: only the oldest Ingress with a
// defaultBackend counts; its route <ns>.<ingress> matches "/" on service <ns>.<svc>.<port>
// (which, unlike rule services, has no path).
func (t *translator) defaultBackendService(ings []*netv1.Ingress) (*kongService, bool) {
	if len(ings) == 0 {
		return nil, false
	}
	ing := ings[0]
	for _, other := range ings[1:] {
		t.warn(other, "spec.defaultBackend", "ignored: Ingress %s/%s is older and its defaultBackend wins", ing.Namespace, ing.Name)
	}
	def := ing.Spec.DefaultBackend
	if def.Service == nil {
		if r := def.Resource; r != nil {
			t.fail(ing, "spec.defaultBackend.resource", "default backend: unsupported resource type %s", resourceGK(r.APIGroup, r.Kind))
		} else {
			t.fail(ing, "spec.defaultBackend", "default backend: no Service or Resource specified")
		}
		return nil, false
	}
	if def.Service.Name == "" {
		t.fail(ing, "spec.defaultBackend.service.name", "failed to create ServiceBackend for default backend: name cannot be empty")
		return nil, false
	}
	port := portFromBackend(def.Service.Port)
	r := &kongRoute{Parent: ing}
	r.Route.Route = kong.Route{
		Name:              kong.String(ing.Namespace + "." + ing.Name),
		StripPath:         kong.Bool(false),
		PreserveHost:      kong.Bool(true),
		RequestBuffering:  kong.Bool(true),
		ResponseBuffering: kong.Bool(true),
		Tags:              t.tags(ing),
		Paths:             kong.StringSlice("/"),
		RegexPriority:     kong.Int(0),
	}
	svc := &kongService{
		Service:   ingressServiceDefaults(def.Service.Name+"."+ing.Namespace+"."+port.canonical()+".svc", nil),
		Namespace: ing.Namespace,
		Backends:  []serviceBackend{{Namespace: ing.Namespace, Name: def.Service.Name, Port: port}},
		Parent:    ing,
		Routes:    []*kongRoute{r},
	}
	svc.Name = kong.String(ing.Namespace + "." + def.Service.Name + "." + port.canonical())
	return svc, true
}

// maybeRewriteURI is KIC's MaybeRewriteURI: konghq.com/rewrite on the route's Ingress adds a
// request-transformer replacing the URI with the captures; without the RewriteURIs gate the
// annotation is an error and the whole service is left out. It reports whether to keep svc.
func (t *translator) maybeRewriteURI(svc *kongService) bool {
	for _, r := range svc.Routes {
		uri, ok := r.Parent.GetAnnotations()[annRewrite]
		if !ok {
			continue
		}
		if !t.opts.RewriteURIs {
			t.fail(svc.Parent, annField(annRewrite), "konghq.com/rewrite annotation not supported when rewrite uris disabled")
			return false
		}
		if uri == "" {
			uri = "/"
		}
		cfg, err := rewriteURIConfig(uri)
		if err != nil {
			t.fail(svc.Parent, annField(annRewrite), "invalid value %q: %v", uri, err)
			return false
		}
		r.Plugins = append(r.Plugins, &kong.Plugin{
			Name:   kong.String("request-transformer"),
			Config: kong.Configuration{"replace": map[string]any{"uri": cfg}},
		})
	}
	return true
}

// rewriteURIConfig turns $N into $(uri_captures[N]); \$ is a literal $.
func rewriteURIConfig(uri string) (string, error) {
	var out strings.Builder
	const (
		plain = iota
		escape
		mark
		digit
	)
	state := plain
	for i, c := range uri {
		switch state {
		case escape:
			if c != '$' {
				return "", fmt.Errorf("unexpected %c at pos %d", c, i)
			}
			out.WriteRune(c)
			state = plain
		case mark:
			if c < '0' || c > '9' {
				return "", fmt.Errorf("unexpected %c at pos %d", c, i)
			}
			out.WriteString("$(uri_captures[")
			out.WriteRune(c)
			state = digit
		case digit:
			if c >= '0' && c <= '9' {
				out.WriteRune(c)
				continue
			}
			out.WriteString("])")
			switch c {
			case '$':
				state = mark
			case '\\':
				state = escape
			default:
				out.WriteRune(c)
				state = plain
			}
		case plain:
			switch c {
			case '$':
				state = mark
			case '\\':
				state = escape
			default:
				out.WriteRune(c)
			}
		}
	}
	if state == digit {
		out.WriteString("])")
		state = plain
	}
	if state != plain {
		return "", fmt.Errorf("unexpected end of string")
	}
	return out.String(), nil
}
