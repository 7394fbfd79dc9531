package kubestatus

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

func TestListenerConditions(t *testing.T) {
	host := func(h string) *gatewayv1.Hostname { x := gatewayv1.Hostname(h); return &x }
	group := gatewayv1.Group(gatewayv1.GroupName)
	listener := func(name string, p gatewayv1.ProtocolType, port int32) gatewayv1.Listener {
		return gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: p, Port: gatewayv1.PortNumber(port)}
	}
	tests := []struct {
		name      string
		listeners []gatewayv1.Listener
		diags     translate.Diagnostics
		// want is, for listener 0, the reason of each condition type.
		want map[string]string
	}{
		{
			name:      "a valid listener",
			listeners: []gatewayv1.Listener{listener("a", gatewayv1.HTTPProtocolType, 80)},
			want:      map[string]string{"Accepted": "Accepted", "Conflicted": "NoConflicts", "ResolvedRefs": "ResolvedRefs", "Programmed": "Programmed"},
		},
		{
			name: "HTTPS and TLS share a port",
			listeners: []gatewayv1.Listener{
				{Name: "a", Protocol: gatewayv1.HTTPSProtocolType, Port: 443, Hostname: host("a.example.com")},
				{Name: "b", Protocol: gatewayv1.TLSProtocolType, Port: 443, Hostname: host("b.example.com")},
			},
			want: map[string]string{"Conflicted": "NoConflicts", "Programmed": "Programmed"},
		},
		{
			name:      "the same hostname (none) on one port, HTTPS and TLS too",
			listeners: []gatewayv1.Listener{listener("a", gatewayv1.HTTPSProtocolType, 443), listener("b", gatewayv1.TLSProtocolType, 443)},
			want:      map[string]string{"Conflicted": "HostnameConflict", "Programmed": "Invalid"},
		},
		{
			name:      "HTTP and TCP do not",
			listeners: []gatewayv1.Listener{listener("a", gatewayv1.HTTPProtocolType, 80), listener("b", gatewayv1.TCPProtocolType, 80)},
			want:      map[string]string{"Conflicted": "ProtocolConflict", "Programmed": "Invalid"},
		},
		{
			name: "two HTTP listeners with different hostnames share a port",
			listeners: []gatewayv1.Listener{
				{Name: "a", Protocol: gatewayv1.HTTPProtocolType, Port: 80, Hostname: host("a.example.com")},
				{Name: "b", Protocol: gatewayv1.HTTPProtocolType, Port: 80, Hostname: host("b.example.com")},
			},
			want: map[string]string{"Conflicted": "NoConflicts", "Programmed": "Programmed"},
		},
		{
			name:      "a protocol Kong does not serve",
			listeners: []gatewayv1.Listener{listener("a", "SCTP", 80)},
			want:      map[string]string{"Accepted": "UnsupportedProtocol", "Programmed": "Invalid"},
		},
		{
			name: "a route kind Kong does not serve on the listener",
			listeners: []gatewayv1.Listener{{Name: "a", Protocol: gatewayv1.HTTPProtocolType, Port: 80,
				AllowedRoutes: &gatewayv1.AllowedRoutes{Kinds: []gatewayv1.RouteGroupKind{{Group: &group, Kind: "HTTPRoute"}, {Group: &group, Kind: "MeshRoute"}}}}},
			want: map[string]string{"ResolvedRefs": "InvalidRouteKinds", "Programmed": "Invalid"},
		},
		{
			name:      "a certificate no ReferenceGrant permits",
			listeners: []gatewayv1.Listener{listener("a", gatewayv1.HTTPSProtocolType, 443)},
			diags: translate.Diagnostics{{Severity: translate.SeverityError, Kind: "Gateway", Namespace: "infra", Name: "gw",
				Field: "spec.listeners[0].tls.certificateRefs", Reason: "certificateRef other/cert is not permitted by any ReferenceGrant"}},
			want: map[string]string{"ResolvedRefs": "RefNotPermitted", "Programmed": "Invalid"},
		},
		{
			name:      "another listener's certificate is not this one's",
			listeners: []gatewayv1.Listener{listener("a", gatewayv1.HTTPSProtocolType, 443)},
			diags: translate.Diagnostics{{Severity: translate.SeverityError, Kind: "Gateway", Namespace: "infra", Name: "gw",
				Field: "spec.listeners[01].tls.certificateRefs", Reason: "failed to fetch the TLS secret infra/x: not found"}},
			want: map[string]string{"ResolvedRefs": "ResolvedRefs", "Programmed": "Programmed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "gw", Generation: 2},
				Spec: gatewayv1.GatewaySpec{Listeners: tt.listeners}}
			k := newKnowledge(Input{Snapshot: &source.Snapshot{}, Diagnostics: tt.diags})
			st := k.gatewayStatus(gw, nil)
			for typ, reason := range tt.want {
				c := meta.FindStatusCondition(st.Listeners[0].Conditions, typ)
				if c == nil || c.Reason != reason || c.ObservedGeneration != 2 {
					t.Errorf("%s = %+v, want reason %s at generation 2", typ, c, reason)
				}
			}
		})
	}
}
