package translate

import (
	"fmt"
	"strconv"

	"github.com/kong/go-kong/kong"
)

// translateUDPIngresses is KIC's ingressRulesFromUDPIngressV1beta1: every rule is a route
// <ns>.<name>.<i>.udp on the rule's port, on the service <ns>.<svc>.<port>.udp, which KIC
// creates without timeouts or retries (Kong's defaults apply). Oldest first.
func (t *translator) translateUDPIngresses() *ruleSet {
	rs := newRuleSet()
	for _, ing := range sortedByCreation(t.snap.UDPIngresses) {
		for i, rule := range ing.Spec.Rules {
			if rule.Backend.ServiceName == "" {
				t.fail(ing, fmt.Sprintf("spec.rules[%d].backend.serviceName", i), "no Service name given")
				continue
			}
			svcName, port := rule.Backend.ServiceName, rule.Backend.ServicePort
			r := &kongRoute{Parent: ing}
			r.Name = kong.String(ing.Namespace + "." + ing.Name + "." + strconv.Itoa(i) + ".udp")
			r.Protocols = kong.StringSlice("udp")
			r.Destinations = []*kong.CIDRPort{{Port: kong.Int(rule.Port)}}
			r.Tags = t.tags(ing)
			svc := rs.service(fmt.Sprintf("%s.%s.%d.udp", ing.Namespace, svcName, port), func() *kongService {
				return &kongService{
					Service: kong.Service{
						Host:     kong.String(fmt.Sprintf("%s.%s.%d.svc", svcName, ing.Namespace, port)),
						Port:     kong.Int(port),
						Protocol: kong.String("udp"),
					},
					Namespace: ing.Namespace,
					Backends: []serviceBackend{{Namespace: ing.Namespace, Name: svcName,
						Port: portDef{Mode: portModeByNumber, Number: int32(port)}}},
					Parent: ing,
				}
			})
			svc.Routes = append(svc.Routes, r)
		}
	}
	return rs
}
