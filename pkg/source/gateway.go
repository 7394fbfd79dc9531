package source

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1alpha2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
)

// route is the part of any Gateway API route kind that acceptance looks at.
type route struct {
	kind       string
	obj        object
	parentRefs []gatewayv1.ParentReference
	// hostnames is nil for kinds without hostnames (TCPRoute, UDPRoute).
	hostnames []gatewayv1.Hostname
	// statusParents are the parents its status lists, by whichever controller.
	statusParents []gatewayv1.RouteParentStatus
}

// parent is one Gateway of ours that a route names, with the listener it asked for and
// whether some listener accepted the route (KIC's supportedGatewayWithCondition).
type parent struct {
	gateway      *gatewayv1.Gateway
	listenerName gatewayv1.SectionName
	accepted     bool
	// verdict is what the route's status says of this parent.
	verdict ParentVerdict
}

// filterGatewayAPI keeps the GatewayClasses and Gateways this tool serves and the routes they
// accept, as KIC's GatewayClass, Gateway and route controllers do (internal/controllers/gateway).
func (f *filterer) filterGatewayAPI() {
	src := f.in.snap
	classes := map[string]*gatewayv1.GatewayClass{}
	for _, gc := range src.GatewayClasses {
		classes[gc.Name] = gc
		if string(gc.Spec.ControllerName) == f.opts.GatewayClassController {
			f.out.GatewayClasses = append(f.out.GatewayClasses, gc)
		}
	}

	gateways := map[string]*gatewayv1.Gateway{}
	for _, gw := range src.Gateways {
		gc, ok := classes[string(gw.Spec.GatewayClassName)]
		switch {
		case !ok && f.in.origin == fromManifests:
			f.notef("Gateway %s/%s: GatewayClass %q is not among the manifests: assumed to be served by %s",
				gw.Namespace, gw.Name, gw.Spec.GatewayClassName, f.opts.GatewayClassController)
		case !ok || string(gc.Spec.ControllerName) != f.opts.GatewayClassController:
			continue
		}
		if conditionStatus(gw.Status.Conditions, string(gatewayv1.GatewayConditionProgrammed)) == metav1.ConditionFalse {
			f.notef("Gateway %s/%s is not Programmed: its routes are left out", gw.Namespace, gw.Name)
			continue
		}
		gateways[gw.Namespace+"/"+gw.Name] = gw
		f.out.Gateways = append(f.out.Gateways, gw)
	}

	f.out.HTTPRoutes = filterRoutes(f, gateways, src.HTTPRoutes, func(r *gatewayv1.HTTPRoute) route {
		return route{kind: "HTTPRoute", obj: r, parentRefs: r.Spec.ParentRefs, statusParents: r.Status.Parents, hostnames: nonNil(r.Spec.Hostnames)}
	}, func(r *gatewayv1.HTTPRoute, parents []parent) (*gatewayv1.HTTPRoute, bool) {
		hostnames, ok := filterHostnames(parents, r.Spec.Hostnames)
		if !ok {
			f.notef("HTTPRoute %s/%s: no hostname matches a listener of its Gateways: left out", r.Namespace, r.Name)
			return nil, false
		}
		if hostnames == nil {
			return r, true
		}
		r = r.DeepCopy()
		r.Spec.Hostnames = hostnames
		return r, true
	})
	f.out.GRPCRoutes = filterRoutes(f, gateways, src.GRPCRoutes, func(r *gatewayv1.GRPCRoute) route {
		return route{kind: "GRPCRoute", obj: r, parentRefs: r.Spec.ParentRefs, statusParents: r.Status.Parents, hostnames: nonNil(r.Spec.Hostnames)}
	}, keepAsIs[*gatewayv1.GRPCRoute])
	f.out.TCPRoutes = filterRoutes(f, gateways, src.TCPRoutes, func(r *gatewayv1alpha2.TCPRoute) route {
		return route{kind: "TCPRoute", obj: r, parentRefs: r.Spec.ParentRefs, statusParents: r.Status.Parents}
	}, keepAsIs[*gatewayv1alpha2.TCPRoute])
	f.out.UDPRoutes = filterRoutes(f, gateways, src.UDPRoutes, func(r *gatewayv1alpha2.UDPRoute) route {
		return route{kind: "UDPRoute", obj: r, parentRefs: r.Spec.ParentRefs, statusParents: r.Status.Parents}
	}, keepAsIs[*gatewayv1alpha2.UDPRoute])
	f.out.TLSRoutes = filterRoutes(f, gateways, src.TLSRoutes, func(r *gatewayv1alpha2.TLSRoute) route {
		return route{kind: "TLSRoute", obj: r, parentRefs: r.Spec.ParentRefs, statusParents: r.Status.Parents, hostnames: nonNil(r.Spec.Hostnames)}
	}, keepAsIs[*gatewayv1alpha2.TLSRoute])
}

func nonNil(h []gatewayv1.Hostname) []gatewayv1.Hostname {
	if h == nil {
		return []gatewayv1.Hostname{}
	}
	return h
}

func keepAsIs[R any](r R, _ []parent) (R, bool) { return r, true }

// filterRoutes keeps the routes accepted by at least one Gateway in gateways; accept may
// rewrite an accepted route (HTTPRoute hostnames) or still reject it.
func filterRoutes[R object](f *filterer, gateways map[string]*gatewayv1.Gateway, routes []R,
	view func(R) route, accept func(R, []parent) (R, bool),
) []R {
	var kept []R
	for _, r := range routes {
		rt := view(r)
		parents, unknown, ok := f.parentsOf(rt, gateways)
		if !ok {
			continue
		}
		f.recordVerdicts(rt, parents)
		accepted := slices.ContainsFunc(parents, func(p parent) bool { return p.accepted })
		switch {
		case accepted:
			if r2, ok := accept(r, parents); ok {
				kept = append(kept, r2)
			}
		case len(unknown) > 0:
			f.notef("%s %s/%s: parent Gateway %s is not among the objects read, so its acceptance cannot be known: "+
				"translated as KIC's translator would", rt.kind, r.GetNamespace(), r.GetName(), strings.Join(unknown, ", "))
			kept = append(kept, r)
		case len(parents) > 0:
			f.notef("%s %s/%s is not accepted by any listener of its Gateways: left out", rt.kind, r.GetNamespace(), r.GetName())
		}
	}
	return kept
}

// parentsOf is KIC's getSupportedGatewayForRoute: for each parentRef naming a Gateway of ours,
// whether one of its listeners accepts the route. unknown lists parent Gateways that were not
// read (manifests, or outside the namespace read). ok is false when a parentRef is not a
// Gateway, which KIC refuses outright.
func (f *filterer) parentsOf(rt route, gateways map[string]*gatewayv1.Gateway) (parents []parent, unknown []string, ok bool) {
	for _, ref := range rt.parentRefs {
		if (ref.Group != nil && *ref.Group != gatewayv1.GroupName) || (ref.Kind != nil && *ref.Kind != "Gateway") {
			return nil, nil, false
		}
		ns := rt.obj.GetNamespace()
		if ref.Namespace != nil {
			ns = string(*ref.Namespace)
		}
		gw, found := gateways[ns+"/"+string(ref.Name)]
		if !found {
			if f.parentMayExistElsewhere(ns, string(ref.Name)) {
				unknown = append(unknown, ns+"/"+string(ref.Name))
			}
			continue
		}
		p := parent{gateway: gw}
		if ref.SectionName != nil {
			p.listenerName = *ref.SectionName
		}
		// Every listener is judged, not only up to the first that accepts: a Gateway's
		// status counts the routes attached to each of its listeners.
		steps := make([]listenerStep, len(gw.Spec.Listeners))
		for i := range gw.Spec.Listeners {
			l := &gw.Spec.Listeners[i]
			steps[i] = f.listenerCheck(rt, ref, gw, l)
			if steps[i] == listenerAccepted {
				p.accepted = true
				p.verdict.Listeners = append(p.verdict.Listeners, l.Name)
			}
		}
		p.verdict.Ref, p.verdict.Gateway = ref, gw
		p.verdict.Accepted = p.accepted
		p.verdict.Reason = parentReason(ref, gw, steps)
		parents = append(parents, p)
	}
	return parents, unknown, true
}

// parentMayExistElsewhere says whether a Gateway we did not read could still exist: always
// for manifests; for a live cluster only when it lies outside the namespace read. A Gateway
// that was read but belongs to another controller is known not to be ours.
func (f *filterer) parentMayExistElsewhere(ns, name string) bool {
	for _, gw := range f.in.snap.Gateways {
		if gw.Namespace == ns && gw.Name == name {
			return false
		}
	}
	if f.in.origin == fromManifests {
		return true
	}
	return f.in.readNamespace != "" && f.in.readNamespace != ns
}

// listenerStep is how far a route got through one listener's checks (listenerCheck): the
// check it failed, or listenerAccepted.
type listenerStep int

const (
	failedAllowedRoutes listenerStep = iota
	failedSupportedKinds
	failedProgrammed
	failedSectionName
	failedPort
	failedProtocol
	failedHostname
	listenerAccepted
)

// listenerCheck runs KIC's listener checks, in its order: allowedRoutes, supported kinds,
// listener readiness, sectionName, port, protocol and hostname intersection, and says how far
// the route got.
func (f *filterer) listenerCheck(rt route, ref gatewayv1.ParentReference, gw *gatewayv1.Gateway, l *gatewayv1.Listener) listenerStep {
	if !f.allowedRoutesMatch(rt, ref, gw, l) {
		return failedAllowedRoutes
	}
	status := listenerStatus(gw, l.Name)
	if !slices.ContainsFunc(supportedKinds(l, status), func(k gatewayv1.RouteGroupKind) bool {
		return k.Group != nil && *k.Group == gatewayv1.GroupName && string(k.Kind) == rt.kind
	}) {
		return failedSupportedKinds
	}
	// KIC waits for its own controller to mark listeners Programmed. kongdb is that controller
	// here, so only a listener some controller explicitly marked not Programmed is refused.
	if status != nil && conditionStatus(status.Conditions, string(gatewayv1.ListenerConditionProgrammed)) == metav1.ConditionFalse {
		return failedProgrammed
	}
	if ref.SectionName != nil && *ref.SectionName != "" && *ref.SectionName != l.Name {
		return failedSectionName
	}
	if ref.Port != nil && *ref.Port != l.Port {
		return failedPort
	}
	if !routeTypeMatchesListener(rt.kind, l) {
		return failedProtocol
	}
	if rt.hostnames != nil && !listenerHostnameIntersects(l, rt.hostnames) {
		return failedHostname
	}
	return listenerAccepted
}

// parentReason reads the listeners' verdicts into the reason of the route's Accepted condition
// on that parent, as the Gateway API spec defines the reasons: no listener the parentRef can
// mean (by sectionName and port) is NoMatchingParent; listeners it means that all refuse the
// route by allowedRoutes, kinds or readiness is NotAllowedByListeners. KIC 3.5 answers
// NoMatchingParent for every refused route with a sectionName; the spec's reading is kept.
func parentReason(ref gatewayv1.ParentReference, gw *gatewayv1.Gateway, steps []listenerStep) gatewayv1.RouteConditionReason {
	if slices.Contains(steps, listenerAccepted) {
		return gatewayv1.RouteReasonAccepted
	}
	if slices.Contains(steps, failedHostname) {
		return gatewayv1.RouteReasonNoMatchingListenerHostname
	}
	meant, let := false, false
	for i, l := range gw.Spec.Listeners {
		if (ref.SectionName != nil && *ref.SectionName != "" && *ref.SectionName != l.Name) || (ref.Port != nil && *ref.Port != l.Port) {
			continue
		}
		meant = true
		let = let || steps[i] > failedProgrammed
	}
	if meant && !let {
		return gatewayv1.RouteReasonNotAllowedByListeners
	}
	return gatewayv1.RouteReasonNoMatchingParent
}

func (f *filterer) allowedRoutesMatch(rt route, ref gatewayv1.ParentReference, gw *gatewayv1.Gateway, l *gatewayv1.Listener) bool {
	ar := l.AllowedRoutes
	if ar == nil {
		return true
	}
	if len(ar.Kinds) > 0 && !slices.ContainsFunc(ar.Kinds, func(k gatewayv1.RouteGroupKind) bool {
		return k.Group != nil && *k.Group == gatewayv1.GroupName && string(k.Kind) == rt.kind
	}) {
		return false
	}
	if ar.Namespaces == nil || ar.Namespaces.From == nil {
		return true
	}
	routeNS := rt.obj.GetNamespace()
	switch *ar.Namespaces.From {
	case gatewayv1.NamespacesFromAll:
		return true
	case gatewayv1.NamespacesFromSame:
		// KIC compares with the parentRef's namespace when one is given.
		if ref.Namespace != nil {
			return routeNS == string(*ref.Namespace)
		}
		return routeNS == gw.Namespace
	case gatewayv1.NamespacesFromSelector:
		sel, err := metav1.LabelSelectorAsSelector(ar.Namespaces.Selector)
		if err != nil {
			f.notef("Gateway %s/%s listener %s: invalid allowedRoutes namespace selector: %v", gw.Namespace, gw.Name, l.Name, err)
			return false
		}
		nsLabels, known := f.in.namespaceLabels[routeNS]
		if !known {
			f.notef("%s %s/%s: Namespace %s was not read, so Gateway %s/%s listener %s's namespace selector "+
				"cannot be evaluated: assumed to match", rt.kind, routeNS, rt.obj.GetName(), routeNS, gw.Namespace, gw.Name, l.Name)
			return true
		}
		return sel.Matches(labels.Set(nsLabels))
	}
	return false
}

func listenerStatus(gw *gatewayv1.Gateway, name gatewayv1.SectionName) *gatewayv1.ListenerStatus {
	for i := range gw.Status.Listeners {
		if gw.Status.Listeners[i].Name == name {
			return &gw.Status.Listeners[i]
		}
	}
	return nil
}

// routeKindsByProtocol is what KIC's Gateway controller writes as a listener's supportedKinds
// when the listener does not restrict allowedRoutes.kinds (getListenerSupportedRouteKinds).
var routeKindsByProtocol = map[gatewayv1.ProtocolType][]gatewayv1.Kind{
	gatewayv1.HTTPProtocolType:  {"HTTPRoute", "GRPCRoute"},
	gatewayv1.HTTPSProtocolType: {"HTTPRoute", "GRPCRoute"},
	gatewayv1.TCPProtocolType:   {"TCPRoute"},
	gatewayv1.UDPProtocolType:   {"UDPRoute"},
	gatewayv1.TLSProtocolType:   {"TLSRoute"},
}

var gatewayRouteKinds = []gatewayv1.Kind{"HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute"}

// supportedKinds reads the listener's supportedKinds from the Gateway's status when a
// controller wrote it, and otherwise derives them from the spec the way KIC's Gateway
// controller would.
func supportedKinds(l *gatewayv1.Listener, status *gatewayv1.ListenerStatus) []gatewayv1.RouteGroupKind {
	if status != nil && len(status.SupportedKinds) > 0 {
		return status.SupportedKinds
	}
	group := gatewayv1.Group(gatewayv1.GroupName)
	if l.AllowedRoutes == nil || len(l.AllowedRoutes.Kinds) == 0 {
		var out []gatewayv1.RouteGroupKind
		for _, k := range routeKindsByProtocol[l.Protocol] {
			out = append(out, gatewayv1.RouteGroupKind{Group: &group, Kind: k})
		}
		return out
	}
	var out []gatewayv1.RouteGroupKind
	for _, k := range l.AllowedRoutes.Kinds {
		if k.Group != nil && *k.Group == group && slices.Contains(gatewayRouteKinds, k.Kind) {
			out = append(out, k)
		}
	}
	return out
}

// routeTypeMatchesListener is KIC's routeTypeMatchesListenerType.
func routeTypeMatchesListener(kind string, l *gatewayv1.Listener) bool {
	mode := func() gatewayv1.TLSModeType {
		if l.TLS == nil || l.TLS.Mode == nil {
			return ""
		}
		return *l.TLS.Mode
	}
	switch kind {
	case "HTTPRoute":
		return (l.Protocol == gatewayv1.HTTPProtocolType || l.Protocol == gatewayv1.HTTPSProtocolType) &&
			(l.TLS == nil || mode() == gatewayv1.TLSModeTerminate)
	case "TCPRoute":
		return l.Protocol == gatewayv1.TCPProtocolType && (l.TLS == nil || mode() == gatewayv1.TLSModeTerminate)
	case "UDPRoute":
		return l.Protocol == gatewayv1.UDPProtocolType && l.TLS == nil
	case "TLSRoute":
		return l.Protocol == gatewayv1.TLSProtocolType && (l.TLS == nil || mode() == gatewayv1.TLSModePassthrough)
	case "GRPCRoute":
		return l.Protocol == gatewayv1.HTTPProtocolType || l.Protocol == gatewayv1.HTTPSProtocolType
	}
	return false
}

func listenerHostnameIntersects(l *gatewayv1.Listener, hostnames []gatewayv1.Hostname) bool {
	if len(hostnames) == 0 || l.Hostname == nil || *l.Hostname == "" {
		return true
	}
	for _, h := range hostnames {
		if hostnameMatches(string(*l.Hostname), string(h)) || hostnameMatches(string(h), string(*l.Hostname)) {
			return true
		}
	}
	return false
}

// hostnameMatches reports whether host is covered by mask: equal, or mask is "*.<suffix>" and
// host has at least one more label in front of that suffix.
func hostnameMatches(mask, host string) bool {
	if mask == host {
		return true
	}
	suffix, ok := strings.CutPrefix(mask, "*")
	if !ok || !strings.HasPrefix(suffix, ".") {
		return false
	}
	return len(host) > len(suffix) && strings.HasSuffix(host, suffix) && !strings.HasSuffix(host[:len(host)-len(suffix)], ".")
}

// filterHostnames is KIC's filterHostnames for an accepted HTTPRoute. It returns the
// hostnames the route keeps, nil when the route keeps its hostnames unchanged (it matches any
// host), and ok=false when none of its hostnames intersects a listener.
func filterHostnames(parents []parent, hostnames []gatewayv1.Hostname) (kept []gatewayv1.Hostname, ok bool) {
	if len(hostnames) == 0 {
		kept = []gatewayv1.Hostname{}
		for _, p := range parents {
			for i := range p.gateway.Spec.Listeners {
				l := &p.gateway.Spec.Listeners[i]
				if p.listenerName != "" && l.Name != p.listenerName {
					continue
				}
				// Without a sectionName KIC unions the listeners that can carry a hostname.
				if p.listenerName == "" && l.Protocol != gatewayv1.HTTPProtocolType &&
					l.Protocol != gatewayv1.HTTPSProtocolType && l.Protocol != gatewayv1.TLSProtocolType {
					continue
				}
				if l.Hostname == nil {
					return nil, true
				}
				kept = append(kept, *l.Hostname)
			}
		}
		return kept, true
	}
	for _, h := range hostnames {
		if m := minimumIntersection(parents, h); m != "" {
			kept = append(kept, m)
		}
	}
	return kept, len(kept) > 0
}

// minimumIntersection is KIC's getMinimumHostnameIntersection: the narrower of the route's
// hostname and the first listener hostname it intersects.
func minimumIntersection(parents []parent, h gatewayv1.Hostname) gatewayv1.Hostname {
	for _, p := range parents {
		for i := range p.gateway.Spec.Listeners {
			l := &p.gateway.Spec.Listeners[i]
			if p.listenerName != "" && p.listenerName != l.Name {
				continue
			}
			switch {
			case l.Hostname == nil || *l.Hostname == "":
				return h
			case hostnameMatches(string(*l.Hostname), string(h)):
				return h
			case hostnameMatches(string(h), string(*l.Hostname)):
				return *l.Hostname
			}
		}
	}
	return ""
}
