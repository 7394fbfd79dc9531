// Package gencluster generates the benchmark cluster: a deterministic set of Kubernetes objects
// shaped like a busy Ingress-based installation (Ingresses over Services with EndpointSlices,
// rate-limiting KongPlugins, KongConsumers with key-auth Secrets). translate's benchmark
// (hack/bench) and sync's benchmark build their inputs from it, so both measure the same cluster,
// and KIC's golden-test harness can be run on the very same file.
package gencluster

import (
	"bufio"
	"fmt"
	"io"
	"math"

	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	netv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// IngressClass is the class every generated Ingress and KongConsumer carries: KIC's default.
const IngressClass = "kong"

// Object is what every generated object is; a controller-runtime client.Object is the same
// interface, so the objects can be created in a cluster as they are.
type Object interface {
	metav1.Object
	runtime.Object
}

// Options size the cluster. Every count is exact and the objects depend on nothing else, so
// equal Options always give byte-identical output.
type Options struct {
	// Ingresses is the number of Ingresses; each has its own Service and EndpointSlice.
	Ingresses int
	// RulesPerIngress is the number of host rules of each Ingress; rule r points at the
	// Service's port r modulo PortsPerService.
	RulesPerIngress int
	// PortsPerService is the number of ports of each Service (and of its EndpointSlice).
	PortsPerService int
	// EndpointsPerSlice is the number of ready endpoints of each EndpointSlice.
	EndpointsPerSlice int
	// PluginEvery puts a rate-limiting KongPlugin on every PluginEvery-th Ingress (the first
	// included); 0 puts none.
	PluginEvery int
	// Consumers is the number of KongConsumers, each with one key-auth Secret.
	Consumers int
	// Namespaces is how many namespaces the objects are spread over, round robin.
	Namespaces int
}

// Default is the issue-8 benchmark cluster: 2,000 Ingresses of 2 rules over Services of 2 ports
// with 3-endpoint EndpointSlices, a KongPlugin on every 4th Ingress and 1,000 KongConsumers:
// 8,500 objects, which KIC turns into 27,000 Kong entities.
func Default() Options {
	return Options{
		Ingresses: 2000, RulesPerIngress: 2, PortsPerService: 2, EndpointsPerSlice: 3,
		PluginEvery: 4, Consumers: 1000, Namespaces: 10,
	}
}

// Scaled returns o with the Ingress and consumer counts multiplied by f (rounded, at least 1),
// keeping the shape of each object; 0.1, 1 and 5 are the sizes make bench reports.
func (o Options) Scaled(f float64) Options {
	scale := func(n int) int { return max(1, int(math.Round(float64(n)*f))) }
	o.Ingresses = scale(o.Ingresses)
	o.Consumers = scale(o.Consumers)
	return o
}

// Validate rejects counts that cannot make a cluster.
func (o Options) Validate() error {
	switch {
	case o.Ingresses < 0 || o.Consumers < 0:
		return fmt.Errorf("gencluster: ingresses (%d) and consumers (%d) must not be negative", o.Ingresses, o.Consumers)
	case o.RulesPerIngress < 1 || o.PortsPerService < 1 || o.EndpointsPerSlice < 1:
		return fmt.Errorf("gencluster: rules (%d), ports (%d) and endpoints (%d) must be at least 1",
			o.RulesPerIngress, o.PortsPerService, o.EndpointsPerSlice)
	case o.PortsPerService > 1000:
		return fmt.Errorf("gencluster: at most 1000 ports per service (got %d)", o.PortsPerService)
	case o.Ingresses*o.EndpointsPerSlice >= 1<<24:
		return fmt.Errorf("gencluster: %d endpoints do not fit in 10.0.0.0/8", o.Ingresses*o.EndpointsPerSlice)
	case o.PluginEvery < 0:
		return fmt.Errorf("gencluster: plugin-every must not be negative (got %d)", o.PluginEvery)
	case o.Namespaces < 1:
		return fmt.Errorf("gencluster: namespaces must be at least 1 (got %d)", o.Namespaces)
	}
	return nil
}

// Counts is what a cluster of given Options holds, and what KIC 3.5 makes of it.
type Counts struct {
	// Objects is the number of Kubernetes objects.
	Objects int
	// Entities is the number of Kong entities KIC's translator builds: one service, route and
	// upstream per Ingress rule (each rule reaches its own Service port), a target per endpoint
	// of each upstream, one plugin per route of a plugin-carrying Ingress, and a consumer with
	// one key-auth credential each.
	Entities int
}

// Count returns what a cluster of o holds; o must be valid.
func (o Options) Count() Counts {
	plugins := 0
	if o.PluginEvery > 0 {
		plugins = (o.Ingresses + o.PluginEvery - 1) / o.PluginEvery
	}
	ports := min(o.RulesPerIngress, o.PortsPerService) // distinct ports the rules reach
	services := o.Ingresses * ports
	return Counts{
		Objects: 3*o.Ingresses + plugins + 2*o.Consumers,
		Entities: 2*services + o.Ingresses*o.RulesPerIngress + services*o.EndpointsPerSlice +
			plugins*o.RulesPerIngress + 2*o.Consumers,
	}
}

// Objects calls yield with every object of the cluster in a fixed order: per Ingress its
// Service, EndpointSlice, KongPlugin (if any) and the Ingress, then per consumer its Secret and
// the KongConsumer. It stops when yield returns an error and returns that error. Objects are
// built one at a time, so a cluster of any size costs the memory of one object.
func (o Options) Objects(yield func(Object) error) error {
	if err := o.Validate(); err != nil {
		return err
	}
	for i := range o.Ingresses {
		for _, obj := range o.ingressObjects(i) {
			if err := yield(obj); err != nil {
				return err
			}
		}
	}
	for j := range o.Consumers {
		ns := o.namespace(j)
		secret := &corev1.Secret{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("consumer-%d-key-auth", j), Namespace: ns,
				Labels: map[string]string{"konghq.com/credential": "key-auth"},
			},
			Data: map[string][]byte{"key": fmt.Appendf(nil, "key-%08d", j)},
		}
		consumer := &kongv1.KongConsumer{
			TypeMeta: metav1.TypeMeta{APIVersion: kongv1.GroupVersion.String(), Kind: "KongConsumer"},
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("consumer-%d", j), Namespace: ns,
				Annotations: map[string]string{"kubernetes.io/ingress.class": IngressClass},
			},
			Username:    fmt.Sprintf("consumer-%d", j),
			Credentials: []string{secret.Name},
		}
		for _, obj := range []Object{secret, consumer} {
			if err := yield(obj); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o Options) namespace(i int) string { return fmt.Sprintf("bench-%d", i%o.Namespaces) }

// ingressObjects builds Ingress i and what it needs.
func (o Options) ingressObjects(i int) []Object {
	ns, svcName := o.namespace(i), fmt.Sprintf("svc-%d", i)
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: svcName, Namespace: ns},
	}
	slice := &discoveryv1.EndpointSlice{
		TypeMeta: metav1.TypeMeta{APIVersion: discoveryv1.SchemeGroupVersion.String(), Kind: "EndpointSlice"},
		ObjectMeta: metav1.ObjectMeta{
			Name: svcName + "-0", Namespace: ns,
			Labels: map[string]string{discoveryv1.LabelServiceName: svcName},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for p := range o.PortsPerService {
		name, target, proto := fmt.Sprintf("http-%d", p), int32(8080+p), corev1.ProtocolTCP
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{
			Name: name, Protocol: proto, Port: int32(80 + p), TargetPort: intstr.FromInt32(target),
		})
		slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: &name, Port: &target, Protocol: &proto})
	}
	for e := range o.EndpointsPerSlice {
		k := i*o.EndpointsPerSlice + e + 1 // + 1: no address ends in .0.0.0
		ready := true
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255)},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		})
	}
	objs := []Object{svc, slice}

	ing := &netv1.Ingress{
		TypeMeta: metav1.TypeMeta{APIVersion: netv1.SchemeGroupVersion.String(), Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("ing-%d", i), Namespace: ns,
			Annotations: map[string]string{"kubernetes.io/ingress.class": IngressClass},
		},
	}
	if o.PluginEvery > 0 && i%o.PluginEvery == 0 {
		plugin := &kongv1.KongPlugin{
			TypeMeta:   metav1.TypeMeta{APIVersion: kongv1.GroupVersion.String(), Kind: "KongPlugin"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rate-limit-%d", i), Namespace: ns},
			PluginName: "rate-limiting",
			Config:     apiextensionsv1.JSON{Raw: []byte(`{"minute":60,"policy":"local"}`)},
		}
		ing.Annotations["konghq.com/plugins"] = plugin.Name
		objs = append(objs, plugin)
	}
	prefix := netv1.PathTypePrefix
	for r := range o.RulesPerIngress {
		ing.Spec.Rules = append(ing.Spec.Rules, netv1.IngressRule{
			Host: fmt.Sprintf("ing-%d-%d.%s.example.com", i, r, ns),
			IngressRuleValue: netv1.IngressRuleValue{HTTP: &netv1.HTTPIngressRuleValue{Paths: []netv1.HTTPIngressPath{{
				Path: "/", PathType: &prefix,
				Backend: netv1.IngressBackend{Service: &netv1.IngressServiceBackend{
					Name: svcName, Port: netv1.ServiceBackendPort{Number: int32(80 + r%o.PortsPerService)},
				}},
			}}}},
		})
	}
	return append(objs, ing)
}

// WriteYAML writes the cluster as a multi-document YAML manifest, as kubectl apply -f takes it.
// Fields a client never sets (creationTimestamp, empty status) are left out.
func (o Options) WriteYAML(w io.Writer) error {
	bw := bufio.NewWriter(w)
	err := o.Objects(func(obj Object) error {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return fmt.Errorf("gencluster: convert %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
		if md, ok := u["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		if st, ok := u["status"].(map[string]any); ok && isEmpty(st) {
			delete(u, "status")
		}
		data, err := yaml.Marshal(u)
		if err != nil {
			return fmt.Errorf("gencluster: encode %s: %w", obj.GetName(), err)
		}
		if _, err := bw.WriteString("---\n"); err != nil {
			return err
		}
		_, err = bw.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// isEmpty reports whether m holds nothing but empty maps (a Service's status.loadBalancer).
func isEmpty(m map[string]any) bool {
	for _, v := range m {
		sub, ok := v.(map[string]any)
		if !ok || !isEmpty(sub) {
			return false
		}
	}
	return true
}
