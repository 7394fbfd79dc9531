package source

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// fakeCluster is a dynamic client and a REST mapper that know only the built-in kinds (no
// Kong or Gateway API CRDs installed), holding objs.
func fakeCluster(t *testing.T, objs ...runtime.Object) (*dynamicfake.FakeDynamicClient, meta.RESTMapper) {
	t.Helper()
	return fakeClusterWith(t, nil, objs...)
}

// fakeClusterWith is fakeCluster with the CRDs of the given API groups installed too.
func fakeClusterWith(t *testing.T, groups []string, objs ...runtime.Object) (*dynamicfake.FakeDynamicClient, meta.RESTMapper) {
	t.Helper()
	mapper := meta.NewDefaultRESTMapper(nil)
	listKinds := map[schema.GroupVersionResource]string{}
	for _, k := range append([]kindInfo{{gvk: namespaceGVK}}, kinds...) {
		if k.gvk.Group != "" && k.gvk.Group != "networking.k8s.io" && k.gvk.Group != "discovery.k8s.io" &&
			!slices.Contains(groups, k.gvk.Group) {
			continue
		}
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
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(Scheme(), listKinds, objs...), mapper
}

func TestReadClusterSkipsMissingCRDsAndFiltersByClass(t *testing.T) {
	client, mapper := fakeCluster(t,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "a"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "b"}},
		&netv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "mine", Namespace: "a"}, Spec: netv1.IngressSpec{IngressClassName: ptr("kong")}},
		&netv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "theirs", Namespace: "a"}, Spec: netv1.IngressSpec{IngressClassName: ptr("nginx")}},
		&netv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "unclassed", Namespace: "a"}},
	)
	snap, err := readCluster(t.Context(), client, mapper, ClusterInput{Namespace: "a"}, Options{})
	if err != nil {
		t.Fatalf("readCluster: %v", err)
	}
	if got := names(snap.Services); !slices.Equal(got, []string{"a/echo"}) {
		t.Errorf("services = %v, want only namespace a's", got)
	}
	// No IngressClass "kong" exists in the cluster, so it is not the default class and the
	// unclassed Ingress is not ours (KIC's rule), without any note.
	if got := names(snap.Ingresses); !slices.Equal(got, []string{"a/mine"}) {
		t.Errorf("ingresses = %v, want [a/mine]", got)
	}
	if snap.Ingresses[0].Kind != "Ingress" || snap.Ingresses[0].APIVersion != "networking.k8s.io/v1" {
		t.Errorf("type meta = %+v, want networking.k8s.io/v1 Ingress", snap.Ingresses[0].TypeMeta)
	}
	if !snap.Complete {
		t.Errorf("snapshot incomplete; notes %q", snap.Notes)
	}
	if !slices.ContainsFunc(snap.Notes, func(n string) bool {
		return strings.Contains(n, "KongPlugin (configuration.konghq.com) is not installed")
	}) {
		t.Errorf("notes = %q, want one about the missing KongPlugin CRD", snap.Notes)
	}
}

// pagedServices serves Services in pages of two, three pages in all, and records the list
// options of every request: the fake dynamic client drops Limit and Continue, so this wraps it.
type pagedServices struct {
	dynamic.Interface
	requests *[]metav1.ListOptions
}

func (p pagedServices) Resource(gvr schema.GroupVersionResource) dynamic.NamespaceableResourceInterface {
	inner := p.Interface.Resource(gvr)
	if gvr.Resource != "services" {
		return inner
	}
	return pagedResource{NamespaceableResourceInterface: inner, requests: p.requests}
}

type pagedResource struct {
	dynamic.NamespaceableResourceInterface
	requests *[]metav1.ListOptions
}

func (p pagedResource) Namespace(string) dynamic.ResourceInterface { return p }

func (p pagedResource) List(_ context.Context, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	*p.requests = append(*p.requests, opts)
	page := 0
	if opts.Continue != "" {
		if _, err := fmt.Sscanf(opts.Continue, "page-%d", &page); err != nil {
			return nil, err
		}
	}
	list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceList"}}
	for i := range 2 {
		u := unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("Service")
		u.SetNamespace("ns")
		u.SetName(fmt.Sprintf("svc-%d-%d", page, i))
		list.Items = append(list.Items, u)
	}
	if page < 2 {
		list.SetContinue(fmt.Sprintf("page-%d", page+1))
	}
	return list, nil
}

func TestReadClusterPaginates(t *testing.T) {
	client, mapper := fakeCluster(t)
	var requests []metav1.ListOptions
	snap, err := readCluster(t.Context(), pagedServices{Interface: client, requests: &requests}, mapper,
		ClusterInput{PageSize: 2, Selector: "app=x"}, Options{})
	if err != nil {
		t.Fatalf("readCluster: %v", err)
	}
	if len(snap.Services) != 6 {
		t.Errorf("services = %v, want 6 over three pages", names(snap.Services))
	}
	if len(requests) != 3 || requests[0].Limit != 2 || requests[2].Continue != "page-2" {
		t.Errorf("requests = %+v, want three pages of 2", requests)
	}
	if requests[0].LabelSelector != "" {
		t.Errorf("services listed with selector %q; a supporting kind must be read whole", requests[0].LabelSelector)
	}
}

func TestReadClusterIncompleteOnFailedList(t *testing.T) {
	client, mapper := fakeCluster(t)
	client.PrependReactor("list", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "", fmt.Errorf("no RBAC"))
	})
	var selectors []string
	client.PrependReactor("list", "ingresses", func(action k8stesting.Action) (bool, runtime.Object, error) {
		selectors = append(selectors, action.(k8stesting.ListActionImpl).ListOptions.LabelSelector)
		return false, nil, nil
	})
	snap, err := readCluster(t.Context(), client, mapper, ClusterInput{Selector: "team=blue"}, Options{})
	if err != nil {
		t.Fatalf("readCluster: %v", err)
	}
	if snap.Complete {
		t.Error("snapshot complete although secrets could not be listed")
	}
	if !slices.ContainsFunc(snap.Notes, func(n string) bool { return strings.Contains(n, "could not read all secrets") }) {
		t.Errorf("notes = %q, want one about secrets", snap.Notes)
	}
	if !slices.Equal(selectors, []string{"team=blue"}) {
		t.Errorf("ingress list selectors = %q, want the -l selector", selectors)
	}
}

func TestReadClusterFetchesParentGatewaysOutsideTheNamespace(t *testing.T) {
	gwNS := gatewayv1.Namespace("infra")
	hostname := gatewayv1.Hostname("*.example.com")
	client, mapper := fakeClusterWith(t, []string{gatewayv1.GroupName},
		&gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "kong"},
			Spec: gatewayv1.GatewayClassSpec{ControllerName: DefaultGatewayClassController}},
		&gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "infra"}, Spec: gatewayv1.GatewaySpec{
			GatewayClassName: "kong",
			Listeners: []gatewayv1.Listener{{
				Name: "https", Protocol: gatewayv1.HTTPSProtocolType, Port: 443, Hostname: &hostname,
				AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr(gatewayv1.NamespacesFromAll)}},
				TLS: &gatewayv1.ListenerTLSConfig{Mode: ptr(gatewayv1.TLSModeTerminate),
					CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "infra-cert"}}},
			}},
		}},
		&gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "app"}, Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gw", Namespace: &gwNS}}},
			Hostnames:       []gatewayv1.Hostname{"a.example.com", "b.example.org"},
		}},
	)
	snap, err := readCluster(t.Context(), client, mapper, ClusterInput{Namespace: "app"}, Options{})
	if err != nil {
		t.Fatalf("readCluster: %v", err)
	}
	if len(snap.HTTPRoutes) != 1 || len(snap.HTTPRoutes[0].Spec.Hostnames) != 1 || snap.HTTPRoutes[0].Spec.Hostnames[0] != "a.example.com" {
		t.Fatalf("routes = %+v, want app/r accepted with hostnames cut to a.example.com (notes %q)", snap.HTTPRoutes, snap.Notes)
	}
	if len(snap.Gateways) != 1 || snap.Gateways[0].Spec.Listeners[0].TLS.CertificateRefs != nil {
		t.Errorf("gateways = %+v, want infra/gw without its certificateRefs", snap.Gateways)
	}
	if slices.ContainsFunc(snap.Notes, func(n string) bool { return strings.Contains(n, "cannot be known") }) {
		t.Errorf("notes = %q: the parent was fetched, its acceptance is known", snap.Notes)
	}
	if !slices.ContainsFunc(snap.Notes, func(n string) bool { return strings.Contains(n, "Gateway infra/gw lies outside namespace app") }) {
		t.Errorf("notes = %q, want one about the outside Gateway", snap.Notes)
	}
}
