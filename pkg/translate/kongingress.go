package translate

import (
	"fmt"

	"github.com/kong/go-kong/kong"
	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	corev1 "k8s.io/api/core/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// kongIngressFor is KIC's getKongIngressForServices: the KongIngress named by the first
// Service (in name order) with konghq.com/override, in that Service's namespace.
func (t *translator) kongIngressFor(services []*corev1.Service) (*kongv1.KongIngress, error) {
	for _, s := range services {
		name := s.Annotations[annOverride]
		if name == "" {
			continue
		}
		ki := t.idx.kongIngresses[nsName(s.Namespace, name)]
		if ki == nil {
			return nil, fmt.Errorf("failed to get KongIngress: KongIngress %s/%s not found", s.Namespace, name)
		}
		return ki, nil
	}
	return nil, nil
}

// warnKongIngressDeprecated is KIC's maybeLogKongIngressDeprecationError, as warnings.
func (t *translator) warnKongIngressDeprecated(services []*corev1.Service) {
	for _, s := range services {
		_, hasPolicy := s.Annotations[annUpstreamPolicy]
		hasOverride := s.Annotations[annOverride] != ""
		if hasOverride && hasPolicy {
			t.warn(s, annField(annOverride), "Service uses both %s and %s annotations, should use only %s annotation. Settings from %s will take precedence", annOverride, annUpstreamPolicy, annUpstreamPolicy, annUpstreamPolicy)
		}
		if hasOverride {
			t.warn(s, annField(annOverride), "Service uses deprecated %s annotation and KongIngress, migrate to %s and KongUpstreamPolicy", annOverride, annUpstreamPolicy)
		}
	}
}

// applyKongIngressUpstream copies the set fields of a KongIngress's upstream section onto u
// (KIC's overrideByKongIngress; only the upstream section is honoured in KIC 3.x).
func applyKongIngressUpstream(u *kong.Upstream, ki *kongv1.KongIngress) {
	if ki == nil || ki.Upstream == nil {
		return
	}
	k := ki.Upstream
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = kong.String(*v)
		}
	}
	set(&u.HostHeader, k.HostHeader)
	set(&u.Algorithm, k.Algorithm)
	if k.Slots != nil {
		u.Slots = kong.Int(*k.Slots)
	}
	if k.Healthchecks != nil {
		u.Healthchecks = k.Healthchecks.DeepCopy()
	}
	set(&u.HashOn, k.HashOn)
	set(&u.HashFallback, k.HashFallback)
	set(&u.HashOnHeader, k.HashOnHeader)
	set(&u.HashFallbackHeader, k.HashFallbackHeader)
	set(&u.HashOnCookie, k.HashOnCookie)
	set(&u.HashOnCookiePath, k.HashOnCookiePath)
	set(&u.HashOnQueryArg, k.HashOnQueryArg)
	set(&u.HashFallbackQueryArg, k.HashFallbackQueryArg)
	set(&u.HashOnURICapture, k.HashOnURICapture)
	set(&u.HashFallbackURICapture, k.HashFallbackURICapture)
}

func isGatewayAPIObject(obj object) bool {
	return obj != nil && gvkOf(obj).Group == gatewayv1.GroupName
}
