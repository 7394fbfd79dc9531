package source

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// RouteVerdict is how the pre-filtering judged one Gateway API route that names a Gateway of
// ours: for each such parent, whether a listener accepts it and why not. Routes that no
// listener accepts are left out of the Snapshot, but not out of its verdicts: a status writer
// says why (pkg/kubestatus).
type RouteVerdict struct {
	// Kind is the route's kind ("HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute").
	Kind string
	// Route is the route as read (before any hostname narrowing).
	Route interface {
		runtime.Object
		GetNamespace() string
		GetName() string
		GetGeneration() int64
	}
	// Parents are the parentRefs naming Gateways of ours, in spec order; none when the route
	// names none any more but its status still lists one of ours.
	Parents []ParentVerdict
}

// ParentVerdict is the judgement of one parentRef naming a Gateway of ours.
type ParentVerdict struct {
	// Ref is the parentRef as the route spells it.
	Ref     gatewayv1.ParentReference
	Gateway *gatewayv1.Gateway
	// Accepted is true when some listener accepts the route; Listeners are those that do.
	Accepted  bool
	Listeners []gatewayv1.SectionName
	// Reason is the reason of the Accepted condition: Accepted, NotAllowedByListeners,
	// NoMatchingListenerHostname or NoMatchingParent.
	Reason gatewayv1.RouteConditionReason
}

// recordVerdicts keeps the parents' verdicts of a route in the Snapshot being built. A route
// that names no Gateway of ours is recorded only when its status still lists a parent of our
// controller, with no parents: that entry is stale (KIC removes it too).
func (f *filterer) recordVerdicts(rt route, parents []parent) {
	if len(parents) == 0 && !slices.ContainsFunc(rt.statusParents, func(p gatewayv1.RouteParentStatus) bool {
		return string(p.ControllerName) == f.opts.GatewayClassController
	}) {
		return
	}
	v := RouteVerdict{Kind: rt.kind, Route: rt.obj}
	for _, p := range parents {
		v.Parents = append(v.Parents, p.verdict)
	}
	f.out.routes = append(f.out.routes, v)
}

// RouteVerdicts are the verdicts on every route that names a Gateway of ours, accepted or not,
// in the order the routes were read.
func (s *Snapshot) RouteVerdicts() []RouteVerdict { return s.routes }

// ListenerSupportedKinds are the route kinds a listener supports, from its spec as KIC's
// Gateway controller writes them in its status (supportedKinds): the protocol's kinds when
// allowedRoutes.kinds is empty, otherwise the listed kinds this tool translates.
func ListenerSupportedKinds(l *gatewayv1.Listener) []gatewayv1.RouteGroupKind {
	return supportedKinds(l, nil)
}
