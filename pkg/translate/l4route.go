package translate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kong/go-kong/kong"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1alpha2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
)

// l4Route is what TCPRoute, UDPRoute and TLSRoute translation needs of one route: KIC
// translates them with one generic helper (translate_routes_helpers.go), so does kongdb.
// The kinds differ only in protocols, in what the routes match and in whether a rule must
// have backendRefs; the names and tags of services and routes are built alike.
type l4Route struct {
	obj   object
	rules []l4Rule
	// serviceProtocol is the Kong service protocol (tcp for TCP and TLS, udp for UDP).
	serviceProtocol string
	// routeProtocol is the Kong route protocol (tcp, udp, tls or tls_passthrough).
	routeProtocol string
	// needBackends makes a rule without backendRefs an error (TCP, UDP).
	needBackends bool
	// ports (TCP, UDP: the parent listeners' ports) become the routes' destinations;
	// snis (TLS: the route's hostnames) their SNIs.
	ports []gatewayv1.PortNumber
	snis  []*string
}

type l4Rule struct {
	name        *gatewayv1.SectionName
	backendRefs []gatewayv1.BackendRef
}

// translateTCPRoutes is KIC's ingressRulesFromTCPRoutes: one Kong service and route per rule,
// the route matching the ports of the TCP listeners the route attaches to.
func (t *translator) translateTCPRoutes() *ruleSet {
	rs := newRuleSet()
	for _, r := range sortedByName(t.snap.TCPRoutes) {
		t.translateL4Route(rs, l4Route{
			obj: r, rules: l4Rules(r.Spec.Rules, func(x gatewayv1alpha2.TCPRouteRule) l4Rule {
				return l4Rule{name: x.Name, backendRefs: x.BackendRefs}
			}),
			serviceProtocol: "tcp", routeProtocol: "tcp", needBackends: true,
			ports: t.listenerPorts(r.Namespace, gatewayv1.TCPProtocolType, r.Spec.ParentRefs),
		})
	}
	return rs
}

// translateUDPRoutes is KIC's ingressRulesFromUDPRoutes: as TCPRoute, over UDP listeners; a
// rule without backendRefs invalidates the whole route.
func (t *translator) translateUDPRoutes() *ruleSet {
	rs := newRuleSet()
	for _, r := range sortedByName(t.snap.UDPRoutes) {
		if len(r.Spec.Rules) == 0 {
			t.fail(r, "spec.rules", "no rules provided")
			continue
		}
		invalid := false
		for i, rule := range r.Spec.Rules {
			if len(rule.BackendRefs) == 0 {
				t.fail(r, fmt.Sprintf("spec.rules[%d].backendRefs", i), "no backendRefs in rule")
				invalid = true
				break
			}
		}
		if invalid {
			continue
		}
		t.translateL4Route(rs, l4Route{
			obj: r, rules: l4Rules(r.Spec.Rules, func(x gatewayv1alpha2.UDPRouteRule) l4Rule {
				return l4Rule{name: x.Name, backendRefs: x.BackendRefs}
			}),
			serviceProtocol: "udp", routeProtocol: "udp", needBackends: true,
			ports: t.listenerPorts(r.Namespace, gatewayv1.UDPProtocolType, r.Spec.ParentRefs),
		})
	}
	return rs
}

// translateTLSRoutes is KIC's ingressRulesFromTLSRoutes: routes match SNIs (the route's
// hostnames) with protocol tls, or tls_passthrough when a parent listener passes TLS through.
func (t *translator) translateTLSRoutes() *ruleSet {
	rs := newRuleSet()
	for _, r := range sortedByName(t.snap.TLSRoutes) {
		if len(r.Spec.Hostnames) == 0 {
			t.fail(r, "spec.hostnames", "TLSRoute can't be routed: no hostnames provided")
			continue
		}
		protocol := "tls"
		if t.tlsPassthrough(r) {
			protocol = "tls_passthrough"
		}
		var snis []*string
		for _, h := range r.Spec.Hostnames {
			snis = append(snis, kong.String(string(h)))
		}
		t.translateL4Route(rs, l4Route{
			obj: r, rules: l4Rules(r.Spec.Rules, func(x gatewayv1alpha2.TLSRouteRule) l4Rule {
				return l4Rule{name: x.Name, backendRefs: x.BackendRefs}
			}),
			serviceProtocol: "tcp", routeProtocol: protocol,
			snis: snis,
		})
	}
	return rs
}

func l4Rules[R any](rules []R, conv func(R) l4Rule) []l4Rule {
	out := make([]l4Rule, 0, len(rules))
	for _, r := range rules {
		out = append(out, conv(r))
	}
	return out
}

// sectionName is a rule's name, "" when it has none.
func sectionName(n *gatewayv1.SectionName) string {
	if n == nil {
		return ""
	}
	return string(*n)
}

func destinations(ports []gatewayv1.PortNumber) []*kong.CIDRPort {
	var out []*kong.CIDRPort
	for _, p := range ports {
		out = append(out, &kong.CIDRPort{Port: kong.Int(int(p))})
	}
	return out
}

// translateL4Route adds one Kong service per rule, named <kind>.<ns>.<name>.<rule>, with the
// rule's route <kind>.<ns>.<name>.<rule>.0. As in KIC, an invalid rule stops the route there: earlier rules stay.
func (t *translator) translateL4Route(rs *ruleSet, r l4Route) {
	kind := kindOf(r.obj)
	if len(r.rules) == 0 {
		t.fail(r.obj, "spec.rules", "%s can't be routed: %v", kind, errors.New("no rules provided"))
		return
	}
	for i, rule := range r.rules {
		if r.needBackends && len(rule.backendRefs) == 0 {
			t.fail(r.obj, fmt.Sprintf("spec.rules[%d].backendRefs", i), "%s can't be routed: %s rules must include at least one backendRef", kind, kind)
			return
		}
		name := fmt.Sprintf("%s.%s.%s.%d", strings.ToLower(kind), r.obj.GetNamespace(), r.obj.GetName(), i)
		backends := t.gatewayBackends(r.obj, fmt.Sprintf("spec.rules[%d].backendRefs", i), rule.backendRefs)
		svc := rs.service(name, func() *kongService {
			return &kongService{
				Service:   gatewayService(name, r.serviceProtocol),
				Namespace: r.obj.GetNamespace(),
				Backends:  backends,
				Parent:    r.obj,
			}
		})
		// KIC adds its 500 plugin only for HTTP-like protocols, so never for L4 services.
		route := &kongRoute{Parent: r.obj}
		route.Route.Route = kong.Route{
			Name:         kong.String(name + ".0"), // KIC's generateRouteName
			Protocols:    kong.StringSlice(r.routeProtocol),
			Destinations: destinations(r.ports),
			SNIs:         r.snis,
			Tags:         t.tags(r.obj, namedRuleTags(sectionName(rule.name))...),
		}
		svc.Routes = append(svc.Routes, route)
	}
}

// listenerPorts is KIC's getGatewayListeningPorts: the ports of the parent Gateways' listeners
// of the given protocol (only the named listener when sectionName is set).
func (t *translator) listenerPorts(routeNamespace string, protocol gatewayv1.ProtocolType, refs []gatewayv1.ParentReference) []gatewayv1.PortNumber {
	var ports []gatewayv1.PortNumber
	t.parentListeners(routeNamespace, refs, func(l gatewayv1.Listener) {
		if l.Protocol == protocol {
			ports = append(ports, l.Port)
		}
	})
	return ports
}

// tlsPassthrough is KIC's isTLSRoutePassthrough: whether a parent listener passes TLS
// through. KIC reads the parents from the route's status, which its own controller wrote;
// when no controller wrote one (kongdb serves the Gateway itself) the spec's parentRefs are
// used instead.
func (t *translator) tlsPassthrough(r *gatewayv1alpha2.TLSRoute) bool {
	refs := r.Spec.ParentRefs
	if len(r.Status.Parents) > 0 {
		refs = refs[:0:0]
		for _, p := range r.Status.Parents {
			refs = append(refs, p.ParentRef)
		}
	}
	passthrough := false
	for _, ref := range refs {
		if (ref.Group != nil && *ref.Group != gatewayv1.GroupName) || (ref.Kind != nil && *ref.Kind != "Gateway") {
			continue
		}
		t.parentListeners(r.Namespace, []gatewayv1.ParentReference{ref}, func(l gatewayv1.Listener) {
			if l.TLS != nil && l.TLS.Mode != nil && *l.TLS.Mode == gatewayv1.TLSModePassthrough {
				passthrough = true
			}
		})
	}
	return passthrough
}
