package source

import (
	"cmp"
	"slices"

	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	kongv1alpha1 "github.com/kong/kubernetes-configuration/api/configuration/v1alpha1"
	kongv1beta1 "github.com/kong/kubernetes-configuration/api/configuration/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	netv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1alpha2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// object is what every kind we read is: typed metadata plus a runtime.Object.
type object interface {
	metav1.Object
	runtime.Object
}

// kindInfo describes one kind kongdb reads: where it lives in the Snapshot, whether it is
// namespaced, and whether --selector narrows it. The same table drives the manifest reader and
// the live reader, so both know exactly the same kinds.
type kindInfo struct {
	gvk        schema.GroupVersionKind
	namespaced bool
	// selectable kinds are the ones that produce Kong routes or consumers: -l narrows them.
	// Supporting kinds (Services, Secrets, plugins, classes, Gateways) are always read whole,
	// because a selected Ingress still needs the Service it points at.
	selectable bool
	// optional kinds are CRDs that may be missing from a cluster.
	optional  bool
	newObject func() object
	add       func(*Snapshot, object)
	sort      func(*Snapshot)
}

// kindOf builds a kindInfo for the Snapshot slice that field selects.
func kindOf[T any, P interface {
	*T
	object
}](gvk schema.GroupVersionKind, namespaced, selectable, optional bool, field func(*Snapshot) *[]P) kindInfo {
	return kindInfo{
		gvk:        gvk,
		namespaced: namespaced,
		selectable: selectable,
		optional:   optional,
		newObject:  func() object { return P(new(T)) },
		add: func(s *Snapshot, o object) {
			f := field(s)
			*f = append(*f, o.(P))
		},
		sort: func(s *Snapshot) { sortObjects(*field(s)) },
	}
}

// sortObjects orders objects by namespace and name, so that every reader yields the same
// Snapshot for the same objects whatever order they came in.
func sortObjects[P object](objs []P) {
	slices.SortStableFunc(objs, func(a, b P) int {
		return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
	})
}

var (
	kongV1       = kongv1.GroupVersion
	kongV1alpha1 = kongv1alpha1.GroupVersion
	kongV1beta1  = kongv1beta1.GroupVersion
	gwV1         = schema.GroupVersion(gatewayv1.GroupVersion)
	gwV1alpha2   = schema.GroupVersion(gatewayv1alpha2.GroupVersion)
	gwV1beta1    = schema.GroupVersion(gatewayv1beta1.GroupVersion)
)

// namespaceGVK is read only to evaluate Gateway listeners' allowedRoutes namespace selectors.
var namespaceGVK = corev1.SchemeGroupVersion.WithKind("Namespace")

// kinds lists every kind a Snapshot holds, in the order they are listed from a cluster.
var kinds = []kindInfo{
	kindOf(netv1.SchemeGroupVersion.WithKind("IngressClass"), false, false, false,
		func(s *Snapshot) *[]*netv1.IngressClass { return &s.IngressClasses }),
	kindOf(netv1.SchemeGroupVersion.WithKind("Ingress"), true, true, false,
		func(s *Snapshot) *[]*netv1.Ingress { return &s.Ingresses }),
	kindOf(corev1.SchemeGroupVersion.WithKind("Service"), true, false, false,
		func(s *Snapshot) *[]*corev1.Service { return &s.Services }),
	kindOf(discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"), true, false, false,
		func(s *Snapshot) *[]*discoveryv1.EndpointSlice { return &s.EndpointSlices }),
	kindOf(corev1.SchemeGroupVersion.WithKind("Secret"), true, false, false,
		func(s *Snapshot) *[]*corev1.Secret { return &s.Secrets }),
	kindOf(corev1.SchemeGroupVersion.WithKind("ConfigMap"), true, false, false,
		func(s *Snapshot) *[]*corev1.ConfigMap { return &s.ConfigMaps }),

	kindOf(kongV1alpha1.WithKind("IngressClassParameters"), true, false, true,
		func(s *Snapshot) *[]*kongv1alpha1.IngressClassParameters { return &s.IngressClassParameters }),
	kindOf(kongV1.WithKind("KongPlugin"), true, false, true,
		func(s *Snapshot) *[]*kongv1.KongPlugin { return &s.KongPlugins }),
	kindOf(kongV1.WithKind("KongClusterPlugin"), false, false, true,
		func(s *Snapshot) *[]*kongv1.KongClusterPlugin { return &s.KongClusterPlugins }),
	kindOf(kongV1.WithKind("KongConsumer"), true, true, true,
		func(s *Snapshot) *[]*kongv1.KongConsumer { return &s.KongConsumers }),
	kindOf(kongV1beta1.WithKind("KongConsumerGroup"), true, true, true,
		func(s *Snapshot) *[]*kongv1beta1.KongConsumerGroup { return &s.KongConsumerGroups }),
	kindOf(kongV1.WithKind("KongIngress"), true, false, true,
		func(s *Snapshot) *[]*kongv1.KongIngress { return &s.KongIngresses }),
	kindOf(kongV1beta1.WithKind("KongUpstreamPolicy"), true, false, true,
		func(s *Snapshot) *[]*kongv1beta1.KongUpstreamPolicy { return &s.KongUpstreamPolicies }),
	kindOf(kongV1beta1.WithKind("TCPIngress"), true, true, true,
		func(s *Snapshot) *[]*kongv1beta1.TCPIngress { return &s.TCPIngresses }),
	kindOf(kongV1beta1.WithKind("UDPIngress"), true, true, true,
		func(s *Snapshot) *[]*kongv1beta1.UDPIngress { return &s.UDPIngresses }),
	kindOf(kongV1alpha1.WithKind("KongVault"), false, false, true,
		func(s *Snapshot) *[]*kongv1alpha1.KongVault { return &s.KongVaults }),

	kindOf(gwV1.WithKind("GatewayClass"), false, false, true,
		func(s *Snapshot) *[]*gatewayv1.GatewayClass { return &s.GatewayClasses }),
	kindOf(gwV1.WithKind("Gateway"), true, false, true,
		func(s *Snapshot) *[]*gatewayv1.Gateway { return &s.Gateways }),
	kindOf(gwV1.WithKind("HTTPRoute"), true, true, true,
		func(s *Snapshot) *[]*gatewayv1.HTTPRoute { return &s.HTTPRoutes }),
	kindOf(gwV1.WithKind("GRPCRoute"), true, true, true,
		func(s *Snapshot) *[]*gatewayv1.GRPCRoute { return &s.GRPCRoutes }),
	kindOf(gwV1alpha2.WithKind("TCPRoute"), true, true, true,
		func(s *Snapshot) *[]*gatewayv1alpha2.TCPRoute { return &s.TCPRoutes }),
	kindOf(gwV1alpha2.WithKind("UDPRoute"), true, true, true,
		func(s *Snapshot) *[]*gatewayv1alpha2.UDPRoute { return &s.UDPRoutes }),
	kindOf(gwV1alpha2.WithKind("TLSRoute"), true, true, true,
		func(s *Snapshot) *[]*gatewayv1alpha2.TLSRoute { return &s.TLSRoutes }),
	kindOf(gwV1beta1.WithKind("ReferenceGrant"), true, false, true,
		func(s *Snapshot) *[]*gatewayv1beta1.ReferenceGrant { return &s.ReferenceGrants }),
}

// kindByGroupKind finds the kind for a group and kind, whatever the version: a manifest may
// carry an older served version (HTTPRoute v1beta1, ReferenceGrant v1alpha2) whose fields are
// the same as the version kongdb reads.
func kindByGroupKind(gk schema.GroupKind) (kindInfo, bool) {
	for _, k := range kinds {
		if k.gvk.GroupKind() == gk {
			return k, true
		}
	}
	return kindInfo{}, false
}

// sortSnapshot puts every slice in namespace/name order.
func sortSnapshot(s *Snapshot) {
	for _, k := range kinds {
		k.sort(s)
	}
}
