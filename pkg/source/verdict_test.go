package source

import (
	"slices"
	"testing"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestRouteVerdictsSayWhyAParentRefusesARoute(t *testing.T) {
	tests := []struct {
		name          string
		routes        string
		wantAccepted  bool
		wantReason    gatewayv1.RouteConditionReason
		wantListeners []gatewayv1.SectionName
	}{
		{
			name:          "accepted by every listener that lets it in",
			routes:        httpRoute("r", "app", "{name: gw, namespace: infra}", `["a.example.com"]`),
			wantAccepted:  true,
			wantReason:    gatewayv1.RouteReasonAccepted,
			wantListeners: []gatewayv1.SectionName{"http"},
		},
		{
			name:       "no listener hostname matches",
			routes:     httpRoute("r", "app", "{name: gw, namespace: infra}", `["a.example.org"]`),
			wantReason: gatewayv1.RouteReasonNoMatchingListenerHostname,
		},
		{
			name:       "the listener named does not take this kind",
			routes:     httpRoute("r", "red", "{name: gw, namespace: infra, sectionName: tcp}", `[]`),
			wantReason: gatewayv1.RouteReasonNotAllowedByListeners,
		},
		{
			name:       "no listener has the section name",
			routes:     httpRoute("r", "app", "{name: gw, namespace: infra, sectionName: nope}", `[]`),
			wantReason: gatewayv1.RouteReasonNoMatchingParent,
		},
		{
			name:       "no listener on the port",
			routes:     httpRoute("r", "app", "{name: gw, namespace: infra, port: 81}", `[]`),
			wantReason: gatewayv1.RouteReasonNoMatchingParent,
		},
		{
			name:       "a namespace the udp listener does not allow",
			routes:     httpRoute("r", "app", "{name: gw, namespace: infra, sectionName: udp}", `[]`),
			wantReason: gatewayv1.RouteReasonNotAllowedByListeners,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := readYAML(t, gatewayClasses+tt.routes, Options{})
			if len(snap.RouteVerdicts()) != 1 || len(snap.RouteVerdicts()[0].Parents) != 1 {
				t.Fatalf("verdicts = %+v, want one route with one parent", snap.RouteVerdicts())
			}
			v := snap.RouteVerdicts()[0]
			p := v.Parents[0]
			if v.Kind != "HTTPRoute" || v.Route.GetName() != "r" || p.Gateway.Name != "gw" {
				t.Errorf("verdict names %s %s on Gateway %s", v.Kind, v.Route.GetName(), p.Gateway.Name)
			}
			if p.Accepted != tt.wantAccepted || p.Reason != tt.wantReason || !slices.Equal(p.Listeners, tt.wantListeners) {
				t.Errorf("verdict = accepted %v, reason %s, listeners %v; want %v, %s, %v",
					p.Accepted, p.Reason, p.Listeners, tt.wantAccepted, tt.wantReason, tt.wantListeners)
			}
		})
	}
}

func TestRouteVerdictsLeaveOutForeignGateways(t *testing.T) {
	snap := readYAML(t, gatewayClasses+httpRoute("r", "app", "{name: foreign, namespace: infra}", `[]`), Options{})
	if len(snap.RouteVerdicts()) != 0 {
		t.Errorf("verdicts = %+v, want none for a route of another controller's Gateway", snap.RouteVerdicts())
	}
}

func TestRouteVerdictsKeepRoutesWithStaleParentsOfOurs(t *testing.T) {
	stale := httpRoute("r", "app", "{name: foreign, namespace: infra}", `[]`) + `status:
  parents:
  - {parentRef: {name: gw, namespace: infra}, controllerName: konghq.com/kic-gateway-controller, conditions: []}
`
	snap := readYAML(t, gatewayClasses+stale, Options{})
	if len(snap.RouteVerdicts()) != 1 || len(snap.RouteVerdicts()[0].Parents) != 0 {
		t.Errorf("verdicts = %+v, want the route with no parents of ours", snap.RouteVerdicts())
	}
}
