// Package kube_test proves the test API server is a real one: objects of every family kongdb
// reads are created in it and read back through the plugin's own client construction.
package kube_test

import (
	"strings"
	"testing"

	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	netv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/kongdb/kubectl-kongdb/internal/testenv"
	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestAPIServerServesEveryKindThroughThePluginsClient(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }

	env.Apply(t,
		&netv1.IngressClass{
			ObjectMeta: metav1.ObjectMeta{Name: "kong-" + ns},
			Spec:       netv1.IngressClassSpec{Controller: "ingress-controllers.konghq.com/kong"},
		},
		&corev1.Service{
			ObjectMeta: meta("echo"),
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
				Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080),
			}}},
		},
		&discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: "echo-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "echo"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
		},
		&netv1.Ingress{
			ObjectMeta: meta("echo"),
			Spec: netv1.IngressSpec{
				IngressClassName: ptr.To("kong-" + ns),
				Rules: []netv1.IngressRule{{Host: "echo.example", IngressRuleValue: netv1.IngressRuleValue{HTTP: &netv1.HTTPIngressRuleValue{
					Paths: []netv1.HTTPIngressPath{{
						Path: "/", PathType: ptr.To(netv1.PathTypePrefix),
						Backend: netv1.IngressBackend{Service: &netv1.IngressServiceBackend{Name: "echo", Port: netv1.ServiceBackendPort{Number: 80}}},
					}},
				}}}},
			},
		},
		&kongv1.KongPlugin{ObjectMeta: meta("rate"), PluginName: "rate-limiting"},
		&gatewayv1.HTTPRoute{
			ObjectMeta: meta("echo"),
			Spec: gatewayv1.HTTPRouteSpec{
				CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "kong"}}},
				Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{
					BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "echo", Port: ptr.To[gatewayv1.PortNumber](80)}},
				}}}},
			},
		},
	)

	// The plugin's own path: ConfigFlags with --kubeconfig → Factory → REST config.
	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig = ptr.To(env.Kubeconfig)
	f := cli.NewFactory(flags, "kubectl kongdb")
	cfg, err := f.RESTClientGetter().ToRESTConfig()
	if err != nil {
		t.Fatalf("rest config from kubeconfig flags: %v", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	ing, err := kube.NetworkingV1().Ingresses(ns).Get(ctx, "echo", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get ingress: %v", err)
	}
	if got := ing.Spec.Rules[0].Host; got != "echo.example" {
		t.Errorf("ingress host = %q, want echo.example", got)
	}
	svc, err := kube.CoreV1().Services(ns).Get(ctx, "echo", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get service: %v", err)
	}
	// A real API server defaults what manifests leave out; a fake would not.
	if got := svc.Spec.Ports[0].Protocol; got != corev1.ProtocolTCP {
		t.Errorf("service port protocol = %q, want TCP defaulted by the API server", got)
	}
	if svc.Spec.ClusterIP == "" {
		t.Error("service has no cluster IP: the API server did not allocate one")
	}
	slices, err := kube.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=echo"})
	if err != nil || len(slices.Items) != 1 {
		t.Fatalf("list endpointslices: %d items, err %v", len(slices.Items), err)
	}
	if _, err := kube.NetworkingV1().IngressClasses().Get(ctx, "kong-"+ns, metav1.GetOptions{}); err != nil {
		t.Fatalf("get ingressclass: %v", err)
	}

	plugin, err := dyn.Resource(schema.GroupVersionResource{Group: "configuration.konghq.com", Version: "v1", Resource: "kongplugins"}).
		Namespace(ns).Get(ctx, "rate", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get kongplugin: %v", err)
	}
	if got := plugin.Object["plugin"]; got != "rate-limiting" {
		t.Errorf("kongplugin plugin = %v, want rate-limiting", got)
	}
	route, err := dyn.Resource(schema.GroupVersion(gatewayv1.GroupVersion).WithResource("httproutes")).Namespace(ns).Get(ctx, "echo", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get httproute: %v", err)
	}
	// The Gateway API CRD's schema defaults a path match of PathPrefix "/".
	rules, _ := route.Object["spec"].(map[string]any)["rules"].([]any)
	matches, _ := rules[0].(map[string]any)["matches"].([]any)
	if len(matches) != 1 {
		t.Errorf("httproute matches = %v, want the CRD's default PathPrefix / match", matches)
	}
}

func TestAPIServerValidatesCRDSchemas(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	// The KongPlugin CRD forbids config together with configFrom through a CEL rule; only a
	// server that installed the real CRD (and runs CEL) refuses this.
	err := env.Client.Create(t.Context(), &kongv1.KongPlugin{
		ObjectMeta: metav1.ObjectMeta{Name: "both", Namespace: ns},
		PluginName: "key-auth",
		Config:     apiextensionsv1.JSON{Raw: []byte(`{"key_names":["k"]}`)},
		ConfigFrom: &kongv1.ConfigSource{SecretValue: kongv1.SecretValueFromSource{Secret: "s", Key: "k"}},
	})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "Using both config and configFrom fields is not allowed") {
		t.Fatalf("creating a KongPlugin with config and configFrom: err = %v, want the CRD's CEL rule to refuse it", err)
	}
}
