package kubestatus

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1alpha2 "sigs.k8s.io/gateway-api/apis/v1alpha2"

	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"

	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

const controller = source.DefaultGatewayClassController

const manifests = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: kong, generation: 1}
spec: {controllerName: konghq.com/kic-gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra, generation: 3}
spec:
  gatewayClassName: kong
  listeners:
  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
  - {name: tcp, protocol: TCP, port: 9000, allowedRoutes: {namespaces: {from: All}}}
  - {name: dup-a, protocol: HTTP, port: 8080, hostname: a.example.com, allowedRoutes: {namespaces: {from: All}}}
  - {name: dup-b, protocol: HTTP, port: 8080, hostname: a.example.com, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: app}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: other}
spec: {ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good, namespace: app, generation: 2}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: http}]
  rules: [{backendRefs: [{name: echo, kind: Service, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: denied, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: tcp}]
  rules: [{backendRefs: [{name: echo, kind: Service, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: missing, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: http}]
  rules: [{backendRefs: [{name: nope, kind: Service, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cross, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: http}]
  rules: [{backendRefs: [{name: echo, namespace: other, kind: Service, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: moved, namespace: app}
spec:
  parentRefs: [{name: elsewhere, namespace: infra}]
  rules: [{backendRefs: [{name: echo, kind: Service, port: 80}]}]
status:
  parents:
  - {parentRef: {name: gw, namespace: infra}, controllerName: konghq.com/kic-gateway-controller, conditions: []}
  - {parentRef: {name: elsewhere, namespace: infra}, controllerName: example.com/other, conditions: []}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: stream, namespace: app, generation: 5}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: tcp}]
  rules: [{backendRefs: [{name: echo, port: 80}, {name: gone, port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: kong}
spec: {controller: ingress-controllers.konghq.com/kong}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain, namespace: app, annotations: {konghq.com/plugins: fine}}
spec:
  ingressClassName: kong
  rules: [{http: {paths: [{path: /plain, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plugged, namespace: app, annotations: {konghq.com/plugins: broken}}
spec:
  ingressClassName: kong
  rules: [{http: {paths: [{path: /plugged, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}]}}]
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: fine, namespace: app, generation: 4}
plugin: cors
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: broken, namespace: app}
plugin: key-auth
configFrom: {secretKeyRef: {name: absent, key: config}}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: unused, namespace: app}
plugin: cors
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata: {name: alice, namespace: app, annotations: {kubernetes.io/ingress.class: kong}}
username: alice
`

// fixture is one sync's Input over manifests and the objects as the API server holds them.
type fixture struct {
	in      Input
	objects map[string]client.Object
}

func newFixture(t *testing.T, outcome *apply.Outcome) *fixture {
	t.Helper()
	snap, err := source.ReadManifests(t.Context(), source.ManifestInput{Filenames: []string{"-"}, Stdin: strings.NewReader(manifests)}, source.Options{})
	if err != nil {
		t.Fatalf("read manifests: %v", err)
	}
	desired, diags := translate.Translate(snap, translate.DefaultOptions())
	f := &fixture{in: Input{Snapshot: snap, Diagnostics: diags, Desired: desired, Outcome: outcome, ControllerName: controller,
		Addresses: []string{"10.0.0.1", "proxy.example.com"}}, objects: map[string]client.Object{}}
	add := func(o client.Object) { f.objects[keyOf(o)] = o.DeepCopyObject().(client.Object) }
	for _, o := range snap.GatewayClasses {
		add(o)
	}
	for _, o := range snap.Gateways {
		add(o)
	}
	for _, v := range snap.RouteVerdicts() {
		add(v.Route.(client.Object))
	}
	for _, o := range snap.Ingresses {
		add(o)
	}
	for _, o := range snap.KongPlugins {
		add(o)
	}
	for _, o := range snap.KongConsumers {
		add(o)
	}
	return f
}

func keyOf(o client.Object) string {
	return fmt.Sprintf("%T %s/%s", o, o.GetNamespace(), o.GetName())
}

// sync applies every change at now and returns how many objects changed.
func (f *fixture) sync(t *testing.T, now metav1.Time) int {
	t.Helper()
	n := 0
	for _, c := range Compute(f.in) {
		obj, ok := f.objects[keyOf(c.Object)]
		if !ok {
			t.Fatalf("change for %s, which was not read", c.Describe())
		}
		if c.Apply(obj, now) {
			n++
		}
	}
	return n
}

func (f *fixture) get(t *testing.T, o client.Object) client.Object {
	t.Helper()
	got, ok := f.objects[keyOf(o)]
	if !ok {
		t.Fatalf("no %s", keyOf(o))
	}
	return got
}

func wantCondition(t *testing.T, what string, conds []metav1.Condition, typ string, status metav1.ConditionStatus, reason string, gen int64) *metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		t.Errorf("%s: no %s condition in %+v", what, typ, conds)
		return nil
	}
	if c.Status != status || c.Reason != reason || c.ObservedGeneration != gen {
		t.Errorf("%s: %s = %s/%s gen %d (%q), want %s/%s gen %d", what, typ, c.Status, c.Reason, c.ObservedGeneration, c.Message, status, reason, gen)
	}
	return c
}

var t0 = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

func TestGatewayClassAndGateway(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	f.sync(t, t0)
	gc := f.get(t, &gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "kong"}}).(*gatewayv1.GatewayClass)
	wantCondition(t, "GatewayClass", gc.Status.Conditions, "Accepted", metav1.ConditionTrue, "Accepted", 1)

	gw := f.get(t, &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "gw"}}).(*gatewayv1.Gateway)
	wantCondition(t, "Gateway", gw.Status.Conditions, "Accepted", metav1.ConditionTrue, "Accepted", 3)
	wantCondition(t, "Gateway", gw.Status.Conditions, "Programmed", metav1.ConditionTrue, "Programmed", 3)
	if len(gw.Status.Addresses) != 2 || *gw.Status.Addresses[0].Type != gatewayv1.IPAddressType || gw.Status.Addresses[0].Value != "10.0.0.1" ||
		*gw.Status.Addresses[1].Type != gatewayv1.HostnameAddressType {
		t.Errorf("addresses = %+v", gw.Status.Addresses)
	}
	if len(gw.Status.Listeners) != 4 {
		t.Fatalf("listeners = %+v", gw.Status.Listeners)
	}
	tests := []struct {
		listener   int
		attached   int32
		kinds      []string
		conflicted string
		programmed metav1.ConditionStatus
	}{
		// good and cross are accepted on http (cross's backend is refused, the route is not);
		// missing too: a route whose backends are all missing is still attached.
		{listener: 0, attached: 3, kinds: []string{"HTTPRoute", "GRPCRoute"}, conflicted: "NoConflicts", programmed: metav1.ConditionTrue},
		{listener: 1, attached: 1, kinds: []string{"TCPRoute"}, conflicted: "NoConflicts", programmed: metav1.ConditionTrue},
		{listener: 2, attached: 0, kinds: []string{"HTTPRoute", "GRPCRoute"}, conflicted: "HostnameConflict", programmed: metav1.ConditionFalse},
		{listener: 3, attached: 0, kinds: []string{"HTTPRoute", "GRPCRoute"}, conflicted: "HostnameConflict", programmed: metav1.ConditionFalse},
	}
	for _, tt := range tests {
		l := gw.Status.Listeners[tt.listener]
		what := "listener " + string(l.Name)
		if l.AttachedRoutes != tt.attached {
			t.Errorf("%s: attachedRoutes = %d, want %d", what, l.AttachedRoutes, tt.attached)
		}
		var kinds []string
		for _, k := range l.SupportedKinds {
			kinds = append(kinds, string(k.Kind))
		}
		if strings.Join(kinds, ",") != strings.Join(tt.kinds, ",") {
			t.Errorf("%s: supportedKinds = %v, want %v", what, kinds, tt.kinds)
		}
		conflicted := metav1.ConditionFalse
		if tt.conflicted != "NoConflicts" {
			conflicted = metav1.ConditionTrue
		}
		wantCondition(t, what, l.Conditions, "Conflicted", conflicted, tt.conflicted, 3)
		wantCondition(t, what, l.Conditions, "Accepted", metav1.ConditionTrue, "Accepted", 3)
		reason := "Programmed"
		if tt.programmed == metav1.ConditionFalse {
			reason = "Invalid"
		}
		wantCondition(t, what, l.Conditions, "Programmed", tt.programmed, reason, 3)
	}
}

func TestRouteParents(t *testing.T) {
	tests := []struct {
		route                      string
		gen                        int64
		accepted                   metav1.ConditionStatus
		acceptedReason             string
		resolved                   metav1.ConditionStatus
		resolvedReason, programmed string
	}{
		{route: "good", gen: 2, accepted: metav1.ConditionTrue, acceptedReason: "Accepted", resolved: metav1.ConditionTrue, resolvedReason: "ResolvedRefs", programmed: "ConfiguredInGateway"},
		{route: "denied", accepted: metav1.ConditionFalse, acceptedReason: "NotAllowedByListeners", resolved: metav1.ConditionTrue, resolvedReason: "ResolvedRefs", programmed: "Unknown"},
		{route: "missing", accepted: metav1.ConditionTrue, acceptedReason: "Accepted", resolved: metav1.ConditionFalse, resolvedReason: "BackendNotFound", programmed: "TranslationError"},
		{route: "cross", accepted: metav1.ConditionTrue, acceptedReason: "Accepted", resolved: metav1.ConditionFalse, resolvedReason: "RefNotPermitted", programmed: "TranslationError"},
	}
	f := newFixture(t, &apply.Outcome{})
	f.sync(t, t0)
	for _, tt := range tests {
		t.Run(tt.route, func(t *testing.T) {
			r := f.get(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: tt.route}}).(*gatewayv1.HTTPRoute)
			if len(r.Status.Parents) != 1 {
				t.Fatalf("parents = %+v", r.Status.Parents)
			}
			p := r.Status.Parents[0]
			if string(p.ControllerName) != controller || *p.ParentRef.Namespace != "infra" || *p.ParentRef.Kind != "Gateway" || p.ParentRef.Name != "gw" {
				t.Errorf("parent = %+v", p)
			}
			wantCondition(t, "Accepted", p.Conditions, "Accepted", tt.accepted, tt.acceptedReason, tt.gen)
			wantCondition(t, "ResolvedRefs", p.Conditions, "ResolvedRefs", tt.resolved, tt.resolvedReason, tt.gen)
			c := meta.FindStatusCondition(p.Conditions, "Programmed")
			if c == nil || c.Reason != tt.programmed {
				t.Errorf("Programmed = %+v, want reason %s", c, tt.programmed)
			}
		})
	}
}

func TestRouteParentsOfOtherControllersAreKept(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	r := f.get(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "good"}}).(*gatewayv1.HTTPRoute)
	theirs := gatewayv1.RouteParentStatus{ParentRef: gatewayv1.ParentReference{Name: "elsewhere"}, ControllerName: "example.com/other"}
	stale := gatewayv1.RouteParentStatus{ParentRef: gatewayv1.ParentReference{Name: "gone"}, ControllerName: controller}
	r.Status.Parents = []gatewayv1.RouteParentStatus{theirs, stale}
	f.sync(t, t0)
	if len(r.Status.Parents) != 2 || r.Status.Parents[0].ParentRef.Name != "elsewhere" || r.Status.Parents[1].ParentRef.Name != "gw" {
		t.Errorf("parents = %+v, want the other controller's kept and ours replaced", r.Status.Parents)
	}
}

func TestIngressLoadBalancer(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	f.sync(t, t0)
	plain := f.get(t, &netv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "plain"}}).(*netv1.Ingress)
	lb := plain.Status.LoadBalancer.Ingress
	if len(lb) != 2 || lb[0].IP != "10.0.0.1" || lb[1].Hostname != "proxy.example.com" {
		t.Errorf("plain's loadBalancer = %+v", lb)
	}
	plugged := f.get(t, &netv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "plugged"}}).(*netv1.Ingress)
	if len(plugged.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("an Ingress that failed translation got addresses: %+v", plugged.Status.LoadBalancer.Ingress)
	}
}

func TestIngressWithoutAddressesIsLeftAlone(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	f.in.Addresses = nil
	for _, c := range Compute(f.in) {
		if _, ok := c.Object.(*netv1.Ingress); ok {
			t.Errorf("change for %s without any address", c.Describe())
		}
	}
}

func TestKongPluginProgrammed(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	f.sync(t, t0)
	fine := f.get(t, &kongv1.KongPlugin{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "fine"}}).(*kongv1.KongPlugin)
	wantCondition(t, "fine", fine.Status.Conditions, "Programmed", metav1.ConditionTrue, "Programmed", 4)
	broken := f.get(t, &kongv1.KongPlugin{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "broken"}}).(*kongv1.KongPlugin)
	if c := wantCondition(t, "broken", broken.Status.Conditions, "Programmed", metav1.ConditionFalse, "Invalid", 0); c != nil && !strings.Contains(c.Message, "absent") {
		t.Errorf("broken's message %q does not say why", c.Message)
	}
	unused := f.get(t, &kongv1.KongPlugin{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "unused"}}).(*kongv1.KongPlugin)
	if len(unused.Status.Conditions) != 0 {
		t.Errorf("a plugin nothing refers to got %+v", unused.Status.Conditions)
	}
}

func TestKongConsumerProgrammedFalseWhenKongRefusedIt(t *testing.T) {
	out := &apply.Outcome{Results: []apply.Result{{
		Op:     &plan.Op{Action: plan.Create, Kind: "consumers", Name: "alice", Object: &plan.Object{Kind: "KongConsumer", Namespace: "app", Name: "alice"}},
		Status: apply.Failed, Error: "HTTP 400: schema violation (username: too long)",
	}}}
	f := newFixture(t, out)
	f.sync(t, t0)
	c := f.get(t, &kongv1.KongConsumer{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "alice"}}).(*kongv1.KongConsumer)
	if got := wantCondition(t, "alice", c.Status.Conditions, "Programmed", metav1.ConditionFalse, "Invalid", 0); got != nil && !strings.Contains(got.Message, "schema violation") {
		t.Errorf("message %q does not carry Kong's answer", got.Message)
	}
}

func TestSecondSyncChangesNothingAndKeepsTransitionTimes(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	if n := f.sync(t, t0); n == 0 {
		t.Fatal("first sync changed nothing")
	}
	later := metav1.NewTime(t0.Add(time.Hour))
	if n := f.sync(t, later); n != 0 {
		t.Errorf("second sync of the same result changed %d objects", n)
	}
	gw := f.get(t, &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "gw"}}).(*gatewayv1.Gateway)
	if c := meta.FindStatusCondition(gw.Status.Conditions, "Programmed"); !c.LastTransitionTime.Equal(&t0) {
		t.Errorf("Programmed's lastTransitionTime = %v, want the first sync's", c.LastTransitionTime)
	}
	// A status that changes moves its time; the others keep theirs.
	f.in.Outcome = &apply.Outcome{Results: []apply.Result{{
		Op:     &plan.Op{Action: plan.Update, Kind: "routes", Name: "good", Object: &plan.Object{Kind: "HTTPRoute", Namespace: "app", Name: "good"}},
		Status: apply.Failed, Error: "HTTP 400",
	}}}
	if n := f.sync(t, later); n != 1 {
		t.Errorf("a route refused by Kong changed %d objects, want 1", n)
	}
	r := f.get(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "good"}}).(*gatewayv1.HTTPRoute)
	p := r.Status.Parents[0]
	if c := meta.FindStatusCondition(p.Conditions, "Programmed"); c.Status != metav1.ConditionFalse || !c.LastTransitionTime.Equal(&later) {
		t.Errorf("Programmed = %+v, want False since the later sync", c)
	}
	if c := meta.FindStatusCondition(p.Conditions, "Accepted"); !c.LastTransitionTime.Equal(&t0) {
		t.Errorf("Accepted's lastTransitionTime = %v, want the first sync's", c.LastTransitionTime)
	}
}

func TestServiceAddresses(t *testing.T) {
	tests := []struct {
		name string
		svc  corev1.Service
		want []string
	}{
		{name: "load balancer ingress first", svc: corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.96.0.9"}},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.7"}, {Hostname: "lb.example.com"}}}}},
			want: []string{"203.0.113.7", "lb.example.com"}},
		{name: "a load balancer not provisioned yet falls back to the cluster IPs", svc: corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.96.0.9", "fd00::9"}}},
			want: []string{"10.96.0.9", "fd00::9"}},
		{name: "headless has none", svc: corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "None", ClusterIPs: []string{"None"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := serviceAddresses(&tt.svc); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("addresses = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParsePublishService(t *testing.T) {
	for _, s := range []string{"kong", "/kong", "kong/", "a/b/c"} {
		if _, err := ParsePublishService(s); err == nil {
			t.Errorf("ParsePublishService(%q) took it", s)
		}
	}
	if got, err := ParsePublishService("kong/kong-proxy"); err != nil || got.Namespace != "kong" || got.Name != "kong-proxy" {
		t.Errorf("ParsePublishService = %v, %v", got, err)
	}
}

func TestFailureMessagesAreCutAndHideURLCredentials(t *testing.T) {
	out := &apply.Outcome{Results: []apply.Result{{
		Op:     &plan.Op{Action: plan.Create, Kind: "consumers", Name: "alice", Object: &plan.Object{Kind: "KongConsumer", Namespace: "app", Name: "alice"}},
		Status: apply.Failed, Error: "create consumer alice through http://admin:s3cr3t@kong:8001: " + strings.Repeat("x", 5000),
	}}}
	f := newFixture(t, out)
	f.sync(t, t0)
	c := f.get(t, &kongv1.KongConsumer{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "alice"}}).(*kongv1.KongConsumer)
	got := meta.FindStatusCondition(c.Status.Conditions, "Programmed")
	if got == nil || strings.Contains(got.Message, "s3cr3t") || len(got.Message) > 1200 {
		t.Errorf("Programmed = %+v, want a short message without the URL's password", got)
	}
}

func TestTCPRouteParents(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	f.sync(t, t0)
	r := f.get(t, &gatewayv1alpha2.TCPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "stream"}}).(*gatewayv1alpha2.TCPRoute)
	if len(r.Status.Parents) != 1 {
		t.Fatalf("parents = %+v", r.Status.Parents)
	}
	p := r.Status.Parents[0]
	wantCondition(t, "TCPRoute", p.Conditions, "Accepted", metav1.ConditionTrue, "Accepted", 5)
	// The spec's ResolvedRefs on every route kind (KIC writes it on HTTPRoutes only).
	wantCondition(t, "TCPRoute", p.Conditions, "ResolvedRefs", metav1.ConditionFalse, "BackendNotFound", 5)
}

func TestRouteThatLeftOurGatewaysLosesOurParentEntries(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	f.sync(t, t0)
	r := f.get(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "moved"}}).(*gatewayv1.HTTPRoute)
	if len(r.Status.Parents) != 1 || r.Status.Parents[0].ControllerName != "example.com/other" {
		t.Errorf("parents = %+v, want only the other controller's", r.Status.Parents)
	}
}
