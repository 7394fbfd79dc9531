package translate

import (
	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	kongv1beta1 "github.com/kong/kubernetes-configuration/api/configuration/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// labelServiceName ties an EndpointSlice to its Service.
const labelServiceName = "kubernetes.io/service-name"

// index makes every lookup translation does a map access, so translation time grows linearly
// with the snapshot (KIC's store is indexed the same way).
type index struct {
	services           map[string]*corev1.Service
	secrets            map[string]*corev1.Secret
	configMaps         map[string]*corev1.ConfigMap
	endpointSlices     map[string][]*discoveryv1.EndpointSlice // by namespace/service
	kongPlugins        map[string]*kongv1.KongPlugin
	kongClusterPlugins map[string]*kongv1.KongClusterPlugin // by name
	kongIngresses      map[string]*kongv1.KongIngress
	upstreamPolicies   map[string]*kongv1beta1.KongUpstreamPolicy
	consumerGroups     map[string]*kongv1beta1.KongConsumerGroup
	referenceGrants    map[string][]*gatewayv1beta1.ReferenceGrant // by namespace
}

func newIndex(s *source.Snapshot) *index {
	idx := &index{
		services:           keyed(s.Services),
		secrets:            keyed(s.Secrets),
		configMaps:         keyed(s.ConfigMaps),
		endpointSlices:     map[string][]*discoveryv1.EndpointSlice{},
		kongPlugins:        keyed(s.KongPlugins),
		kongClusterPlugins: map[string]*kongv1.KongClusterPlugin{},
		kongIngresses:      keyed(s.KongIngresses),
		upstreamPolicies:   keyed(s.KongUpstreamPolicies),
		consumerGroups:     keyed(s.KongConsumerGroups),
		referenceGrants:    map[string][]*gatewayv1beta1.ReferenceGrant{},
	}
	for _, es := range s.EndpointSlices {
		if es == nil {
			continue
		}
		svc := es.Labels[labelServiceName]
		if svc == "" {
			continue
		}
		k := nsName(es.Namespace, svc)
		idx.endpointSlices[k] = append(idx.endpointSlices[k], es)
	}
	for _, p := range s.KongClusterPlugins {
		if p != nil {
			idx.kongClusterPlugins[p.Name] = p
		}
	}
	for _, g := range s.ReferenceGrants {
		if g != nil {
			idx.referenceGrants[g.Namespace] = append(idx.referenceGrants[g.Namespace], g)
		}
	}
	return idx
}

// keyed indexes namespaced objects by namespace/name; nil entries are skipped.
func keyed[T interface {
	comparable
	GetNamespace() string
	GetName() string
}](objs []T) map[string]T {
	var zero T
	m := make(map[string]T, len(objs))
	for _, o := range objs {
		if o == zero {
			continue
		}
		m[nsName(o.GetNamespace(), o.GetName())] = o
	}
	return m
}
