// Package source reads the Kubernetes objects that kongdb translates, from a live cluster or
// from manifests, and applies the pre-filtering KIC's controllers apply (ingress class,
// accepted Gateway API routes), so that pkg/translate sees exactly what KIC's translator sees.
package source

import (
	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	kongv1alpha1 "github.com/kong/kubernetes-configuration/api/configuration/v1alpha1"
	kongv1beta1 "github.com/kong/kubernetes-configuration/api/configuration/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	netv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1alpha2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// Snapshot is every object one translation reads. Both the live-cluster reader and the
// manifest reader produce it, so the same translation runs on either. Slices hold objects
// after pre-filtering; objects are as the API server stores them (defaults applied).
type Snapshot struct {
	// Core and networking.
	Ingresses      []*netv1.Ingress
	IngressClasses []*netv1.IngressClass
	Services       []*corev1.Service
	EndpointSlices []*discoveryv1.EndpointSlice
	Secrets        []*corev1.Secret
	// ConfigMaps are CA certificates KIC reads from ConfigMaps: those labelled
	// konghq.com/ca-cert: "true" and those named by konghq.com/ca-certificates-configmaps.
	ConfigMaps []*corev1.ConfigMap

	// Kong's CRDs (github.com/kong/kubernetes-configuration).
	IngressClassParameters []*kongv1alpha1.IngressClassParameters
	KongPlugins            []*kongv1.KongPlugin
	KongClusterPlugins     []*kongv1.KongClusterPlugin
	KongConsumers          []*kongv1.KongConsumer
	KongConsumerGroups     []*kongv1beta1.KongConsumerGroup
	KongIngresses          []*kongv1.KongIngress
	KongUpstreamPolicies   []*kongv1beta1.KongUpstreamPolicy
	TCPIngresses           []*kongv1beta1.TCPIngress
	UDPIngresses           []*kongv1beta1.UDPIngress
	KongVaults             []*kongv1alpha1.KongVault

	// Gateway API (sigs.k8s.io/gateway-api).
	GatewayClasses  []*gatewayv1.GatewayClass
	Gateways        []*gatewayv1.Gateway
	HTTPRoutes      []*gatewayv1.HTTPRoute
	GRPCRoutes      []*gatewayv1.GRPCRoute
	TCPRoutes       []*gatewayv1alpha2.TCPRoute
	UDPRoutes       []*gatewayv1alpha2.UDPRoute
	TLSRoutes       []*gatewayv1alpha2.TLSRoute
	ReferenceGrants []*gatewayv1beta1.ReferenceGrant
	// routes are the verdicts on every route that names a Gateway of ours, accepted or not
	// (RouteVerdicts); only the pre-filtering makes them.
	routes []RouteVerdict

	// Complete is false when some kind could not be read in full (forbidden, failed or
	// partial list). Consumers that delete must not act on an incomplete snapshot. A CRD that
	// is not installed leaves it complete: no object of that kind can exist; a note says so.
	Complete bool
	// Selector is the label selector the objects were read with ("" for none). With one,
	// Existing records every object read of the namespaces in scope, selected or not: whether
	// its entities are this sync's to delete. See InScope.
	Selector string
	Existing map[ObjectRef]bool
	// Notes are things the reader could not decide and said so (for example a route whose
	// parent Gateway is not among the manifests); they are shown on stderr.
	Notes []string
}

// ObjectRef names one Kubernetes object as KIC's k8s-kind, k8s-namespace and k8s-name tags do.
type ObjectRef struct {
	Kind, Namespace, Name string
}

// note records that obj was read; selected says whether its entities are in this read's scope.
func (s *Snapshot) note(k kindInfo, obj object, selected bool) {
	if s.Selector == "" {
		return
	}
	if s.Existing == nil {
		s.Existing = map[ObjectRef]bool{}
	}
	s.Existing[ObjectRef{Kind: k.gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}] = selected && k.selectable
}

// InScope reports whether entities translated from ref are this read's to delete. Without a
// selector every object is (the caller scopes namespaces). With one, an object that is gone
// is; one that exists is only when it is of a kind the selector narrows and matches it: an
// object outside the selector, or one read whole (a Service, a Secret) that may serve objects
// outside it, is not this sync's to delete from.
func (s *Snapshot) InScope(ref ObjectRef) bool {
	if s.Selector == "" {
		return true
	}
	if ref.Kind == "" || ref.Name == "" {
		return false
	}
	selected, exists := s.Existing[ref]
	return !exists || selected
}
