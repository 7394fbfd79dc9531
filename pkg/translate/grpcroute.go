package translate

import (
	"fmt"
	"strings"

	"github.com/kong/go-kong/kong"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// translateGRPCRoutes is KIC's ingressRulesFromGRPCRoutes with the traditional router: one
// Kong service grpcroute.<ns>.<name>.<rule> per rule (grpc when a parent listener speaks HTTP,
// else grpcs) and one route per match, matching ~/<service>/<method>.
func (t *translator) translateGRPCRoutes() *ruleSet {
	rs := newRuleSet()
	for _, r := range sortedByName(t.snap.GRPCRoutes) {
		protocol := "grpcs"
		if len(t.listenerPorts(r.Namespace, gatewayv1.HTTPProtocolType, r.Spec.ParentRefs)) > 0 {
			protocol = "grpc"
		}
		for i, rule := range r.Spec.Rules {
			name := fmt.Sprintf("grpcroute.%s.%s.%d", r.Namespace, r.Name, i)
			refs := make([]gatewayv1.BackendRef, 0, len(rule.BackendRefs))
			for _, b := range rule.BackendRefs {
				refs = append(refs, b.BackendRef)
			}
			backends := t.gatewayBackends(r, fmt.Sprintf("spec.rules[%d].backendRefs", i), refs)
			svc := rs.service(name, func() *kongService {
				return &kongService{
					Service:   gatewayService(name, protocol),
					Namespace: r.Namespace,
					Backends:  backends,
					Parent:    r,
				}
			})
			if len(backends) == 0 && len(refs) > 0 {
				svc.Plugins = append(svc.Plugins, &kong.Plugin{
					Name:   kong.String("request-termination"),
					Config: kong.Configuration{"status_code": 500, "message": "no existing backendRef provided"},
				})
			}
			svc.Routes = append(svc.Routes, t.grpcKongRoutes(r, i)...)
		}
	}
	return rs
}

// grpcKongRoutes is KIC's GenerateKongRoutesFromGRPCRouteRule: every route carries the tags
// of all the GRPCRoute's named rules, protocols grpc and grpcs, and the route's hostnames (or
// its listeners'); a rule without matches catches everything.
func (t *translator) grpcKongRoutes(r *gatewayv1.GRPCRoute, ruleNumber int) []*kongRoute {
	var names []string
	for _, rule := range r.Spec.Rules {
		if rule.Name != nil && strings.TrimSpace(string(*rule.Name)) != "" {
			names = append(names, strings.TrimSpace(string(*rule.Name)))
		}
	}
	tags := t.tags(r, namedRuleTags(names...)...)
	hosts := t.grpcHostnames(r)
	routeName := func(match int) *string {
		return kong.String(fmt.Sprintf("grpcroute.%s.%s.%d.%d", r.Namespace, r.Name, ruleNumber, match))
	}
	rule := r.Spec.Rules[ruleNumber]
	if len(rule.Matches) == 0 {
		kr := &kongRoute{Parent: r}
		kr.Name = routeName(0)
		kr.Protocols = kong.StringSlice("grpc", "grpcs")
		kr.Tags = tags
		if len(hosts) > 0 {
			kr.Hosts = hosts
		} else {
			kr.Paths = kong.StringSlice("/")
		}
		return []*kongRoute{kr}
	}
	out := make([]*kongRoute, 0, len(rule.Matches))
	for i, m := range rule.Matches {
		kr := &kongRoute{Parent: r}
		kr.Name = routeName(i)
		kr.Protocols = kong.StringSlice("grpc", "grpcs")
		kr.Tags = tags
		kr.Hosts = hosts
		if m.Method != nil {
			kr.Paths = append(kr.Paths, kong.String(kongRegexPrefix+grpcPath(m.Method)))
		}
		kr.Headers = map[string][]string{}
		for _, h := range m.Headers {
			kr.Headers[string(h.Name)] = append(kr.Headers[string(h.Name)], h.Value)
		}
		out = append(out, kr)
	}
	return out
}

// grpcPath is /<service>/<method>; a missing part matches anything (".+"), except that an
// Exact match without a method matches the service's root ("").
func grpcPath(m *gatewayv1.GRPCMethodMatch) string {
	matchType := gatewayv1.GRPCMethodMatchExact
	if m.Type != nil {
		matchType = *m.Type
	}
	service, method := ".+", ""
	if matchType == gatewayv1.GRPCMethodMatchRegularExpression {
		method = ".+"
	}
	if m.Service != nil {
		service = *m.Service
	}
	if m.Method != nil {
		method = *m.Method
	}
	return "/" + service + "/" + method
}

// grpcHostnames is KIC's getGRPCRouteHostnamesAsSliceOfStringPointers: the route's hostnames,
// else the hostnames of the listeners it attaches to. As in KIC, a parentRef naming a Gateway
// that does not exist drops them all, and a parentRef's namespace carries over to the next.
func (t *translator) grpcHostnames(r *gatewayv1.GRPCRoute) []*string {
	if len(r.Spec.Hostnames) > 0 {
		return hostnamePtrs(r.Spec.Hostnames)
	}
	if r.Spec.ParentRefs == nil {
		return nil
	}
	ns := r.Namespace
	var hosts []gatewayv1.Hostname
	for _, ref := range r.Spec.ParentRefs {
		if ref.Kind != nil && *ref.Kind != "Gateway" {
			continue
		}
		if ref.Namespace != nil {
			ns = string(*ref.Namespace)
		}
		gw := t.gateway(ns, string(ref.Name))
		if gw == nil {
			return nil
		}
		for _, l := range gw.Spec.Listeners {
			if ref.SectionName != nil && *ref.SectionName != l.Name {
				continue
			}
			if l.Hostname != nil {
				hosts = append(hosts, *l.Hostname)
			}
		}
	}
	return hostnamePtrs(hosts)
}
