package translate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kong/go-kong/kong"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Gateway API translation shared by the route kinds (KIC's translator/subtranslator for
// HTTPRoute, GRPCRoute, TCPRoute, UDPRoute and TLSRoute). KIC runs the traditional router here:
// no expressions, no priorities.

// Kong service defaults KIC gives every Gateway API service.
const (
	gatewayServiceProtocol = "http"
	gatewayServiceTimeout  = 60000
	gatewayServiceRetries  = 5
	// maxServiceNameLength is KIC's maxKongServiceNameLength: longer combined names are cut.
	maxServiceNameLength = 511
	// kongRegexPrefix marks a regex path, kongHeaderRegexPrefix a regex header value.
	kongRegexPrefix       = "~"
	kongHeaderRegexPrefix = "~*"
	// tagNamedRouteRule carries a rule's name (GEP-995) on routes.
	tagNamedRouteRule = "k8s-named-route-rule:"
	// redirectPluginMinKong is the first Kong with the redirect plugin KIC uses for redirects.
	redirectPluginMinKong = "3.9.0"
)

// gatewayService returns a Kong service with KIC's Gateway API defaults; its host is its name.
func gatewayService(name, protocol string) kong.Service {
	return kong.Service{
		Name:           kong.String(name),
		Host:           kong.String(name),
		Protocol:       kong.String(protocol),
		ConnectTimeout: kong.Int(gatewayServiceTimeout),
		ReadTimeout:    kong.Int(gatewayServiceTimeout),
		WriteTimeout:   kong.Int(gatewayServiceTimeout),
		Retries:        kong.Int(gatewayServiceRetries),
	}
}

// namedRuleTags are the k8s-named-route-rule tags for the non-blank rule names given.
func namedRuleTags(names ...string) []string {
	var out []string
	for _, n := range names {
		if strings.TrimSpace(n) != "" {
			out = append(out, tagNamedRouteRule+n)
		}
	}
	return out
}

// gatewayBackends is KIC's backendRefsToKongStateBackends: the backendRefs that name an existing
// core Service, in the route's namespace or granted by a ReferenceGrant. The others are left out
// with a diagnostic, and the rest of the rule is still translated (KIC only logs them).
func (t *translator) gatewayBackends(route object, field string, refs []gatewayv1.BackendRef) []serviceBackend {
	gvk := gvkOf(route)
	var out []serviceBackend
	for i, ref := range refs {
		f := fmt.Sprintf("%s[%d]", field, i)
		ns := route.GetNamespace()
		if ref.Namespace != nil {
			ns = string(*ref.Namespace)
		}
		if ref.Kind == nil {
			t.fail(route, f, "backendRef %s/%s has no kind", ns, ref.Name)
			continue
		}
		if *ref.Kind != "Service" {
			t.fail(route, f, "backendRef %s/%s: unsupported kind %q, only 'Service' is supported", ns, ref.Name, *ref.Kind)
			continue
		}
		if t.k8sService(ns, string(ref.Name)) == nil {
			t.fail(route, f, "backendRef %s/%s: Service not found", ns, ref.Name)
			continue
		}
		group := ""
		if ref.Group != nil {
			group = string(*ref.Group)
		}
		if group != "" && group != "core" {
			t.fail(route, f, "backendRef %s/%s: unsupported group %q", ns, ref.Name, group)
			continue
		}
		if ns != route.GetNamespace() && !t.referenceAllowed(grantRef{
			FromGroup: gvk.Group, FromKind: gvk.Kind, FromNamespace: route.GetNamespace(),
			ToGroup: group, ToKind: "Service", ToNamespace: ns, ToName: string(ref.Name),
		}) {
			t.fail(route, f, "backendRef %s/%s: no ReferenceGrant in namespace %s permits it", ns, ref.Name, ns)
			continue
		}
		port := int32(-1)
		if ref.Port != nil {
			port = int32(*ref.Port)
		}
		b := serviceBackend{Namespace: ns, Name: string(ref.Name), Port: portDef{Mode: portModeByNumber, Number: port}}
		if ref.Weight != nil {
			w := *ref.Weight
			b.Weight = &w
		}
		out = append(out, b)
	}
	return out
}

// gateway returns the Gateway namespace/name from the snapshot, or nil.
func (t *translator) gateway(namespace, name string) *gatewayv1.Gateway {
	for _, gw := range t.snap.Gateways {
		if gw != nil && gw.Namespace == namespace && gw.Name == name {
			return gw
		}
	}
	return nil
}

// parentGateways calls fn for every listener of the Gateways the parentRefs name, honouring
// sectionName (KIC's getGatewayListeningPorts and protocolsFromHTTPRoutesGatewayListeners).
func (t *translator) parentListeners(routeNamespace string, refs []gatewayv1.ParentReference, fn func(gatewayv1.Listener)) {
	for _, ref := range refs {
		ns := routeNamespace
		if ref.Namespace != nil && *ref.Namespace != "" {
			ns = string(*ref.Namespace)
		}
		gw := t.gateway(ns, string(ref.Name))
		if gw == nil {
			continue
		}
		for _, l := range gw.Spec.Listeners {
			if ref.SectionName != nil && *ref.SectionName != l.Name {
				continue
			}
			fn(l)
		}
	}
}

// listenerProtocols are the Kong route protocols of the HTTP(S) listeners the routes attach to:
// sorted, nil when there are none (Kong's defaults then apply).
func (t *translator) listenerProtocols(routes []*gatewayv1.HTTPRoute) []*string {
	set := map[string]bool{}
	for _, r := range routes {
		t.parentListeners(r.Namespace, r.Spec.ParentRefs, func(l gatewayv1.Listener) {
			switch l.Protocol {
			case gatewayv1.HTTPProtocolType:
				set["http"] = true
			case gatewayv1.HTTPSProtocolType:
				set["https"] = true
			}
		})
	}
	var out []string
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return kong.StringSlice(out...)
}

// gatewayCertificates returns the certificates of Gateway listeners; KIC merges them after the
// Ingress certificates, an SNI belonging to the first. Not yet translated by kongdb.
func (t *translator) gatewayCertificates() []*certificateDraft { return nil }
