package source

import (
	"context"
	"errors"
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
	snap, err := readCluster(t.Context(), client, mapper, ClusterInput{Namespace: "a"}, Options{}, nil)
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

// fakeGroups is discovery that serves the core and networking groups only, or fails.
// fakeGroups is discovery serving networking.k8s.io/v1 (Ingress), and, when kong is set,
// configuration.konghq.com/v1 with those kinds; err fails the group list, kongErr the Kong
// group's resource list.
type fakeGroups struct {
	err, kongErr error
	kong         []string
}

func (f fakeGroups) ServerGroups() (*metav1.APIGroupList, error) {
	if f.err != nil {
		return nil, f.err
	}
	groups := []metav1.APIGroup{
		{Name: "networking.k8s.io", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "networking.k8s.io/v1"}}},
	}
	if f.kong != nil || f.kongErr != nil {
		groups = append(groups, metav1.APIGroup{Name: "configuration.konghq.com", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "configuration.konghq.com/v1"}}})
	}
	return &metav1.APIGroupList{Groups: groups}, nil
}

func (f fakeGroups) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	if gv == "configuration.konghq.com/v1" {
		if f.kongErr != nil {
			return nil, f.kongErr
		}
		list := &metav1.APIResourceList{GroupVersion: gv}
		for _, k := range f.kong {
			list.APIResources = append(list.APIResources, metav1.APIResource{Kind: k})
		}
		return list, nil
	}
	return &metav1.APIResourceList{GroupVersion: gv, APIResources: []metav1.APIResource{{Kind: "Ingress"}}}, nil
}

// A CRD the mapper does not know is "not installed" only when discovery says so for certain;
// when discovery fails, the read is incomplete, so nothing of that kind can be deleted.
func TestReadClusterTreatsFailedDiscoveryAsDoubt(t *testing.T) {
	for _, tt := range []struct {
		name         string
		disc         fakeGroups
		wantComplete bool
		wantNote     string
	}{
		{"group not served", fakeGroups{}, true, "KongPlugin (configuration.konghq.com) is not installed"},
		{"discovery failed", fakeGroups{err: errors.New("the server is currently unable to handle the request")}, false,
			"could not tell whether KongPlugin (configuration.konghq.com) is installed: the server is currently unable"},
		// The group is served but its resource list fails (an aggregated or conversion webhook
		// down): doubt about that group's kinds.
		{"group's resources failed", fakeGroups{kongErr: errors.New("stream error")}, false,
			"could not tell whether KongPlugin (configuration.konghq.com) is installed: configuration.konghq.com/v1: stream error"},
		// Discovery lists the kind but the REST mapping (cached) does not know it yet: a CRD just
		// installed, never a reason to delete.
		{"served but not mapped", fakeGroups{kong: []string{"KongPlugin"}}, false,
			"serves KongPlugin, but the REST mapping does not know it yet"},
		// Every version answered and none lists the kind: definitely not installed.
		{"group served without the kind", fakeGroups{kong: []string{}}, true,
			"KongPlugin (configuration.konghq.com) is not installed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client, mapper := fakeCluster(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "a"}})
			snap, err := readCluster(t.Context(), client, mapper, ClusterInput{Namespace: "a"}, Options{}, tt.disc)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Complete != tt.wantComplete {
				t.Errorf("complete = %v, want %v; notes %q", snap.Complete, tt.wantComplete, snap.Notes)
			}
			if !slices.ContainsFunc(snap.Notes, func(n string) bool { return strings.Contains(n, tt.wantNote) }) {
				t.Errorf("notes = %q, want one containing %q", snap.Notes, tt.wantNote)
			}
		})
	}
}

// pagedServices serves Services in pages of two, three pages in all, and records the list
// options of every request: the fake dynamic client drops Limit and Continue, so this wraps it.
type pagedServices struct {
	dynamic.Interface
	requests *[]metav1.ListOptions
	// expireOnce, when set and true, answers the first continued request with 410 Gone
	// (and is then set false), as an API server whose continue token expired.
	expireOnce *bool
	// stuck hands out the same continue token for ever (and fails after 50 requests, so
	// that a loop that does not notice ends).
	stuck bool
}

func (p pagedServices) Resource(gvr schema.GroupVersionResource) dynamic.NamespaceableResourceInterface {
	inner := p.Interface.Resource(gvr)
	if gvr.Resource != "services" {
		return inner
	}
	return pagedResource{NamespaceableResourceInterface: inner, requests: p.requests, expireOnce: p.expireOnce, stuck: p.stuck}
}

type pagedResource struct {
	dynamic.NamespaceableResourceInterface
	requests   *[]metav1.ListOptions
	expireOnce *bool
	stuck      bool
}

func (p pagedResource) Namespace(string) dynamic.ResourceInterface { return p }

func (p pagedResource) List(_ context.Context, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	*p.requests = append(*p.requests, opts)
	if p.expireOnce != nil && *p.expireOnce && opts.Continue != "" {
		*p.expireOnce = false
		return nil, apierrors.NewResourceExpired("continue token expired")
	}
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
	switch {
	case p.stuck && len(*p.requests) > 50:
		return nil, apierrors.NewInternalError(fmt.Errorf("gave up"))
	case p.stuck:
		list.SetContinue("page-1")
	case page < 2:
		list.SetContinue(fmt.Sprintf("page-%d", page+1))
	}
	return list, nil
}

// TestReadClusterStopsWhenTheServerRepeatsAContinueToken: a server (or a proxy in front of it)
// that hands out one continue token again would keep the read looping for ever; the listing
// stops at the repeat and the kind counts as not read.
func TestReadClusterStopsWhenTheServerRepeatsAContinueToken(t *testing.T) {
	client, mapper := fakeCluster(t)
	var requests []metav1.ListOptions
	snap, err := readCluster(t.Context(), pagedServices{Interface: client, requests: &requests, stuck: true}, mapper,
		ClusterInput{PageSize: 2}, Options{}, nil)
	if err != nil {
		t.Fatalf("readCluster: %v", err)
	}
	if snap.Complete || !slices.ContainsFunc(snap.Notes, func(n string) bool { return strings.Contains(n, `repeated the continue token "page-1"`) }) {
		t.Errorf("complete %v, notes %q: want the services listing stopped at the repeated token", snap.Complete, snap.Notes)
	}
	if len(requests) != 2 {
		t.Errorf("%d requests, want 2 (the first page, then page-1 that answers page-1 again)", len(requests))
	}
}

func TestReadClusterPaginates(t *testing.T) {
	client, mapper := fakeCluster(t)
	var requests []metav1.ListOptions
	snap, err := readCluster(t.Context(), pagedServices{Interface: client, requests: &requests}, mapper,
		ClusterInput{PageSize: 2, Selector: "app=x"}, Options{}, nil)
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

func TestReadClusterRestartsAnExpiredListingWithoutDuplicates(t *testing.T) {
	client, mapper := fakeCluster(t)
	var requests []metav1.ListOptions
	expire := true
	snap, err := readCluster(t.Context(), pagedServices{Interface: client, requests: &requests, expireOnce: &expire}, mapper,
		ClusterInput{PageSize: 2}, Options{}, nil)
	if err != nil {
		t.Fatalf("readCluster: %v", err)
	}
	if got := names(snap.Services); len(got) != 6 || len(slices.Compact(got)) != 6 {
		t.Errorf("services = %v, want the 6 services once each after the restart", got)
	}
	if !snap.Complete {
		t.Error("snapshot incomplete although the restarted listing succeeded")
	}
	// First page, expired second page, then three pages from scratch.
	if len(requests) != 5 || requests[2].Continue != "" {
		t.Errorf("requests = %+v, want the listing restarted from the first page", requests)
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
	snap, err := readCluster(t.Context(), client, mapper, ClusterInput{Selector: "team=blue"}, Options{}, nil)
	if err != nil {
		t.Fatalf("readCluster: %v", err)
	}
	if snap.Complete {
		t.Error("snapshot complete although secrets could not be listed")
	}
	if !slices.ContainsFunc(snap.Notes, func(n string) bool { return strings.Contains(n, "could not read all secrets") }) {
		t.Errorf("notes = %q, want one about secrets", snap.Notes)
	}
	// The selector is applied here, not by the API server: the Ingresses outside it are what
	// tells a delete that their entities are not this sync's.
	if !slices.Equal(selectors, []string{""}) {
		t.Errorf("ingress list selectors = %q, want one whole list", selectors)
	}
}

// With -l, an entity is this sync's to delete only when its object is gone, or exists, is
// narrowed by the selector and matches it; an object outside the selector, or read whole,
// keeps its entities.
func TestReadClusterScopesDeletesBySelector(t *testing.T) {
	ing := func(name, team string) *netv1.Ingress {
		return &netv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "a", Labels: map[string]string{"team": team}},
			Spec: netv1.IngressSpec{IngressClassName: ptr("kong")}}
	}
	client, mapper := fakeCluster(t, ing("blue", "blue"), ing("red", "red"),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "a"}})
	snap, err := readCluster(t.Context(), client, mapper, ClusterInput{Selector: "team=blue"}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(snap.Ingresses); !slices.Equal(got, []string{"a/blue"}) {
		t.Errorf("ingresses = %v, want only the selected one", got)
	}
	for ref, want := range map[ObjectRef]bool{
		{Kind: "Ingress", Namespace: "a", Name: "blue"}:    true,
		{Kind: "Ingress", Namespace: "a", Name: "red"}:     false,
		{Kind: "Ingress", Namespace: "a", Name: "deleted"}: true,
		{Kind: "Service", Namespace: "a", Name: "echo"}:    false,
		{Kind: "Service", Namespace: "a", Name: "gone"}:    true,
		{}: false,
	} {
		if got := snap.InScope(ref); got != want {
			t.Errorf("InScope(%+v) = %v, want %v", ref, got, want)
		}
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
	snap, err := readCluster(t.Context(), client, mapper, ClusterInput{Namespace: "app"}, Options{}, nil)
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
