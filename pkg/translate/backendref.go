package translate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// The reasons a Gateway API backendRef cannot be used, as the route's ResolvedRefs condition
// names them (the Gateway API spec's RouteReason values).
const (
	ReasonInvalidKind     = string(gatewayv1.RouteReasonInvalidKind)
	ReasonBackendNotFound = string(gatewayv1.RouteReasonBackendNotFound)
	ReasonRefNotPermitted = string(gatewayv1.RouteReasonRefNotPermitted)
)

// BackendRefProblem is why one backendRef is left out of the translation.
type BackendRefProblem struct {
	// Reason is ReasonInvalidKind, ReasonBackendNotFound or ReasonRefNotPermitted.
	Reason string
	// Message names the reference and says what is wrong, as translation's diagnostic does.
	Message string
}

// BackendRefs judges Gateway API backendRefs against one snapshot's Services and
// ReferenceGrants exactly as translation does, so a route's status says what its translation
// did with each reference.
type BackendRefs struct{ idx *index }

// NewBackendRefs indexes snap's Services and ReferenceGrants.
func NewBackendRefs(snap *source.Snapshot) *BackendRefs {
	return &BackendRefs{idx: newIndex(&source.Snapshot{Services: snap.Services, ReferenceGrants: snap.ReferenceGrants})}
}

// Check returns why route cannot use ref, or nil when it can. route is the Gateway API route
// the reference is written in.
func (b *BackendRefs) Check(route interface {
	runtime.Object
	GetNamespace() string
	GetName() string
}, ref gatewayv1.BackendRef) *BackendRefProblem {
	obj, ok := route.(object)
	if !ok {
		return &BackendRefProblem{Reason: ReasonInvalidKind, Message: fmt.Sprintf("%T is not a Kubernetes object", route)}
	}
	return b.idx.checkBackendRef(obj, ref)
}

// checkBackendRef is KIC's backendRefsToKongStateBackends' test of one reference: a core
// Service (InvalidKind otherwise) that exists (BackendNotFound) in the route's namespace or
// granted by a ReferenceGrant there (RefNotPermitted).
func (idx *index) checkBackendRef(route object, ref gatewayv1.BackendRef) *BackendRefProblem {
	ns := route.GetNamespace()
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	problem := func(reason, format string, args ...any) *BackendRefProblem {
		return &BackendRefProblem{Reason: reason, Message: fmt.Sprintf(format, args...)}
	}
	group := ""
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	switch {
	case ref.Kind == nil:
		return problem(ReasonInvalidKind, "backendRef %s/%s has no kind", ns, ref.Name)
	case *ref.Kind != "Service":
		return problem(ReasonInvalidKind, "backendRef %s/%s: unsupported kind %q, only 'Service' is supported", ns, ref.Name, *ref.Kind)
	case group != "" && group != "core":
		return problem(ReasonInvalidKind, "backendRef %s/%s: unsupported group %q", ns, ref.Name, group)
	case idx.services[nsName(ns, string(ref.Name))] == nil:
		return problem(ReasonBackendNotFound, "backendRef %s/%s: Service not found", ns, ref.Name)
	}
	gvk := gvkOf(route)
	if ns != route.GetNamespace() && !idx.referenceAllowed(grantRef{
		FromGroup: gvk.Group, FromKind: gvk.Kind, FromNamespace: route.GetNamespace(),
		ToGroup: group, ToKind: "Service", ToNamespace: ns, ToName: string(ref.Name),
	}) {
		return problem(ReasonRefNotPermitted, "backendRef %s/%s: no ReferenceGrant in namespace %s permits it", ns, ref.Name, ns)
	}
	return nil
}
