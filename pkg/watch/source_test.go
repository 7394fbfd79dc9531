package watch

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	netv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// servedKinds are what the fake API server serves: the built-in kinds and Gateway API's;
// Kong's CRDs are not installed.
var servedKinds = []struct {
	gvk        schema.GroupVersionKind
	namespaced bool
}{
	{corev1.SchemeGroupVersion.WithKind("Namespace"), false},
	{corev1.SchemeGroupVersion.WithKind("Service"), true},
	{corev1.SchemeGroupVersion.WithKind("Secret"), true},
	{corev1.SchemeGroupVersion.WithKind("ConfigMap"), true},
	{discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"), true},
	{netv1.SchemeGroupVersion.WithKind("Ingress"), true},
	{netv1.SchemeGroupVersion.WithKind("IngressClass"), false},
	{schema.GroupVersion(gatewayv1.GroupVersion).WithKind("GatewayClass"), false},
	{schema.GroupVersion(gatewayv1.GroupVersion).WithKind("Gateway"), true},
	{schema.GroupVersion(gatewayv1.GroupVersion).WithKind("HTTPRoute"), true},
}

func fakeCluster(t *testing.T, objs ...runtime.Object) (*dynamicfake.FakeDynamicClient, meta.RESTMapper) {
	t.Helper()
	mapper := meta.NewDefaultRESTMapper(nil)
	listKinds := map[schema.GroupVersionResource]string{}
	for _, k := range servedKinds {
		scope := meta.RESTScopeRoot
		if k.namespaced {
			scope = meta.RESTScopeNamespace
		}
		mapper.Add(k.gvk, scope)
		m, err := mapper.RESTMapping(k.gvk.GroupKind(), k.gvk.Version)
		if err != nil {
			t.Fatalf("mapping %v: %v", k.gvk, err)
		}
		listKinds[m.Resource] = k.gvk.Kind + "List"
	}
	// Held as unstructured, as a real API server's watch sends them (the fake sends what it holds).
	us := make([]runtime.Object, len(objs))
	for i, o := range objs {
		gvks, _, err := source.Scheme().ObjectKinds(o)
		if err != nil {
			t.Fatal(err)
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetGroupVersionKind(gvks[0])
		us[i] = u
	}
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, us...), mapper
}

func defaultInput() source.ClusterInput { return source.ClusterInput{} }

func ptr[T any](v T) *T { return &v }

// objects is a small cluster: Ingresses of two classes in two namespaces with their Service,
// EndpointSlice and TLS Secret, and a Gateway with an HTTPRoute in a labelled namespace.
func objects() []runtime.Object {
	pathType := netv1.PathTypePrefix
	ing := func(ns, name, class string, labels map[string]string) *netv1.Ingress {
		return &netv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
			Spec: netv1.IngressSpec{IngressClassName: ptr(class), Rules: []netv1.IngressRule{{Host: name + ".example.com",
				IngressRuleValue: netv1.IngressRuleValue{HTTP: &netv1.HTTPIngressRuleValue{Paths: []netv1.HTTPIngressPath{{
					Path: "/", PathType: &pathType, Backend: netv1.IngressBackend{Service: &netv1.IngressServiceBackend{
						Name: "echo", Port: netv1.ServiceBackendPort{Number: 80}}}}}}}}}}}
	}
	var objs []runtime.Object
	for _, ns := range []string{"a", "b"} {
		objs = append(objs,
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"team": ns}}},
			ing(ns, "mine", "kong", map[string]string{"team": "blue"}),
			ing(ns, "other", "kong", map[string]string{"team": "red"}),
			ing(ns, "theirs", "nginx", nil),
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: ns},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}},
			&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "echo-1", Namespace: ns,
				Labels: map[string]string{discoveryv1.LabelServiceName: "echo"}},
				AddressType: discoveryv1.AddressTypeIPv4,
				Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}}},
				Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080))}}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls", Namespace: ns}, Type: corev1.SecretTypeOpaque,
				Data: map[string][]byte{"k": []byte("v")}},
		)
	}
	objs = append(objs,
		&netv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "kong"}, Spec: netv1.IngressClassSpec{Controller: source.IngressClassController}},
		&gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "kong"},
			Spec: gatewayv1.GatewayClassSpec{ControllerName: source.DefaultGatewayClassController}},
		&gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "a"},
			Spec: gatewayv1.GatewaySpec{GatewayClassName: "kong", Listeners: []gatewayv1.Listener{{Name: "http", Port: 80, Protocol: gatewayv1.HTTPProtocolType}}}},
		&gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Name: "route", Namespace: "b"},
			Spec: gatewayv1.HTTPRouteSpec{CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
				Name: "gw", Namespace: ptr(gatewayv1.Namespace("a"))}}},
				Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
					BackendObjectReference: gatewayv1.BackendObjectReference{Name: "echo", Port: ptr(gatewayv1.PortNumber(80))}}}}}}}},
	)
	return objs
}

// started is a Source on the fake cluster, started and synced.
func started(t *testing.T, in source.ClusterInput, objs ...runtime.Object) (*Source, *dynamicfake.FakeDynamicClient, meta.RESTMapper) {
	t.Helper()
	client, mapper := fakeCluster(t, objs...)
	s, err := NewSource(client, mapper, nil, in, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s.Start(ctx)
	wait, cancelWait := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancelWait()
	if !s.WaitForSync(wait) {
		t.Fatal("informers did not sync")
	}
	return s, client, mapper
}

// The caches give the Snapshot, and so the translation, a one-shot read of the same objects
// gives: every scope sync offers (all namespaces, one namespace, a selector).
func TestSourceReadsWhatAOneShotReadReads(t *testing.T) {
	for _, in := range []source.ClusterInput{{}, {Namespace: "b"}, {Selector: "team=blue"}, {Namespace: "a", Selector: "team=blue"}} {
		t.Run(in.Namespace+"/"+in.Selector, func(t *testing.T) {
			s, client, mapper := started(t, in, objects()...)
			got, err := s.Read(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			want, err := source.ReadClusterFrom(t.Context(), client, mapper, nil, in, source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !want.Complete || len(want.Ingresses) == 0 {
				t.Fatalf("the one-shot read is not a useful reference: complete=%v, %d ingresses; notes %q", want.Complete, len(want.Ingresses), want.Notes)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("snapshots differ:\nwatch:    %s\none-shot: %s", summary(got), summary(want))
			}
			gotState, _ := translate.Translate(got, translate.DefaultOptions())
			wantState, _ := translate.Translate(want, translate.DefaultOptions())
			if !reflect.DeepEqual(gotState, wantState) {
				t.Error("translations differ")
			}
		})
	}
}

func summary(s *source.Snapshot) string {
	var b strings.Builder
	for _, i := range s.Ingresses {
		b.WriteString(i.Namespace + "/" + i.Name + " ")
	}
	for _, r := range s.HTTPRoutes {
		b.WriteString("httproute:" + r.Namespace + "/" + r.Name + " ")
	}
	b.WriteString("complete=" + map[bool]string{true: "yes", false: "no"}[s.Complete])
	b.WriteString(" notes=" + strings.Join(s.Notes, "|"))
	return b.String()
}

// Until every informer has listed its kind the Snapshot forbids deletes; a change after that
// wakes the loop and is in the next Read.
func TestSourceIsIncompleteUntilSyncedAndSeesChanges(t *testing.T) {
	client, mapper := fakeCluster(t, objects()...)
	s, err := NewSource(client, mapper, nil, source.ClusterInput{}, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if snap.Complete {
		t.Error("a Read before the informers synced is complete; it must forbid deletes")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s.Start(ctx)
	if !s.WaitForSync(ctx) {
		t.Fatal("informers did not sync")
	}
	drain(s)
	gvr := schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}
	if err := client.Resource(gvr).Namespace("a").Delete(ctx, "mine", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Changes():
	case <-time.After(30 * time.Second):
		t.Fatal("no change signalled after an Ingress was deleted")
	}
	snap, err = s.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Complete || slices.ContainsFunc(snap.Ingresses, func(i *netv1.Ingress) bool { return i.Namespace == "a" && i.Name == "mine" }) {
		t.Errorf("after the delete: complete=%v, ingresses %s", snap.Complete, summary(snap))
	}
}

func drain(s *Source) {
	for {
		select {
		case <-s.Changes():
		default:
			return
		}
	}
}

// A kind whose list fails leaves every Read incomplete, with a note naming it, without
// holding the watch back.
func TestSourceIsIncompleteWhileAListFails(t *testing.T) {
	client, mapper := fakeCluster(t, objects()...)
	var failing = true
	client.PrependReactor("list", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
		if failing {
			return true, nil, errors.New("services are forbidden")
		}
		return false, nil, nil
	})
	s, err := NewSource(client, mapper, nil, source.ClusterInput{}, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s.Start(ctx)
	// A kind that cannot be listed does not hold the watch back: the wait ends, and Reads
	// are incomplete.
	wait, cancelWait := context.WithTimeout(ctx, 30*time.Second)
	defer cancelWait()
	if !s.WaitForSync(wait) {
		t.Fatal("the wait for the informers never ended while services could not be listed")
	}
	snap, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Complete || !slices.ContainsFunc(snap.Notes, func(n string) bool { return strings.Contains(n, "could not read all services") }) {
		t.Errorf("with services failing: complete=%v, notes %q", snap.Complete, snap.Notes)
	}
	if _, ok := s.Failing()[schema.GroupVersionResource{Version: "v1", Resource: "services"}.String()]; !ok {
		t.Errorf("Failing() = %v, want services", s.Failing())
	}
}
