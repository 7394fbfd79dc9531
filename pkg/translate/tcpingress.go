package translate

import (
	"fmt"
	"strconv"

	"github.com/kong/go-kong/kong"
	kongv1beta1 "github.com/kong/kubernetes-configuration/api/configuration/v1beta1"
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
			t.translateL4IngressRule(rs, ing, i, l4IngressRule{host: rule.Host, port: rule.Port, backend: rule.Backend}, tcpIngressKind)
		}
	}
	return rs
}

// l4IngressRule is one rule of a TCPIngress or a UDPIngress.
type l4IngressRule struct {
	// host is the route's SNI (TCPIngress only; "" for none).
	host    string
	port    int
	backend kongv1beta1.IngressBackend
}

// l4IngressKind is what tells TCPIngress and UDPIngress translation apart; KIC translates
// their rules alike otherwise.
type l4IngressKind struct {
	// suffix ends route and service names (".udp" for UDPIngress).
	suffix    string
	protocols []string
	// service is the Kong service for a backend port, without its host.
	service func(port int) kong.Service
}

// tcpIngressKind: KIC gives TCPIngress services port 80 and its usual timeouts and retries.
var tcpIngressKind = l4IngressKind{
	protocols: []string{"tcp", "tls"},
	service: func(int) kong.Service {
		return kong.Service{
			Port:           kong.Int(defaultHTTPPort),
			Protocol:       kong.String("tcp"),
			ConnectTimeout: kong.Int(defaultServiceTimeout),
			ReadTimeout:    kong.Int(defaultServiceTimeout),
			WriteTimeout:   kong.Int(defaultServiceTimeout),
			Retries:        kong.Int(defaultRetries),
		}
	},
}

// translateL4IngressRule adds the route <ns>.<name>.<i><suffix> of rule i on the rule's port,
// on the service <ns>.<svc>.<port><suffix> whose host is the Kubernetes Service's.
func (t *translator) translateL4IngressRule(rs *ruleSet, ing object, i int, rule l4IngressRule, kind l4IngressKind) {
	ns := ing.GetNamespace()
	if rule.backend.ServiceName == "" {
		t.fail(ing, fmt.Sprintf("spec.rules[%d].backend.serviceName", i), "no Service name given")
		return
	}
	svcName, port := rule.backend.ServiceName, rule.backend.ServicePort
	r := &kongRoute{Parent: ing}
	r.Name = kong.String(ns + "." + ing.GetName() + "." + strconv.Itoa(i) + kind.suffix)
	r.Protocols = kong.StringSlice(kind.protocols...)
	r.Destinations = []*kong.CIDRPort{{Port: kong.Int(rule.port)}}
	r.Tags = t.tags(ing)
	if rule.host != "" {
		r.SNIs = kong.StringSlice(rule.host)
	}
	svc := rs.service(fmt.Sprintf("%s.%s.%d%s", ns, svcName, port, kind.suffix), func() *kongService {
		s := kind.service(port)
		s.Host = kong.String(fmt.Sprintf("%s.%s.%d.svc", svcName, ns, port))
		return &kongService{
			Service:   s,
			Namespace: ns,
			Backends: []serviceBackend{{Namespace: ns, Name: svcName,
				Port: portDef{Mode: portModeByNumber, Number: int32(port)}}},
			Parent: ing,
		}
	})
	svc.Routes = append(svc.Routes, r)
}
