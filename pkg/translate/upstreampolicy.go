package translate

import (
	"fmt"
	"strings"

	"github.com/kong/go-kong/kong"
	kongv1beta1 "github.com/kong/kubernetes-configuration/api/configuration/v1beta1"
	corev1 "k8s.io/api/core/v1"
)

// stickySessionsMinKong is the first Kong version with the sticky-sessions algorithm.
const stickySessionsMinKong = "3.11.0"

// upstreamPolicyFor is KIC's GetKongUpstreamPolicyForServices: all Services behind one upstream
// must name the same KongUpstreamPolicy (or none); it lives in their namespace.
func (t *translator) upstreamPolicyFor(services []*corev1.Service) (*kongv1beta1.KongUpstreamPolicy, error) {
	if len(services) == 0 {
		return nil, nil
	}
	names := map[string]bool{}
	var name string
	for _, s := range services {
		n, ok := s.Annotations[annUpstreamPolicy]
		key := "\x00none"
		if ok {
			key = n
			name = n
		}
		names[key] = true
	}
	if len(names) > 1 {
		var list []string
		for _, s := range services {
			list = append(list, s.Namespace+"/"+s.Name)
		}
		return nil, fmt.Errorf("inconsistent KongUpstreamPolicy configuration for services %s", strings.Join(list, ", "))
	}
	if names["\x00none"] {
		return nil, nil
	}
	p := t.idx.upstreamPolicies[nsName(services[0].Namespace, name)]
	if p == nil {
		return nil, fmt.Errorf("failed fetching KongUpstreamPolicy: KongUpstreamPolicy %s/%s not found", services[0].Namespace, name)
	}
	return p, nil
}

// applyUpstreamPolicy copies the policy's fields that are set onto u (KIC's
// overrideByKongUpstreamPolicy over TranslateKongUpstreamPolicy).
func applyUpstreamPolicy(u *kong.Upstream, spec kongv1beta1.KongUpstreamPolicySpec) {
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = kong.String(*v)
		}
	}
	set(&u.Algorithm, spec.Algorithm)
	if spec.Slots != nil {
		u.Slots = kong.Int(*spec.Slots)
	}
	if hc := healthchecks(spec.Healthchecks); hc != nil {
		u.Healthchecks = hc
	}
	set(&u.HashOn, hashOnType(spec.HashOn))
	set(&u.HashFallback, hashOnType(spec.HashOnFallback))
	if h := spec.HashOn; h != nil {
		set(&u.HashOnHeader, h.Header)
		set(&u.HashOnQueryArg, h.QueryArg)
		set(&u.HashOnURICapture, h.URICapture)
	}
	if h := spec.HashOnFallback; h != nil {
		set(&u.HashFallbackHeader, h.Header)
		set(&u.HashFallbackQueryArg, h.QueryArg)
		set(&u.HashFallbackURICapture, h.URICapture)
	}
	// Cookie and cookie path come from hashOn, else from the fallback.
	var cookie, cookiePath *string
	for _, h := range []*kongv1beta1.KongUpstreamHash{spec.HashOnFallback, spec.HashOn} {
		if h != nil && h.Cookie != nil {
			cookie = h.Cookie
		}
		if h != nil && h.CookiePath != nil {
			cookiePath = h.CookiePath
		}
	}
	set(&u.HashOnCookie, cookie)
	set(&u.HashOnCookiePath, cookiePath)
	if s := spec.StickySessions; s != nil {
		u.StickySessionsCookie = kong.String(s.Cookie)
		set(&u.StickySessionsCookiePath, s.CookiePath)
	}
}

func hashOnType(h *kongv1beta1.KongUpstreamHash) *string {
	if h == nil {
		return nil
	}
	switch {
	case h.Input != nil:
		return kong.String(string(*h.Input))
	case h.Header != nil:
		return kong.String("header")
	case h.Cookie != nil:
		return kong.String("cookie")
	case h.QueryArg != nil:
		return kong.String("query_arg")
	case h.URICapture != nil:
		return kong.String("uri_capture")
	}
	return nil
}

func healthchecks(h *kongv1beta1.KongUpstreamHealthcheck) *kong.Healthcheck {
	if h == nil {
		return nil
	}
	out := &kong.Healthcheck{}
	if a := h.Active; a != nil {
		out.Active = &kong.ActiveHealthcheck{
			Concurrency: a.Concurrency, HTTPPath: a.HTTPPath, HTTPSSni: a.HTTPSSNI,
			HTTPSVerifyCertificate: a.HTTPSVerifyCertificate, Type: a.Type, Timeout: a.Timeout,
			Headers: a.Headers, Healthy: healthy(a.Healthy), Unhealthy: unhealthy(a.Unhealthy),
		}
	}
	if p := h.Passive; p != nil {
		out.Passive = &kong.PassiveHealthcheck{Type: p.Type, Healthy: healthy(p.Healthy), Unhealthy: unhealthy(p.Unhealthy)}
	}
	if h.Threshold != nil {
		v := float64(*h.Threshold)
		out.Threshold = &v
	}
	return out
}

func healthy(h *kongv1beta1.KongUpstreamHealthcheckHealthy) *kong.Healthy {
	if h == nil {
		return nil
	}
	return &kong.Healthy{HTTPStatuses: statuses(h.HTTPStatuses), Interval: h.Interval, Successes: h.Successes}
}

func unhealthy(h *kongv1beta1.KongUpstreamHealthcheckUnhealthy) *kong.Unhealthy {
	if h == nil {
		return nil
	}
	return &kong.Unhealthy{
		HTTPFailures: h.HTTPFailures, HTTPStatuses: statuses(h.HTTPStatuses),
		TCPFailures: h.TCPFailures, Timeouts: h.Timeouts, Interval: h.Interval,
	}
}

func statuses(s []kongv1beta1.HTTPStatus) []int {
	if s == nil {
		return nil
	}
	out := make([]int, len(s))
	for i, v := range s {
		out[i] = int(v)
	}
	return out
}

// overrideUpstreams is KIC's FillUpstreamOverrides: KongIngress (deprecated) and the
// konghq.com/host-header annotation of each backing Service, then the KongUpstreamPolicy.
func (t *translator) overrideUpstreams() {
	for _, uo := range t.upstreamServices {
		svc := uo.service
		group := make([]*corev1.Service, 0, len(svc.k8sServiceKeys))
		for _, k := range svc.k8sServiceKeys {
			group = append(group, svc.k8sServices[k])
		}
		t.warnKongIngressDeprecated(group)
		ki, err := t.kongIngressFor(group)
		if err != nil {
			for _, s := range group {
				t.fail(s, annField(annOverride), "%v", err)
			}
		} else {
			for _, s := range group {
				// KIC ignores KongIngress, and with it the host-header annotation, for
				// Gateway API routes.
				if ki != nil && isGatewayAPIObject(svc.Parent) {
					continue
				}
				applyKongIngressUpstream(&uo.upstream.Upstream, ki)
				if h := s.Annotations[annHostHeader]; h != "" {
					uo.upstream.HostHeader = kong.String(h)
				}
			}
		}
		policy, err := t.upstreamPolicyFor(group)
		if err != nil {
			for _, s := range group {
				t.fail(s, annField(annUpstreamPolicy), "%v", err)
			}
			continue
		}
		if policy == nil {
			continue
		}
		if a := policy.Spec.Algorithm; a != nil && *a == "sticky-sessions" && versionLess(t.opts.KongVersion, stickySessionsMinKong) {
			for _, s := range group {
				t.fail(s, annField(annUpstreamPolicy), "sticky sessions algorithm specified in KongUpstreamPolicy '%s' is not supported with Kong Gateway versions < %s", policy.Name, stickySessionsMinKong)
			}
			continue
		}
		applyUpstreamPolicy(&uo.upstream.Upstream, policy.Spec)
	}
}
