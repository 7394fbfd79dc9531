package translate

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kong/go-kong/kong"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// httpRule is one rule of an HTTPRoute with its position (KIC's httpRouteRuleMeta).
type httpRule struct {
	rule   gatewayv1.HTTPRouteRule
	number int
	route  *gatewayv1.HTTPRoute
}

// key orders rules as KIC does: by the string "namespace/name.number" (so rule 10 sorts
// before rule 2).
func (r httpRule) key() string {
	return fmt.Sprintf("%s/%s.%d", r.route.Namespace, r.route.Name, r.number)
}

// translateHTTPRoutes is KIC's ingressRulesFromHTTPRoutes with the traditional router: rules
// sharing backends become one Kong service, matches sharing method, headers and query become
// one Kong route, filters become plugins.
func (t *translator) translateHTTPRoutes() *ruleSet {
	rs := newRuleSet()
	var routes []*gatewayv1.HTTPRoute
	for _, r := range sortedByName(t.snap.HTTPRoutes) {
		if field, err := validateHTTPRoute(r); err != nil {
			t.fail(r, field, "HTTPRoute can't be routed: %v", err)
			continue
		}
		routes = append(routes, r)
	}
	groups := groupHTTPRules(routes, t.opts.CombinedServicesFromDifferentHTTPRoutes)
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		rules := groups[name]
		slices.SortStableFunc(rules, func(a, b httpRule) int { return strings.Compare(a.key(), b.key()) })
		svc, err := t.httpRouteService(name, rules)
		if err != nil {
			for _, r := range uniqueRoutes(rules) {
				t.fail(r, "spec.rules", "HTTPRoute can't be routed: %v", err)
			}
			continue
		}
		rs.services[name] = svc
		rs.order = append(rs.order, name)
	}
	return rs
}

func validateHTTPRoute(r *gatewayv1.HTTPRoute) (string, error) {
	if len(r.Spec.Rules) == 0 {
		return "spec.rules", errors.New("no rules provided")
	}
	// Query parameter matches need the expressions router; kongdb translates for the
	// traditional one, as KIC does by default.
	for i, rule := range r.Spec.Rules {
		for j, m := range rule.Matches {
			if len(m.QueryParams) > 0 {
				return fmt.Sprintf("spec.rules[%d].matches[%d].queryParams", i, j),
					errors.New("query param matches are not yet supported")
			}
		}
	}
	return "", nil
}

// groupHTTPRules assigns every rule to the Kong service it becomes part of. With combined
// services (KIC's default) rules with the same backends in one namespace share a service named
// after the backends; otherwise rules of one HTTPRoute with the same backendRefs share a service
// named after the route and its first rule.
func groupHTTPRules(routes []*gatewayv1.HTTPRoute, combined bool) map[string][]httpRule {
	groups := map[string][]httpRule{}
	for _, route := range routes {
		if combined {
			for i, rule := range route.Spec.Rules {
				r := httpRule{rule: rule, number: i, route: route}
				name := combinedServiceName(r)
				groups[name] = append(groups[name], r)
			}
			continue
		}
		byRefs := map[string][]httpRule{}
		var order []string
		for i, rule := range route.Spec.Rules {
			k := sortedJSONKey(rule.BackendRefs)
			if _, ok := byRefs[k]; !ok {
				order = append(order, k)
			}
			byRefs[k] = append(byRefs[k], httpRule{rule: rule, number: i, route: route})
		}
		for _, k := range order {
			rules := byRefs[k]
			groups[fmt.Sprintf("httproute.%s.%s.%d", route.Namespace, route.Name, rules[0].number)] = rules
		}
	}
	return groups
}

// combinedServiceName is KIC's getKongServiceNameByBackendRefs.
func combinedServiceName(r httpRule) string {
	ns := r.route.Namespace
	if len(r.rule.BackendRefs) == 0 {
		// A host cannot end with '.', hence the '_'.
		return "httproute." + ns + ".svc._"
	}
	parts := make([]string, 0, len(r.rule.BackendRefs))
	for _, b := range r.rule.BackendRefs {
		bns := ns
		if b.Namespace != nil {
			bns = string(*b.Namespace)
		}
		s := bns + "." + string(b.Name)
		if b.Port != nil {
			s += "." + strconv.Itoa(int(*b.Port))
		}
		if b.Weight != nil {
			s += "." + strconv.Itoa(int(*b.Weight))
		}
		parts = append(parts, s)
	}
	slices.Sort(parts)
	name := "httproute." + ns + ".svc." + strings.Join(parts, "_")
	if len(name) > maxServiceNameLength {
		return fmt.Sprintf("httproute.%s.svc.%s_combined.%x", ns, parts[0], sha256.Sum256([]byte(name)))
	}
	return name
}

// sortedJSONKey is KIC's getSortedItemsString: the items' JSON, sorted and joined, so that the
// same items in any order give the same key.
func sortedJSONKey[T any](items []T) string {
	keys := make([]string, 0, len(items))
	for _, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			b = nil
		}
		keys = append(keys, string(b))
	}
	slices.Sort(keys)
	return strings.Join(keys, ";")
}

func uniqueRoutes(rules []httpRule) []*gatewayv1.HTTPRoute {
	var out []*gatewayv1.HTTPRoute
	for _, r := range rules {
		if !slices.ContainsFunc(out, func(o *gatewayv1.HTTPRoute) bool {
			return o.Namespace == r.route.Namespace && o.Name == r.route.Name
		}) {
			out = append(out, r.route)
		}
	}
	return out
}

// httpRouteService is KIC's translateHTTPRouteRulesMetaToKongstateService.
func (t *translator) httpRouteService(name string, rules []httpRule) (*kongService, error) {
	first := rules[0].route
	svc := &kongService{
		Service:   gatewayService(name, gatewayServiceProtocol),
		Namespace: first.Namespace,
		Parent:    first,
	}
	refs := make([]gatewayv1.BackendRef, 0, len(rules[0].rule.BackendRefs))
	for _, b := range rules[0].rule.BackendRefs {
		refs = append(refs, b.BackendRef)
	}
	svc.Backends = t.gatewayBackends(first, fmt.Sprintf("spec.rules[%d].backendRefs", rules[0].number), refs)
	if len(svc.Backends) == 0 && len(refs) > 0 {
		// Gateway API conformance wants 500 when no backend exists; Kong would answer 503.
		svc.Plugins = append(svc.Plugins, &kong.Plugin{
			Name:   kong.String("request-termination"),
			Config: kong.Configuration{"status_code": 500, "message": "no existing backendRef provided"},
		})
	}
	for _, r := range rules {
		applyBackendRequestTimeout(&svc.Service, r.rule)
	}
	protocols := t.listenerProtocols(uniqueRoutes(rules))
	routes, err := t.httpKongRoutes(rules, protocols)
	if err != nil {
		return nil, err
	}
	svc.Routes = routes
	return svc, nil
}

// applyBackendRequestTimeout sets the service timeouts from timeouts.backendRequest, unless it
// equals the default; the last rule with a timeout wins.
func applyBackendRequestTimeout(svc *kong.Service, rule gatewayv1.HTTPRouteRule) {
	if rule.Timeouts == nil || rule.Timeouts.BackendRequest == nil {
		return
	}
	d, err := time.ParseDuration(string(*rule.Timeouts.BackendRequest))
	if err != nil {
		return
	}
	ms := int(d.Milliseconds())
	if ms == gatewayServiceTimeout {
		return
	}
	svc.ReadTimeout, svc.ConnectTimeout, svc.WriteTimeout = kong.Int(ms), kong.Int(ms), kong.Int(ms)
}

// httpMatch is one match of a rule with its position (KIC's httpRouteMatchMeta).
type httpMatch struct {
	match    gatewayv1.HTTPRouteMatch
	rule     int
	number   int
	ruleName string
	route    *gatewayv1.HTTPRoute
}

// matchKey groups matches that can share one Kong route: same HTTPRoute, method, headers
// (names compared case-insensitively, first of a name wins) and query parameters.
func matchKey(m httpMatch) string {
	seen := map[string]bool{}
	var headers []gatewayv1.HTTPHeaderMatch
	for _, h := range m.match.Headers {
		name := strings.ToLower(string(h.Name))
		if seen[name] {
			continue
		}
		seen[name] = true
		h.Name = gatewayv1.HTTPHeaderName(name)
		headers = append(headers, h)
	}
	slices.SortStableFunc(headers, func(a, b gatewayv1.HTTPHeaderMatch) int { return strings.Compare(string(a.Name), string(b.Name)) })
	seenQ := map[string]bool{}
	var query []gatewayv1.HTTPQueryParamMatch
	for _, q := range m.match.QueryParams {
		if !seenQ[string(q.Name)] {
			seenQ[string(q.Name)] = true
			query = append(query, q)
		}
	}
	b, _ := json.Marshal(struct {
		Namespace, Name string
		Method          *gatewayv1.HTTPMethod
		Headers         []gatewayv1.HTTPHeaderMatch
		Query           []gatewayv1.HTTPQueryParamMatch
	}{m.route.Namespace, m.route.Name, m.match.Method, headers, query})
	return string(b)
}

// httpKongRoutes is KIC's translateHTTPRouteRulesMetaToKongstateRoutes.
func (t *translator) httpKongRoutes(rules []httpRule, protocols []*string) ([]*kongRoute, error) {
	byFilters := map[string][]httpRule{}
	var filterKeys []string
	for _, r := range rules {
		k := sortedJSONKey(r.rule.Filters)
		if _, ok := byFilters[k]; !ok {
			filterKeys = append(filterKeys, k)
		}
		byFilters[k] = append(byFilters[k], r)
	}
	var out []*kongRoute
	for _, fk := range filterKeys {
		group := byFilters[fk]
		filters := group[0].rule.Filters
		matchGroups := map[string][]httpMatch{}
		var matchKeys []string
		for _, r := range group {
			for i, m := range r.rule.Matches {
				hm := httpMatch{match: m, rule: r.number, number: i, ruleName: deref((*string)(r.rule.Name)), route: r.route}
				k := matchKey(hm)
				if _, ok := matchGroups[k]; !ok {
					matchKeys = append(matchKeys, k)
				}
				matchGroups[k] = append(matchGroups[k], hm)
			}
			if len(r.rule.Matches) == 0 {
				// A rule without matches routes by hostname only, or catches everything.
				name := fmt.Sprintf("httproute.%s.%s.%d.0", r.route.Namespace, r.route.Name, r.number)
				out = append(out, t.catchAllRoute(name, r.route, protocols))
			}
		}
		redirects := slices.ContainsFunc(filters, func(f gatewayv1.HTTPRouteFilter) bool {
			return f.Type == gatewayv1.HTTPRouteFilterRequestRedirect
		})
		for _, k := range matchKeys {
			ms := matchGroups[k]
			route := ms[0].route
			if redirects {
				// Deliberately unlike KIC (httproute_redirect.go): each match its own route,
				// named after its own rule and match, or Kong refuses duplicate names and IDs.
				for _, m := range ms {
					name := fmt.Sprintf("httproute.%s.%s.%d.%d", route.Namespace, route.Name, m.rule, m.number)
					var ruleNames []string
					if m.ruleName != "" {
						ruleNames = append(ruleNames, m.ruleName)
					}
					rs, err := t.routesFromMatches(name, route, []gatewayv1.HTTPRouteMatch{m.match}, filters,
						t.tags(route, namedRuleTags(ruleNames...)...), protocols)
					if err != nil {
						return nil, err
					}
					out = append(out, rs...)
				}
				continue
			}
			var ruleNames []string
			matches := make([]gatewayv1.HTTPRouteMatch, 0, len(ms))
			for _, m := range ms {
				matches = append(matches, m.match)
				if m.ruleName != "" {
					ruleNames = append(ruleNames, m.ruleName)
				}
			}
			name := fmt.Sprintf("httproute.%s.%s.%d.%d", route.Namespace, route.Name, ms[0].rule, ms[0].number)
			tags := t.tags(route, namedRuleTags(ruleNames...)...)
			rs, err := t.routesFromMatches(name, route, matches, filters, tags, protocols)
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
	}
	slices.SortStableFunc(out, func(a, b *kongRoute) int { return strings.Compare(deref(a.Name), deref(b.Name)) })
	return out, nil
}

func (t *translator) catchAllRoute(name string, route *gatewayv1.HTTPRoute, protocols []*string) *kongRoute {
	r := &kongRoute{Parent: route}
	r.Name = kong.String(name)
	r.Protocols = protocols
	r.PreserveHost = kong.Bool(true)
	r.Tags = t.tags(route)
	r.Hosts = hostnamePtrs(route.Spec.Hostnames)
	return r
}

func hostnamePtrs(hs []gatewayv1.Hostname) []*string {
	var out []*string
	for _, h := range hs {
		out = append(out, kong.String(string(h)))
	}
	return out
}

// routesFromMatches is KIC's GenerateKongRoutesFromHTTPRouteMatches for matches sharing method,
// headers and query: one Kong route with all their paths; with a RequestRedirect filter it is
// given one match (the redirect needs each match's path).
func (t *translator) routesFromMatches(name string, route *gatewayv1.HTTPRoute, matches []gatewayv1.HTTPRouteMatch,
	filters []gatewayv1.HTTPRouteFilter, tags []*string, protocols []*string,
) ([]*kongRoute, error) {
	r := &kongRoute{Parent: route}
	r.Name = kong.String(name)
	r.Protocols = protocols
	r.PreserveHost = kong.Bool(true)
	r.Hosts = hostnamePtrs(route.Spec.Hostnames)
	r.Tags = tags
	headers, err := kongHeaderMatches(matches[0].Headers)
	if err != nil {
		return nil, err
	}
	if len(headers) > 0 {
		r.Headers = headers
	}
	r.StripPath = kong.Bool(false)

	hasRedirect := slices.ContainsFunc(filters, func(f gatewayv1.HTTPRouteFilter) bool {
		return f.Type == gatewayv1.HTTPRouteFilterRequestRedirect
	})
	seenMethods := map[string]bool{}
	addMatch := func(m gatewayv1.HTTPRouteMatch) {
		if m.Path != nil {
			for _, p := range kongPaths(m) {
				r.Paths = append(r.Paths, kong.String(p))
			}
		}
		if m.Method != nil && !seenMethods[string(*m.Method)] {
			seenMethods[string(*m.Method)] = true
			r.Methods = append(r.Methods, kong.String(string(*m.Method)))
		}
	}
	if hasRedirect {
		// One match (httpKongRoutes); on Kong 3.9 maybe one route per host and protocol, so
		// that the redirect knows the request's own (redirectSplit).
		for _, m := range matches {
			addMatch(m)
		}
		path := ""
		if m := matches[0]; m.Path != nil && m.Path.Value != nil {
			path = *m.Path.Value
		}
		routes := []*kongRoute{r}
		if !versionLess(t.opts.KongVersion, redirectPluginMinKong) {
			routes = redirectSplit(r, filters)
		}
		for _, route := range routes {
			if err := t.setFilterPlugins(route, filters, path, tags); err != nil {
				return nil, err
			}
		}
		return routes, nil
	}
	for _, m := range matches {
		addMatch(m)
	}
	path := ""
	if slices.ContainsFunc(filters, func(f gatewayv1.HTTPRouteFilter) bool {
		return f.Type == gatewayv1.HTTPRouteFilterURLRewrite && f.URLRewrite != nil && f.URLRewrite.Path != nil &&
			f.URLRewrite.Path.Type == gatewayv1.PrefixMatchHTTPPathModifier && f.URLRewrite.Path.ReplacePrefixMatch != nil
	}) && matches[0].Path != nil && matches[0].Path.Value != nil {
		path = *matches[0].Path.Value
	}
	if err := t.setFilterPlugins(r, filters, path, tags); err != nil {
		return nil, err
	}
	return []*kongRoute{r}, nil
}

// kongHeaderMatches converts header matches to Kong's: exact values as is, regular
// expressions prefixed with "~*".
func kongHeaderMatches(hs []gatewayv1.HTTPHeaderMatch) (map[string][]string, error) {
	out := map[string][]string{}
	for _, h := range hs {
		name := string(h.Name)
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("multiple header matches for the same header are not allowed: %s", name)
		}
		switch {
		case h.Type != nil && *h.Type == gatewayv1.HeaderMatchRegularExpression:
			out[name] = []string{kongHeaderRegexPrefix + h.Value}
		case h.Type == nil || *h.Type == gatewayv1.HeaderMatchExact:
			out[name] = []string{h.Value}
		default:
			return nil, fmt.Errorf("unknown/unsupported header match type: %s", *h.Type)
		}
	}
	return out, nil
}

// kongPaths is KIC's generateKongRoutePathFromHTTPRouteMatch: Exact is an anchored regex,
// PathPrefix the anchored path plus the path with a trailing slash, RegularExpression a regex.
func kongPaths(m gatewayv1.HTTPRouteMatch) []string {
	if m.Path.Type == nil || m.Path.Value == nil {
		return []string{""}
	}
	v := *m.Path.Value
	switch *m.Path.Type {
	case gatewayv1.PathMatchExact:
		return []string{kongRegexPrefix + v + "$"}
	case gatewayv1.PathMatchPathPrefix:
		prefixed := v
		if !strings.HasSuffix(prefixed, "/") {
			prefixed += "/"
		}
		return []string{kongRegexPrefix + v + "$", prefixed}
	case gatewayv1.PathMatchRegularExpression:
		return []string{kongRegexPrefix + v}
	}
	return []string{""}
}
