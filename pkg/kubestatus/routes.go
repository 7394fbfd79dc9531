package kubestatus

import (
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1alpha2 "sigs.k8s.io/gateway-api/apis/v1alpha2"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// KIC's own route condition: Programmed, with its reasons (route_parent_status.go).
const (
	RouteConditionProgrammed    = "Programmed"
	ReasonConfiguredInGateway   = "ConfiguredInGateway"
	ReasonTranslationError      = "TranslationError"
	ReasonProgrammedNotKnownYet = "Unknown"
)

// routes: each route naming a Gateway of ours gets, on each such parent, Accepted (the
// pre-filtering's verdict), ResolvedRefs (the first backendRef translation could not use) and
// KIC's Programmed.
func (k *knowledge) routes() []Change {
	var out []Change
	for _, v := range k.in.Snapshot.RouteVerdicts() {
		obj, _ := routeStatusOf(v.Route)
		route, ok := v.Route.(client.Object)
		if obj == nil || !ok {
			continue
		}
		want := k.routeParents(v)
		out = append(out, Change{
			Object: obj,
			Read:   route,
			Apply: func(o client.Object, now metav1.Time) bool {
				_, p := routeStatusOf(o)
				before := append([]gatewayv1.RouteParentStatus(nil), *p...)
				*p = k.mergeParents(*p, want, now)
				return !equality.Semantic.DeepEqual(before, *p)
			},
		})
	}
	return out
}

// routeStatusOf is an empty object of route's kind naming it, and the parents of route's status.
func routeStatusOf(route any) (client.Object, *[]gatewayv1.RouteParentStatus) {
	switch r := route.(type) {
	case *gatewayv1.HTTPRoute:
		return &gatewayv1.HTTPRoute{ObjectMeta: nameOf(r)}, &r.Status.Parents
	case *gatewayv1.GRPCRoute:
		return &gatewayv1.GRPCRoute{ObjectMeta: nameOf(r)}, &r.Status.Parents
	case *gatewayv1alpha2.TCPRoute:
		return &gatewayv1alpha2.TCPRoute{ObjectMeta: nameOf(r)}, &r.Status.Parents
	case *gatewayv1alpha2.UDPRoute:
		return &gatewayv1alpha2.UDPRoute{ObjectMeta: nameOf(r)}, &r.Status.Parents
	case *gatewayv1alpha2.TLSRoute:
		return &gatewayv1alpha2.TLSRoute{ObjectMeta: nameOf(r)}, &r.Status.Parents
	}
	return nil, nil
}

func nameOf(o client.Object) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: o.GetNamespace(), Name: o.GetName()}
}

// backendRefsOf are a route's backendRefs in rule order.
func backendRefsOf(route any) []gatewayv1.BackendRef {
	var out []gatewayv1.BackendRef
	switch r := route.(type) {
	case *gatewayv1.HTTPRoute:
		for _, rule := range r.Spec.Rules {
			for _, b := range rule.BackendRefs {
				out = append(out, b.BackendRef)
			}
		}
	case *gatewayv1.GRPCRoute:
		for _, rule := range r.Spec.Rules {
			for _, b := range rule.BackendRefs {
				out = append(out, b.BackendRef)
			}
		}
	case *gatewayv1alpha2.TCPRoute:
		for _, rule := range r.Spec.Rules {
			out = append(out, rule.BackendRefs...)
		}
	case *gatewayv1alpha2.UDPRoute:
		for _, rule := range r.Spec.Rules {
			out = append(out, rule.BackendRefs...)
		}
	case *gatewayv1alpha2.TLSRoute:
		for _, rule := range r.Spec.Rules {
			out = append(out, rule.BackendRefs...)
		}
	}
	return out
}

// routeParents are the parent statuses kongdb gives a route (conditions without lastTransitionTime).
func (k *knowledge) routeParents(v source.RouteVerdict) []gatewayv1.RouteParentStatus {
	gen := v.Route.GetGeneration()
	key := objectKey{v.Kind, v.Route.GetNamespace(), v.Route.GetName()}
	// ResolvedRefs is the route's, not a parent's: the first reference that fails wins, on
	// every parent (KIC). KIC writes it on HTTPRoutes only; the spec defines it for all kinds.
	resolved := condition(string(gatewayv1.RouteConditionResolvedRefs), metav1.ConditionTrue, string(gatewayv1.RouteReasonResolvedRefs), "", gen)
	route, _ := v.Route.(client.Object)
	for _, ref := range backendRefsOf(v.Route) {
		if p := k.refs.Check(route, ref); p != nil {
			resolved = condition(string(gatewayv1.RouteConditionResolvedRefs), metav1.ConditionFalse, p.Reason, p.Message, gen)
			break
		}
	}
	var out []gatewayv1.RouteParentStatus
	for _, p := range v.Parents {
		accepted := condition(string(gatewayv1.RouteConditionAccepted), boolStatus(p.Accepted), string(p.Reason), acceptedMessage(p), gen)
		programmed := condition(RouteConditionProgrammed, metav1.ConditionUnknown, ReasonProgrammedNotKnownYet, "the route is not accepted by this parent", gen)
		if p.Accepted {
			switch msg := k.failure(key); {
			case msg != "":
				programmed = condition(RouteConditionProgrammed, metav1.ConditionFalse, ReasonTranslationError, msg, gen)
			case k.inKong[key]:
				programmed = condition(RouteConditionProgrammed, metav1.ConditionTrue, ReasonConfiguredInGateway, "", gen)
			default:
				programmed.Message = "nothing of the route is in Kong"
			}
		}
		out = append(out, gatewayv1.RouteParentStatus{
			ParentRef:      defaultedParentRef(p.Ref, v.Route.GetNamespace()),
			ControllerName: gatewayv1.GatewayController(k.in.ControllerName),
			Conditions:     []metav1.Condition{accepted, resolved, programmed},
		})
	}
	return out
}

func acceptedMessage(p source.ParentVerdict) string {
	switch p.Reason {
	case gatewayv1.RouteReasonAccepted:
		return ""
	case gatewayv1.RouteReasonNotAllowedByListeners:
		return "no listener of Gateway " + p.Gateway.Namespace + "/" + p.Gateway.Name + " allows this route (allowedRoutes namespaces or kinds)"
	case gatewayv1.RouteReasonNoMatchingListenerHostname:
		return "no hostname of the route matches a listener hostname of Gateway " + p.Gateway.Namespace + "/" + p.Gateway.Name
	}
	return "no listener of Gateway " + p.Gateway.Namespace + "/" + p.Gateway.Name + " matches the parentRef's sectionName, port and protocol"
}

// defaultedParentRef is ref with the group, kind and namespace the API server would default,
// spelled out as KIC writes them.
func defaultedParentRef(ref gatewayv1.ParentReference, routeNamespace string) gatewayv1.ParentReference {
	out := *ref.DeepCopy()
	if out.Group == nil {
		g := gatewayv1.Group(gatewayv1.GroupName)
		out.Group = &g
	}
	if out.Kind == nil {
		k := gatewayv1.Kind("Gateway")
		out.Kind = &k
	}
	if out.Namespace == nil {
		ns := gatewayv1.Namespace(routeNamespace)
		out.Namespace = &ns
	}
	return out
}

// mergeParents is existing with this controller's entries replaced by want (in want's order,
// after the other controllers' entries), each condition keeping its lastTransitionTime when
// its status did not change.
func (k *knowledge) mergeParents(existing, want []gatewayv1.RouteParentStatus, now metav1.Time) []gatewayv1.RouteParentStatus {
	var out []gatewayv1.RouteParentStatus
	ours := func(p gatewayv1.RouteParentStatus) bool { return string(p.ControllerName) == k.in.ControllerName }
	for _, p := range existing {
		if !ours(p) {
			out = append(out, p)
		}
	}
	for _, w := range want {
		var old []metav1.Condition
		for _, p := range existing {
			if ours(p) && equality.Semantic.DeepEqual(defaultedParentRef(p.ParentRef, string(*w.ParentRef.Namespace)), w.ParentRef) {
				old = p.Conditions
			}
		}
		w.Conditions = onlyConditions(old, now, w.Conditions...)
		out = append(out, w)
	}
	return out
}
