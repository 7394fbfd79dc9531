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
	var out []serviceBackend
	for i, ref := range refs {
		if p := t.idx.checkBackendRef(route, ref); p != nil {
			t.fail(route, fmt.Sprintf("%s[%d]", field, i), "%s", p.Message)
			continue
		}
		ns := route.GetNamespace()
		if ref.Namespace != nil {
			ns = string(*ref.Namespace)
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

// gatewayCertificates is KIC's getGatewayCerts: the certificate of every TLS listener of the
// served Gateways, with the listener's hostname (or "*") as SNI; KIC merges them after the
// Ingress certificates, an SNI belonging to the first. pkg/source keeps only Gateways of served
// classes, so a Gateway whose class is absent from the snapshot is taken as served.
func (t *translator) gatewayCertificates() []*certificateDraft {
	classes := map[string]*gatewayv1.GatewayClass{}
	for _, gc := range t.snap.GatewayClasses {
		if gc != nil {
			classes[gc.Name] = gc
		}
	}
	var out []*certificateDraft
	for _, gw := range sortedByName(t.snap.Gateways) {
		gc, known := classes[string(gw.Spec.GatewayClassName)]
		if known && string(gc.Spec.ControllerName) != t.opts.ControllerName {
			continue
		}
		unmanaged := known && gc.Annotations[annGatewayClassUnmanaged] != ""
		for i, l := range gw.Spec.Listeners {
			if !t.listenerReadyForCerts(gw, l.Name, unmanaged) || l.TLS == nil || len(l.TLS.CertificateRefs) == 0 {
				continue
			}
			field := fmt.Sprintf("spec.listeners[%d].tls.certificateRefs", i)
			if len(l.TLS.CertificateRefs) > 1 {
				t.fail(gw, field, "listener %q has more than one certificateRef, it's not supported", l.Name)
				continue
			}
			if d := t.listenerCertificate(gw, field, l); d != nil {
				out = append(out, d)
			}
		}
	}
	return out
}

const annGatewayClassUnmanaged = "konghq.com/gatewayclass-unmanaged"

// listenerReadyForCerts: KIC takes certificates only from listeners its controller has written
// a status for, and for unmanaged classes only from Programmed ones. A Gateway without any
// listener status has had no controller yet (kongdb is its controller), so all its listeners
// count.
func (t *translator) listenerReadyForCerts(gw *gatewayv1.Gateway, name gatewayv1.SectionName, unmanaged bool) bool {
	if len(gw.Status.Listeners) == 0 {
		return true
	}
	for _, st := range gw.Status.Listeners {
		if st.Name != name {
			continue
		}
		if !unmanaged {
			return true
		}
		for _, c := range st.Conditions {
			if c.Type == string(gatewayv1.ListenerConditionProgrammed) && c.Status == "True" &&
				c.Reason == string(gatewayv1.ListenerReasonProgrammed) && c.ObservedGeneration == gw.Generation {
				return true
			}
		}
		return false
	}
	return false
}

func (t *translator) listenerCertificate(gw *gatewayv1.Gateway, field string, l gatewayv1.Listener) *certificateDraft {
	ref := l.TLS.CertificateRefs[0]
	ns := gw.Namespace
	if ref.Namespace != nil && string(*ref.Namespace) != gw.Namespace {
		ns = string(*ref.Namespace)
		group, kind := "", "Secret"
		if ref.Group != nil {
			group = string(*ref.Group)
		}
		if ref.Kind != nil {
			kind = string(*ref.Kind)
		}
		if !t.idx.referenceAllowed(grantRef{
			FromGroup: gatewayv1.GroupName, FromKind: "Gateway", FromNamespace: gw.Namespace,
			ToGroup: group, ToKind: kind, ToNamespace: ns, ToName: string(ref.Name),
		}) {
			t.fail(gw, field, "certificateRef %s/%s is not permitted by any ReferenceGrant", ns, ref.Name)
			return nil
		}
	}
	secret := t.idx.secrets[nsName(ns, string(ref.Name))]
	if secret == nil {
		t.fail(gw, field, "failed to fetch the TLS secret %s/%s: not found", ns, ref.Name)
		return nil
	}
	cert, key, err := certFromSecret(secret)
	if err != nil {
		t.fail(secret, "data", "failed to construct certificate from secret: %v", err)
		t.fail(gw, field, "failed to construct certificate from secret %s/%s: %v", ns, ref.Name, err)
		return nil
	}
	sni := "*"
	if l.Hostname != nil {
		sni = string(*l.Hostname)
	}
	return &certificateDraft{
		identifier: cert + key,
		cert: kong.Certificate{
			ID:   kong.String(t.certificateID(secret)),
			Cert: kong.String(cert),
			Key:  kong.String(key),
			Tags: t.tags(secret),
		},
		snis:    []string{sni},
		created: secret.CreationTimestamp,
	}
}
