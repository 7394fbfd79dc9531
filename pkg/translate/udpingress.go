package translate

import (
	"github.com/kong/go-kong/kong"
)

// translateUDPIngresses is KIC's ingressRulesFromUDPIngressV1beta1: every rule is a route
// <ns>.<name>.<i>.udp on the rule's port, on the service <ns>.<svc>.<port>.udp. Oldest first.
func (t *translator) translateUDPIngresses() *ruleSet {
	rs := newRuleSet()
	for _, ing := range sortedByCreation(t.snap.UDPIngresses) {
		for i, rule := range ing.Spec.Rules {
			t.translateL4IngressRule(rs, ing, i, l4IngressRule{port: rule.Port, backend: rule.Backend}, udpIngressKind)
		}
	}
	return rs
}

// udpIngressKind: KIC creates UDPIngress services on the backend's port without timeouts or
// retries (Kong's defaults apply).
var udpIngressKind = l4IngressKind{
	suffix:    ".udp",
	protocols: []string{"udp"},
	service: func(port int) kong.Service {
		return kong.Service{Port: kong.Int(port), Protocol: kong.String("udp")}
	},
}
