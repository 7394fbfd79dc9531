// Package kubestatus_test runs `kongdb sync --update-status` end to end: the real program
// against a real kube-apiserver (envtest, with the Gateway API and Kong CRDs) and an emulator
// node on a real PostgreSQL, and reads the status it wrote from the API server.
package kubestatus_test

import (
	"fmt"
	"strings"
	"testing"

	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/internal/testenv"
)

func TestMain(m *testing.M) { pgtest.Main(m, kongdbtest.Remove) }

// objects are the test's cluster, in its namespace: a Gateway with an HTTP and a TCP listener,
// routes that are accepted, refused by a listener, missing their backend and crossing
// namespaces without a ReferenceGrant, Ingresses with a plugin that works and one that cannot be built, and the
// proxy's LoadBalancer Service. %[1]s is the test's namespace, %[2]s another one, which holds
// otherEcho.
const objects = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: kong-%[1]s}
spec: {controllerName: konghq.com/kic-gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: kong-%[1]s
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - {name: tcp, protocol: TCP, port: 9000}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: kong-proxy}
spec: {type: LoadBalancer, ports: [{name: proxy, port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules: [{matches: [{path: {type: PathPrefix, value: /good}}], backendRefs: [{name: echo, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: denied}
spec:
  parentRefs: [{name: gw, sectionName: tcp}]
  rules: [{matches: [{path: {type: PathPrefix, value: /denied}}], backendRefs: [{name: echo, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: missing}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules: [{matches: [{path: {type: PathPrefix, value: /missing}}], backendRefs: [{name: nope, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cross}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules: [{matches: [{path: {type: PathPrefix, value: /cross}}], backendRefs: [{name: echo, namespace: %[2]s, port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: kong}
spec: {controller: ingress-controllers.konghq.com/kong}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: fine}
plugin: cors
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: broken}
plugin: key-auth
configFrom: {secretKeyRef: {name: absent, key: config}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain, annotations: {konghq.com/plugins: fine}}
spec:
  ingressClassName: kong
  rules: [{http: {paths: [{path: /plain, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plugged, annotations: {konghq.com/plugins: broken}}
spec:
  ingressClassName: kong
  rules: [{http: {paths: [{path: /plugged, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}]}}]
`

// otherEcho is the Service route cross wants, in another namespace.
const otherEcho = `
apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {ports: [{port: 80}]}
`

// lbAddress is the proxy's LoadBalancer ingress, as a cloud would set it.
const lbAddress = "203.0.113.10"

func condition(t *testing.T, what string, conds []metav1.Condition, typ string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	if ok, got := has(conds, typ, status, reason); !ok {
		t.Errorf("%s: %s, want %s/%s", what, got, status, reason)
	}
}

// has says whether conds hold typ with status and reason, and else what they hold.
func has(conds []metav1.Condition, typ string, status metav1.ConditionStatus, reason string) (bool, string) {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		return false, fmt.Sprintf("no %s condition in %+v", typ, conds)
	}
	return c.Status == status && c.Reason == reason, fmt.Sprintf("%s = %s/%s (%q)", typ, c.Status, c.Reason, c.Message)
}

func TestSyncUpdateStatusWritesWhatTheSyncDidOnce(t *testing.T) {
	env, err := testenv.Start(t.Context())
	if err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	node := emutest.StartNode(t, pgtest.NewDatabase(t))
	ns, other := env.Namespace(t), env.Namespace(t)
	env.ApplyYAML(t, ns, fmt.Sprintf(objects, ns, other))
	env.ApplyYAML(t, other, otherEcho)
	c := env.Client
	var proxy corev1.Service
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "kong-proxy"}, &proxy); err != nil {
		t.Fatal(err)
	}
	proxy.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: lbAddress}}
	if err := c.Status().Update(t.Context(), &proxy); err != nil {
		t.Fatalf("set the proxy's load balancer: %v", err)
	}

	sync := func() (string, string, int) {
		return kongdbtest.Run(t, "sync", "--kubeconfig", env.Kubeconfig, "-A", "--lock-namespace", ns,
			"--kong-admin-url", node.URL, "--schema-cache-dir", t.TempDir(),
			"--update-status", "--publish-service", ns+"/kong-proxy")
	}
	stdout, stderr, code := sync()
	// -A: the cross-namespace backend must be read to be judged (a read of one namespace cannot
	// see it at all). Exit 2: the Ingress with the broken plugin and the routes with unusable backends failed
	// translation, and the sync says so; the rest is in Kong.
	if code != 2 || !strings.Contains(stderr, "status: ") {
		t.Fatalf("sync: exit %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "warning: update status") {
		t.Fatalf("status writing failed:\n%s", stderr)
	}

	var gc gatewayv1.GatewayClass
	get := func(key client.ObjectKey, obj client.Object) {
		t.Helper()
		if err := c.Get(t.Context(), key, obj); err != nil {
			t.Fatalf("get %T %s: %v", obj, key, err)
		}
	}
	get(client.ObjectKey{Name: "kong-" + ns}, &gc)
	condition(t, "GatewayClass", gc.Status.Conditions, "Accepted", metav1.ConditionTrue, "Accepted")

	var gw gatewayv1.Gateway
	get(client.ObjectKey{Namespace: ns, Name: "gw"}, &gw)
	condition(t, "Gateway", gw.Status.Conditions, "Accepted", metav1.ConditionTrue, "Accepted")
	condition(t, "Gateway", gw.Status.Conditions, "Programmed", metav1.ConditionTrue, "Programmed")
	if len(gw.Status.Addresses) != 1 || gw.Status.Addresses[0].Value != lbAddress {
		t.Errorf("Gateway addresses = %+v, want the proxy's load balancer %s", gw.Status.Addresses, lbAddress)
	}
	if len(gw.Status.Listeners) != 2 || gw.Status.Listeners[0].AttachedRoutes != 3 || gw.Status.Listeners[1].AttachedRoutes != 0 {
		t.Errorf("listeners = %+v, want 3 routes on http (good, missing, cross) and none on tcp", gw.Status.Listeners)
	}
	for _, l := range gw.Status.Listeners {
		condition(t, "listener "+string(l.Name), l.Conditions, "Programmed", metav1.ConditionTrue, "Programmed")
	}

	routes := []struct {
		name           string
		accepted       metav1.ConditionStatus
		acceptedReason string
		resolved       metav1.ConditionStatus
		resolvedReason string
	}{
		{name: "good", accepted: metav1.ConditionTrue, acceptedReason: "Accepted", resolved: metav1.ConditionTrue, resolvedReason: "ResolvedRefs"},
		{name: "denied", accepted: metav1.ConditionFalse, acceptedReason: "NotAllowedByListeners", resolved: metav1.ConditionTrue, resolvedReason: "ResolvedRefs"},
		{name: "missing", accepted: metav1.ConditionTrue, acceptedReason: "Accepted", resolved: metav1.ConditionFalse, resolvedReason: "BackendNotFound"},
		{name: "cross", accepted: metav1.ConditionTrue, acceptedReason: "Accepted", resolved: metav1.ConditionFalse, resolvedReason: "RefNotPermitted"},
	}
	for _, r := range routes {
		var hr gatewayv1.HTTPRoute
		get(client.ObjectKey{Namespace: ns, Name: r.name}, &hr)
		if len(hr.Status.Parents) != 1 {
			t.Errorf("HTTPRoute %s: parents = %+v", r.name, hr.Status.Parents)
			continue
		}
		p := hr.Status.Parents[0]
		if p.ControllerName != "konghq.com/kic-gateway-controller" || p.ParentRef.Name != "gw" {
			t.Errorf("HTTPRoute %s: parent %+v", r.name, p)
		}
		condition(t, "HTTPRoute "+r.name, p.Conditions, "Accepted", r.accepted, r.acceptedReason)
		condition(t, "HTTPRoute "+r.name, p.Conditions, "ResolvedRefs", r.resolved, r.resolvedReason)
	}
	var good gatewayv1.HTTPRoute
	get(client.ObjectKey{Namespace: ns, Name: "good"}, &good)
	condition(t, "HTTPRoute good", good.Status.Parents[0].Conditions, "Programmed", metav1.ConditionTrue, "ConfiguredInGateway")

	var broken, fine kongv1.KongPlugin
	get(client.ObjectKey{Namespace: ns, Name: "broken"}, &broken)
	condition(t, "KongPlugin broken", broken.Status.Conditions, "Programmed", metav1.ConditionFalse, "Invalid")
	if c := meta.FindStatusCondition(broken.Status.Conditions, "Programmed"); c != nil && !strings.Contains(c.Message, "absent") {
		t.Errorf("KongPlugin broken: the message %q does not name the missing Secret", c.Message)
	}
	get(client.ObjectKey{Namespace: ns, Name: "fine"}, &fine)
	condition(t, "KongPlugin fine", fine.Status.Conditions, "Programmed", metav1.ConditionTrue, "Programmed")

	var plain, plugged netv1.Ingress
	get(client.ObjectKey{Namespace: ns, Name: "plain"}, &plain)
	if lb := plain.Status.LoadBalancer.Ingress; len(lb) != 1 || lb[0].IP != lbAddress {
		t.Errorf("Ingress plain: loadBalancer = %+v, want %s", lb, lbAddress)
	}
	get(client.ObjectKey{Namespace: ns, Name: "plugged"}, &plugged)
	if lb := plugged.Status.LoadBalancer.Ingress; len(lb) != 0 {
		t.Errorf("Ingress plugged failed translation but got addresses %+v", lb)
	}

	// A second sync with nothing new writes no status: every object keeps its resourceVersion.
	watched := []client.Object{&gc, &gw, &good, &broken, &fine, &plain}
	versions := map[string]string{}
	for _, o := range watched {
		versions[fmt.Sprintf("%T %s", o, o.GetName())] = o.GetResourceVersion()
	}
	for _, name := range []string{"denied", "missing", "cross"} {
		var hr gatewayv1.HTTPRoute
		get(client.ObjectKey{Namespace: ns, Name: name}, &hr)
		watched = append(watched, &hr)
		versions[fmt.Sprintf("%T %s", &hr, name)] = hr.GetResourceVersion()
	}
	stdout, stderr, code = sync()
	if code != 2 || !strings.Contains(stderr, "status: 0 objects written") {
		t.Fatalf("second sync: exit %d, want 2 and no status written\n%s\n%s", code, stdout, stderr)
	}
	for _, o := range watched {
		key := fmt.Sprintf("%T %s", o, o.GetName())
		get(client.ObjectKeyFromObject(o), o)
		if o.GetResourceVersion() != versions[key] {
			t.Errorf("%s was written again by a sync with nothing new (resourceVersion %s → %s)", key, versions[key], o.GetResourceVersion())
		}
	}
}
