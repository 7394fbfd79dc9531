package kubestatus

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// gatewayClasses: every GatewayClass of our controllerName is Accepted (KIC never writes
// Accepted=False: other controllers' classes are not ours to judge).
func (k *knowledge) gatewayClasses() []Change {
	var out []Change
	for _, gc := range k.in.Snapshot.GatewayClasses {
		gen := gc.Generation
		out = append(out, Change{
			Object: &gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: gc.Name}},
			Read:   gc,
			Apply: func(obj client.Object, now metav1.Time) bool {
				o := obj.(*gatewayv1.GatewayClass)
				before := o.Status.DeepCopy()
				setConditions(&o.Status.Conditions, now, condition(string(gatewayv1.GatewayClassConditionStatusAccepted),
					metav1.ConditionTrue, string(gatewayv1.GatewayClassReasonAccepted),
					"the GatewayClass is served by kongdb as "+k.in.ControllerName, gen))
				return !equality.Semantic.DeepEqual(before, &o.Status)
			},
		})
	}
	return out
}

// gateways: Accepted and Programmed once a sync of its routes ran, the proxy's addresses, and
// each listener's conditions, supported kinds and attached routes.
func (k *knowledge) gateways() []Change {
	attached := k.attachedRoutes()
	var out []Change
	for _, gw := range k.in.Snapshot.Gateways {
		if k.in.Namespace != "" && gw.Namespace != k.in.Namespace {
			continue
		}
		want := k.gatewayStatus(gw, attached)
		out = append(out, Change{
			Object: &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: gw.Namespace, Name: gw.Name}},
			Read:   gw,
			Apply: func(obj client.Object, now metav1.Time) bool {
				o := obj.(*gatewayv1.Gateway)
				before := o.Status.DeepCopy()
				setConditions(&o.Status.Conditions, now, want.Conditions...)
				if want.Addresses != nil {
					o.Status.Addresses = want.Addresses
				}
				listeners := make([]gatewayv1.ListenerStatus, len(want.Listeners))
				for i, l := range want.Listeners {
					var existing []metav1.Condition
					if j := slices.IndexFunc(o.Status.Listeners, func(x gatewayv1.ListenerStatus) bool { return x.Name == l.Name }); j >= 0 {
						existing = o.Status.Listeners[j].Conditions
					}
					l.Conditions = onlyConditions(existing, now, l.Conditions...)
					listeners[i] = l
				}
				o.Status.Listeners = listeners
				return !equality.Semantic.DeepEqual(before, &o.Status)
			},
		})
	}
	return out
}

// attachedRoutes counts, per Gateway and listener, the routes that listener accepts.
func (k *knowledge) attachedRoutes() map[string]map[gatewayv1.SectionName]int32 {
	counts := map[string]map[gatewayv1.SectionName]int32{}
	for _, v := range k.in.Snapshot.RouteVerdicts() {
		seen := map[string]bool{}
		for _, p := range v.Parents {
			gk := p.Gateway.Namespace + "/" + p.Gateway.Name
			for _, l := range p.Listeners {
				if seen[gk+"/"+string(l)] {
					continue // a route naming the same listener twice is attached once
				}
				seen[gk+"/"+string(l)] = true
				if counts[gk] == nil {
					counts[gk] = map[gatewayv1.SectionName]int32{}
				}
				counts[gk][l]++
			}
		}
	}
	return counts
}

// gatewayStatus is the status kongdb gives gw (conditions without lastTransitionTime).
func (k *knowledge) gatewayStatus(gw *gatewayv1.Gateway, attached map[string]map[gatewayv1.SectionName]int32) gatewayv1.GatewayStatus {
	gen := gw.Generation
	st := gatewayv1.GatewayStatus{Conditions: []metav1.Condition{
		condition(string(gatewayv1.GatewayConditionAccepted), metav1.ConditionTrue, string(gatewayv1.GatewayReasonAccepted),
			"the Gateway is served by kongdb", gen),
		// Never Programmed=False: the pre-filtering leaves out the routes of a Gateway that
		// is not Programmed, so a False written here would take its routes out of Kong.
		condition(string(gatewayv1.GatewayConditionProgrammed), metav1.ConditionTrue, string(gatewayv1.GatewayReasonProgrammed),
			"the Gateway's routes are configured in Kong", gen),
	}}
	for _, a := range k.in.Addresses {
		t := gatewayv1.HostnameAddressType
		if isIP(a) {
			t = gatewayv1.IPAddressType
		}
		st.Addresses = append(st.Addresses, gatewayv1.GatewayStatusAddress{Type: &t, Value: a})
	}
	conflicts := listenerConflicts(gw.Spec.Listeners)
	counts := attached[gw.Namespace+"/"+gw.Name]
	for i := range gw.Spec.Listeners {
		l := &gw.Spec.Listeners[i]
		ls := gatewayv1.ListenerStatus{Name: l.Name, SupportedKinds: source.ListenerSupportedKinds(l), AttachedRoutes: counts[l.Name]}
		if ls.SupportedKinds == nil {
			ls.SupportedKinds = []gatewayv1.RouteGroupKind{}
		}
		ls.Conditions = k.listenerConditions(gw, i, ls.SupportedKinds, conflicts[i])
		st.Listeners = append(st.Listeners, ls)
	}
	return st
}

// listenerConditions are KIC's listener conditions (getListenerStatus): Accepted,
// Conflicted, ResolvedRefs and Programmed, which is False when any of the others is bad.
func (k *knowledge) listenerConditions(gw *gatewayv1.Gateway, i int, kinds []gatewayv1.RouteGroupKind, conflict gatewayv1.ListenerConditionReason) []metav1.Condition {
	l := gw.Spec.Listeners[i]
	gen := gw.Generation
	ok := true
	accepted := condition(string(gatewayv1.ListenerConditionAccepted), metav1.ConditionTrue, string(gatewayv1.ListenerReasonAccepted), "", gen)
	if _, known := supportedProtocols[l.Protocol]; !known {
		ok = false
		accepted = condition(string(gatewayv1.ListenerConditionAccepted), metav1.ConditionFalse, string(gatewayv1.ListenerReasonUnsupportedProtocol),
			fmt.Sprintf("protocol %q is not one Kong serves (HTTP, HTTPS, TLS, TCP, UDP)", l.Protocol), gen)
	}
	conflicted := condition(string(gatewayv1.ListenerConditionConflicted), metav1.ConditionFalse, string(gatewayv1.ListenerReasonNoConflicts), "", gen)
	if conflict != "" {
		ok = false
		conflicted = condition(string(gatewayv1.ListenerConditionConflicted), metav1.ConditionTrue, string(conflict),
			fmt.Sprintf("another listener on port %d conflicts with this one", l.Port), gen)
	}
	resolved := condition(string(gatewayv1.ListenerConditionResolvedRefs), metav1.ConditionTrue, string(gatewayv1.ListenerReasonResolvedRefs), "", gen)
	if l.AllowedRoutes != nil && len(kinds) < len(l.AllowedRoutes.Kinds) {
		ok = false
		resolved = condition(string(gatewayv1.ListenerConditionResolvedRefs), metav1.ConditionFalse, string(gatewayv1.ListenerReasonInvalidRouteKinds),
			"some allowedRoutes.kinds are not route kinds Kong serves on this protocol", gen)
	} else if msg := k.certificateProblem(gw, i); msg != "" {
		ok = false
		reason := gatewayv1.ListenerReasonInvalidCertificateRef
		if strings.Contains(msg, "ReferenceGrant") {
			reason = gatewayv1.ListenerReasonRefNotPermitted
		}
		resolved = condition(string(gatewayv1.ListenerConditionResolvedRefs), metav1.ConditionFalse, string(reason), msg, gen)
	}
	programmed := condition(string(gatewayv1.ListenerConditionProgrammed), metav1.ConditionTrue, string(gatewayv1.ListenerReasonProgrammed), "", gen)
	if !ok {
		programmed = condition(string(gatewayv1.ListenerConditionProgrammed), metav1.ConditionFalse, string(gatewayv1.ListenerReasonInvalid),
			"the listener is not valid: see its other conditions", gen)
	}
	return []metav1.Condition{accepted, conflicted, resolved, programmed}
}

// certificateProblem is what translation said of listener i's certificates ("" for nothing):
// its diagnostics name the field spec.listeners[i].
func (k *knowledge) certificateProblem(gw *gatewayv1.Gateway, i int) string {
	prefix := fmt.Sprintf("spec.listeners[%d]", i)
	var msgs []string
	for _, d := range k.in.Diagnostics.Errors() {
		if d.Kind == "Gateway" && d.Namespace == gw.Namespace && d.Name == gw.Name && (d.Field == prefix || strings.HasPrefix(d.Field, prefix+".")) {
			msgs = append(msgs, d.Reason)
		}
	}
	return strings.Join(msgs, "; ")
}

// supportedProtocols are the listener protocols Kong serves, grouped by what may share a port:
// HTTPS and TLS both terminate TLS on one listen; HTTP, TCP and UDP stand alone.
var supportedProtocols = map[gatewayv1.ProtocolType]string{
	gatewayv1.HTTPProtocolType:  "http",
	gatewayv1.HTTPSProtocolType: "tls",
	gatewayv1.TLSProtocolType:   "tls",
	gatewayv1.TCPProtocolType:   "tcp",
	gatewayv1.UDPProtocolType:   "udp",
}

// listenerConflicts is KIC's conflict detection: listeners on one port with protocols that
// cannot share it are ProtocolConflict; listeners on one port and protocol family with the
// same hostname ("" counts as one) are HostnameConflict. Every listener of a conflict gets it.
func listenerConflicts(ls []gatewayv1.Listener) []gatewayv1.ListenerConditionReason {
	out := make([]gatewayv1.ListenerConditionReason, len(ls))
	family := func(l gatewayv1.Listener) string {
		if f, ok := supportedProtocols[l.Protocol]; ok {
			return f
		}
		return string(l.Protocol)
	}
	host := func(l gatewayv1.Listener) string {
		if l.Hostname == nil {
			return ""
		}
		return string(*l.Hostname)
	}
	for i := range ls {
		for j := range ls {
			if i == j || ls[i].Port != ls[j].Port {
				continue
			}
			switch {
			case family(ls[i]) != family(ls[j]):
				out[i] = gatewayv1.ListenerReasonProtocolConflict
			case host(ls[i]) == host(ls[j]) && out[i] == "":
				out[i] = gatewayv1.ListenerReasonHostnameConflict
			}
		}
	}
	return out
}
