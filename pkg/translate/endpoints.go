package translate

import (
	"net"
	"slices"
	"strconv"

	"github.com/kong/go-kong/kong"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// defaultTargetWeight is Kong's target weight when none is set; KIC sums weights of duplicate
// targets with it.
const defaultTargetWeight = 100

// buildUpstreams is KIC's getUpstreams: one upstream per distinct service host, its targets
// from the backends' EndpointSlices (or the Service DNS name / ExternalName), and each Kong
// service's port set to the backing Service port. It returns the services to keep, by name.
func (t *translator) buildUpstreams(rs *ruleSet, skip map[string]bool) []*kongService {
	names := slices.Sorted(func(yield func(string) bool) {
		for _, n := range rs.order {
			if rs.services[n] != nil && !yield(n) {
				return
			}
		}
	})
	icp := t.ingressClassParams()
	seenHosts := map[string]bool{}
	var out []*kongService
	for _, name := range names {
		svc := rs.services[name]
		host := deref(svc.Host)
		if !seenHosts[host] {
			seenHosts[host] = true
			targets := map[string]*kong.Target{}
			var order []string
			for _, b := range svc.Backends {
				k := svc.k8sServices[nsName(b.Namespace, b.Name)]
				if k == nil {
					t.fail(svc.Parent, "", "can't add target for backend %s: no kubernetes service found", b.Name)
					continue
				}
				port, reason := findPort(k, b.Port)
				if port == nil {
					t.fail(k, "spec.ports", "can't find port for backend kubernetes service: %s", reason)
					if svc.Parent != nil && svc.Parent != object(k) {
						t.fail(svc.Parent, "", "can't find port for backend kubernetes service %s/%s: %s", k.Namespace, k.Name, reason)
					}
					continue
				}
				svc.Port = kong.Int(int(port.Port))
				newTargets := t.serviceTargets(k, port, icp.ServiceUpstream)
				applyBackendWeight(newTargets, b.Weight)
				for _, tg := range newTargets {
					key := deref(tg.Target)
					if have, ok := targets[key]; ok {
						sum := weightOr100(have.Weight) + weightOr100(tg.Weight)
						have.Weight = kong.Int(sum)
						continue
					}
					targets[key] = tg
					order = append(order, key)
				}
			}
			up := &kongstate.Upstream{Upstream: kong.Upstream{Name: kong.String(host), Tags: svc.Tags}}
			slices.Sort(order)
			for _, key := range order {
				up.Targets = append(up.Targets, targets[key])
			}
			t.state.Upstreams = append(t.state.Upstreams, up)
			t.upstreamServices = append(t.upstreamServices, upstreamOf{upstream: up, service: svc})
		}
		if !skip[name] {
			out = append(out, svc)
		}
	}
	return out
}

// upstreamOf ties an upstream to the Kong service it was made for, whose backing Services'
// KongIngress/KongUpstreamPolicy/host-header apply to it.
type upstreamOf struct {
	upstream *kongstate.Upstream
	service  *kongService
}

func weightOr100(w *int) int {
	if w != nil {
		return *w
	}
	return defaultTargetWeight
}

// applyBackendWeight splits a Gateway API backend weight evenly over the non-terminating
// targets (minimum 1); a weight of 0 gives every target weight 0.
func applyBackendWeight(targets []*kong.Target, weight *int32) {
	if weight == nil || len(targets) == 0 {
		return
	}
	w := int(*weight)
	live := 0
	for _, tg := range targets {
		if tg.Weight == nil || *tg.Weight != 0 {
			live++
		}
	}
	if w != 0 && live > 0 {
		w /= live
		if w == 0 {
			w = 1
		}
	}
	for _, tg := range targets {
		if tg.Weight != nil && *tg.Weight == 0 {
			continue
		}
		tg.Weight = kong.Int(w)
	}
}

// findPort is KIC's findPort: the Service port a backend refers to, by number, by name (or
// named targetPort), or the only port; ExternalName Services accept any number.
func findPort(svc *corev1.Service, want portDef) (*corev1.ServicePort, string) {
	external := svc.Spec.Type == corev1.ServiceTypeExternalName
	switch want.Mode {
	case portModeByNumber:
		if external {
			return &corev1.ServicePort{Port: want.Number, TargetPort: intstr.FromInt32(want.Number)}, ""
		}
		for i := range svc.Spec.Ports {
			if svc.Spec.Ports[i].Port == want.Number {
				return &svc.Spec.Ports[i], ""
			}
		}
	case portModeByName:
		if external {
			return nil, "rules with an ExternalName service must specify numeric ports"
		}
		for i, p := range svc.Spec.Ports {
			if p.Name == want.Name || (p.TargetPort.Type == intstr.String && p.TargetPort.StrVal == want.Name) {
				return &svc.Spec.Ports[i], ""
			}
		}
	case portModeImplicit:
		if external {
			return nil, "rules with an ExternalName service must specify numeric ports"
		}
		if len(svc.Spec.Ports) != 1 {
			return nil, "in implicit mode, service must have exactly 1 port, has " + strconv.Itoa(len(svc.Spec.Ports))
		}
		return &svc.Spec.Ports[0], ""
	}
	return nil, "no suitable port found (want " + want.canonical() + ")"
}

// serviceTargets is KIC's getServiceEndpoints + targetsForEndpoints: with service-upstream (the
// annotation or IngressClassParameters) one target <svc>.<ns>.svc[.<domain>]:<port>; for an
// ExternalName Service <externalName>:<targetPort>; otherwise the ready endpoints of the
// Service's EndpointSlices whose port matches by name, for TCP and every protocol the Service
// uses, first address only, deduplicated.
func (t *translator) serviceTargets(svc *corev1.Service, port *corev1.ServicePort, serviceUpstream bool) []*kong.Target {
	if serviceUpstream || svc.Annotations[annServiceUpstream] == "true" {
		host := svc.Name + "." + svc.Namespace + ".svc"
		if t.opts.ClusterDomain != "" {
			host += "." + t.opts.ClusterDomain
		}
		return []*kong.Target{{Target: kong.String(host + ":" + strconv.Itoa(int(port.Port)))}}
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return []*kong.Target{{Target: kong.String(targetAddress(svc.Spec.ExternalName) + ":" + port.TargetPort.String())}}
	}
	protocols := []corev1.Protocol{corev1.ProtocolTCP}
	for _, p := range svc.Spec.Ports {
		if p.Protocol != "" && !slices.Contains(protocols, p.Protocol) {
			protocols = append(protocols, p.Protocol)
		}
	}
	type endpoint struct {
		addr, port  string
		terminating bool
	}
	seen := map[endpoint]bool{}
	var targets []*kong.Target
	slicesOfSvc := t.idx.endpointSlices[nsName(svc.Namespace, svc.Name)]
	for _, proto := range protocols {
		for _, es := range slicesOfSvc {
			for _, p := range es.Ports {
				pProto := corev1.ProtocolTCP
				if p.Protocol != nil {
					pProto = *p.Protocol
				}
				if p.Port == nil || *p.Port < 0 || pProto != proto || deref(p.Name) != port.Name {
					continue
				}
				for _, ep := range es.Endpoints {
					if len(ep.Addresses) == 0 {
						continue
					}
					terminating := ep.Conditions.Terminating != nil && *ep.Conditions.Terminating
					ready := ep.Conditions.Ready == nil || *ep.Conditions.Ready
					if !ready && (!terminating || !t.opts.EnableDrainSupport) {
						continue
					}
					e := endpoint{addr: ep.Addresses[0], port: strconv.Itoa(int(*p.Port)), terminating: terminating && t.opts.EnableDrainSupport}
					if seen[e] {
						continue
					}
					seen[e] = true
					tg := &kong.Target{Target: kong.String(targetAddress(e.addr) + ":" + e.port)}
					if e.terminating {
						tg.Weight = kong.Int(0)
					}
					targets = append(targets, tg)
				}
			}
		}
	}
	return targets
}

// targetAddress brackets IPv6 addresses.
func targetAddress(addr string) string {
	if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil {
		return "[" + addr + "]"
	}
	return addr
}
