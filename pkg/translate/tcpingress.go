package translate

import (
	"fmt"
	"strconv"

	"github.com/kong/go-kong/kong"
)

// translateTCPIngresses is KIC's ingressRulesFromTCPIngressV1beta1: every rule is a route
// <ns>.<name>.<i> for tcp and tls on the rule's port (SNI = the rule's host), on the service
// <ns>.<svc>.<port>; spec.tls asks for certificates as an Ingress's does. Oldest first.
func (t *translator) translateTCPIngresses() *ruleSet {
	rs := newRuleSet()
	for _, ing := range sortedByCreation(t.snap.TCPIngresses) {
		for _, tls := range ing.Spec.TLS {
			if len(tls.Hosts) == 0 || tls.SecretName == "" {
				continue
			}
			rs.addSNIs(ing.Namespace, tls.SecretName, tls.Hosts, ing)
		}
		for i, rule := range ing.Spec.Rules {
			if rule.Backend.ServiceName == "" {
				t.fail(ing, fmt.Sprintf("spec.rules[%d].backend.serviceName", i), "no Service name given")
				continue
			}
			svcName, port := rule.Backend.ServiceName, rule.Backend.ServicePort
			r := &kongRoute{Parent: ing}
			r.Name = kong.String(ing.Namespace + "." + ing.Name + "." + strconv.Itoa(i))
			r.Protocols = kong.StringSlice("tcp", "tls")
			r.Destinations = []*kong.CIDRPort{{Port: kong.Int(rule.Port)}}
			r.Tags = t.tags(ing)
			if rule.Host != "" {
				r.SNIs = kong.StringSlice(rule.Host)
			}
			svc := rs.service(fmt.Sprintf("%s.%s.%d", ing.Namespace, svcName, port), func() *kongService {
				return &kongService{
					Service: kong.Service{
						Host:           kong.String(fmt.Sprintf("%s.%s.%d.svc", svcName, ing.Namespace, port)),
						Port:           kong.Int(defaultHTTPPort),
						Protocol:       kong.String("tcp"),
						ConnectTimeout: kong.Int(defaultServiceTimeout),
						ReadTimeout:    kong.Int(defaultServiceTimeout),
						WriteTimeout:   kong.Int(defaultServiceTimeout),
						Retries:        kong.Int(defaultRetries),
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
