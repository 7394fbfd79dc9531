package translate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	kongv1alpha1 "github.com/kong/kubernetes-configuration/api/configuration/v1alpha1"
	kongv1beta1 "github.com/kong/kubernetes-configuration/api/configuration/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	netv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1alpha2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// readSnapshot decodes a multi-document manifest file into a Snapshot, typed through
// source.Scheme(). It applies no defaults and no filtering: test inputs are written as the API
// server would store them, so translation alone is under test.
func readSnapshot(t testing.TB, path string) *source.Snapshot {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	snap, err := decodeSnapshot(data)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return snap
}

func decodeSnapshot(data []byte) (*source.Snapshot, error) {
	decoder := serializer.NewCodecFactory(source.Scheme()).UniversalDeserializer()
	snap := &source.Snapshot{Complete: true}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if err == io.EOF {
			return snap, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if isEmptyDocument(doc) {
			continue
		}
		obj, _, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if err := addToSnapshot(snap, obj); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
	}
}

func addToSnapshot(s *source.Snapshot, obj runtime.Object) error {
	switch o := obj.(type) {
	case *netv1.Ingress:
		s.Ingresses = append(s.Ingresses, o)
	case *netv1.IngressClass:
		s.IngressClasses = append(s.IngressClasses, o)
	case *corev1.Service:
		s.Services = append(s.Services, o)
	case *discoveryv1.EndpointSlice:
		s.EndpointSlices = append(s.EndpointSlices, o)
	case *corev1.Secret:
		s.Secrets = append(s.Secrets, o)
	case *corev1.ConfigMap:
		s.ConfigMaps = append(s.ConfigMaps, o)
	case *kongv1alpha1.IngressClassParameters:
		s.IngressClassParameters = append(s.IngressClassParameters, o)
	case *kongv1.KongPlugin:
		s.KongPlugins = append(s.KongPlugins, o)
	case *kongv1.KongClusterPlugin:
		s.KongClusterPlugins = append(s.KongClusterPlugins, o)
	case *kongv1.KongConsumer:
		s.KongConsumers = append(s.KongConsumers, o)
	case *kongv1beta1.KongConsumerGroup:
		s.KongConsumerGroups = append(s.KongConsumerGroups, o)
	case *kongv1.KongIngress:
		s.KongIngresses = append(s.KongIngresses, o)
	case *kongv1beta1.KongUpstreamPolicy:
		s.KongUpstreamPolicies = append(s.KongUpstreamPolicies, o)
	case *kongv1beta1.TCPIngress:
		s.TCPIngresses = append(s.TCPIngresses, o)
	case *kongv1beta1.UDPIngress:
		s.UDPIngresses = append(s.UDPIngresses, o)
	case *kongv1alpha1.KongVault:
		s.KongVaults = append(s.KongVaults, o)
	case *gatewayv1.GatewayClass:
		s.GatewayClasses = append(s.GatewayClasses, o)
	case *gatewayv1.Gateway:
		s.Gateways = append(s.Gateways, o)
	case *gatewayv1.HTTPRoute:
		s.HTTPRoutes = append(s.HTTPRoutes, o)
	case *gatewayv1.GRPCRoute:
		s.GRPCRoutes = append(s.GRPCRoutes, o)
	case *gatewayv1alpha2.TCPRoute:
		s.TCPRoutes = append(s.TCPRoutes, o)
	case *gatewayv1alpha2.UDPRoute:
		s.UDPRoutes = append(s.UDPRoutes, o)
	case *gatewayv1alpha2.TLSRoute:
		s.TLSRoutes = append(s.TLSRoutes, o)
	case *gatewayv1beta1.ReferenceGrant:
		s.ReferenceGrants = append(s.ReferenceGrants, o)
	default:
		return fmt.Errorf("kind %T is not part of a snapshot", obj)
	}
	return nil
}

// isEmptyDocument reports whether a YAML document holds only separators and comments.
func isEmptyDocument(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		l := bytes.TrimSpace(line)
		if len(l) > 0 && l[0] != '#' && !bytes.Equal(l, []byte("---")) {
			return false
		}
	}
	return true
}
