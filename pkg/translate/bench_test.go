package translate

import (
	"fmt"
	"strconv"
	"testing"

	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	netv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// BenchmarkTranslate translates a generated cluster at full size (5,000 Ingresses of 2 rules,
// 5,000 Services with 3-endpoint EndpointSlices, 1,000 KongPlugins, 5,000 KongConsumers with 2
// credentials each) and at 1/10 of it; comparing the two shows whether translation grows
// linearly.
func BenchmarkTranslate(b *testing.B) {
	for _, size := range []struct {
		name  string
		scale int
	}{{"tenth", 500}, {"full", 5000}} {
		snap := generatedCluster(size.scale)
		b.Run(size.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				state, _ := Translate(snap, DefaultOptions())
				if len(state.Services) != size.scale {
					b.Fatalf("got %d services, want %d", len(state.Services), size.scale)
				}
			}
		})
	}
}

// generatedCluster builds n Ingresses (2 rules each, one plugin each) over n Services with one
// 3-endpoint EndpointSlice each, n/5 KongPlugins, and n KongConsumers with 2 credentials each,
// spread over 50 namespaces (n must be a multiple of 250 so every namespace has plugins).
func generatedCluster(n int) *source.Snapshot {
	const namespaces = 50
	snap := &source.Snapshot{Complete: true}
	uid := func(kind string, i int) types.UID { return types.UID(fmt.Sprintf("%s-%08d", kind, i)) }
	prefix := netv1.PathTypePrefix
	plugins := n / 5
	for i := range n {
		ns := "ns-" + strconv.Itoa(i%namespaces)
		svc := "svc-" + strconv.Itoa(i)
		snap.Services = append(snap.Services, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: svc, Namespace: ns, UID: uid("svc", i)},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
				Name: "http", Port: 80, Protocol: corev1.ProtocolTCP,
			}}},
		})
		port, name, proto := int32(8080), "http", corev1.ProtocolTCP
		es := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{
				Name: svc + "-x", Namespace: ns, Labels: map[string]string{labelServiceName: svc},
			},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}},
		}
		for e := range 3 {
			es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
				Addresses: []string{fmt.Sprintf("10.%d.%d.%d", i/65536, (i/256)%256, i%256+e)},
			})
		}
		snap.EndpointSlices = append(snap.EndpointSlices, es)

		ing := &netv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{
				Name: "ing-" + strconv.Itoa(i), Namespace: ns, UID: uid("ing", i),
				Annotations: map[string]string{annPlugins: "plugin-" + strconv.Itoa(i%plugins/namespaces*namespaces+i%namespaces)},
			},
		}
		for r := range 2 {
			ing.Spec.Rules = append(ing.Spec.Rules, netv1.IngressRule{
				Host: fmt.Sprintf("h%d-%d.example.com", i, r),
				IngressRuleValue: netv1.IngressRuleValue{HTTP: &netv1.HTTPIngressRuleValue{Paths: []netv1.HTTPIngressPath{{
					Path: "/api", PathType: &prefix,
					Backend: netv1.IngressBackend{Service: &netv1.IngressServiceBackend{
						Name: svc, Port: netv1.ServiceBackendPort{Number: 80},
					}},
				}}}},
			})
		}
		snap.Ingresses = append(snap.Ingresses, ing)

		consumer := &kongv1.KongConsumer{
			ObjectMeta:  metav1.ObjectMeta{Name: "user-" + strconv.Itoa(i), Namespace: ns, UID: uid("con", i)},
			Username:    "user-" + strconv.Itoa(i),
			Credentials: []string{"user-" + strconv.Itoa(i) + "-key", "user-" + strconv.Itoa(i) + "-basic"},
		}
		snap.KongConsumers = append(snap.KongConsumers, consumer)
		snap.Secrets = append(snap.Secrets,
			&corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: consumer.Credentials[0], Namespace: ns, UID: uid("key", i),
					Labels: map[string]string{labelCredential: "key-auth"}},
				Data: map[string][]byte{"key": []byte("key-" + strconv.Itoa(i))},
			},
			&corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: consumer.Credentials[1], Namespace: ns, UID: uid("basic", i),
					Labels: map[string]string{labelCredential: "basic-auth"}},
				Data: map[string][]byte{"username": []byte(consumer.Username), "password": []byte("pw")},
			},
		)
	}
	for p := range plugins {
		snap.KongPlugins = append(snap.KongPlugins, &kongv1.KongPlugin{
			ObjectMeta: metav1.ObjectMeta{Name: "plugin-" + strconv.Itoa(p), Namespace: "ns-" + strconv.Itoa(p%namespaces), UID: uid("plugin", p)},
			PluginName: "rate-limiting",
			Config:     apiextensionsv1.JSON{Raw: []byte(`{"minute":10,"policy":"local"}`)},
		})
	}
	return snap
}

// TestGeneratedClusterTranslatesCleanly guards the benchmark's input: every generated object
// translates, so the benchmark measures the full path and not an early error exit.
func TestGeneratedClusterTranslatesCleanly(t *testing.T) {
	state, diags := Translate(generatedCluster(250), DefaultOptions())
	if len(diags) != 0 {
		t.Fatalf("unexpected diagnostics: %v", diags[0])
	}
	c := state.Count()
	want := map[string][2]int{
		"services": {c.Services, 250}, "routes": {c.Routes, 500}, "targets": {c.Targets, 750},
		"plugins": {c.Plugins, 500}, "consumers": {c.Consumers, 250}, "credentials": {c.Credentials, 500},
	}
	for what, gw := range want {
		if gw[0] != gw[1] {
			t.Errorf("%s: got %d, want %d", what, gw[0], gw[1])
		}
	}
}
