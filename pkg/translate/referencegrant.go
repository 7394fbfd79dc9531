package translate

import (
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// grantRef is one cross-namespace reference that a ReferenceGrant must allow.
type grantRef struct {
	FromGroup, FromKind, FromNamespace string
	ToGroup, ToKind, ToNamespace       string
	ToName                             string
}

// referenceAllowed is KIC's GetPermittedForReferenceGrantFrom + isRefAllowedByGrant: some
// ReferenceGrant in the target namespace has a from entry equal to (group, kind, namespace) of
// the referrer and a to entry of the target's group and kind, naming it or all of them.
// Gateway API spells the core group "" (KIC compares the referrer's GVK group verbatim).
func (idx *index) referenceAllowed(r grantRef) bool {
	for _, g := range idx.referenceGrants[r.ToNamespace] {
		if !grantFromMatches(g, r) {
			continue
		}
		for _, to := range g.Spec.To {
			if string(to.Group) != r.ToGroup || string(to.Kind) != r.ToKind {
				continue
			}
			if to.Name == nil || string(*to.Name) == r.ToName {
				return true
			}
		}
	}
	return false
}

func grantFromMatches(g *gatewayv1beta1.ReferenceGrant, r grantRef) bool {
	for _, f := range g.Spec.From {
		if string(f.Group) == r.FromGroup && string(f.Kind) == r.FromKind && string(f.Namespace) == r.FromNamespace {
			return true
		}
	}
	return false
}
