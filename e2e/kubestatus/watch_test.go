package kubestatus_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/internal/testenv"
)

// watchObjects are a watcher's cluster: our GatewayClass (kong-%[1]s), a Gateway with one HTTP
// listener, and an HTTPRoute to a Service with one ready endpoint, all in namespace %[1]s.
const watchObjects = `
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
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-x, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
endpoints: [{addresses: ["10.4.0.1"], conditions: {ready: true}}]
ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: gw}]
  rules: [{matches: [{path: {type: PathPrefix, value: /web}}], backendRefs: [{name: echo, port: 80}]}]
`

// startWatchCluster starts an API server of the test's own (a watcher with -A reads every
// namespace, so no other test may share it) and an emulator node, and creates watchObjects.
func startWatchCluster(t *testing.T) (*testenv.Env, *emutest.Node, string) {
	t.Helper()
	env, err := testenv.Start(t.Context())
	if err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	node := emutest.StartNode(t, pgtest.NewDatabase(t))
	ns := env.Namespace(t)
	env.ApplyYAML(t, ns, fmt.Sprintf(watchObjects, ns))
	return env, node, ns
}

// startWatch runs `kongdb sync --watch -A` on env against node, alone (no leader election),
// resyncing every 5s.
func startWatch(t *testing.T, env *testenv.Env, node *emutest.Node, ns string, extra ...string) *kongdbtest.Process {
	t.Helper()
	args := append([]string{"sync", "--watch", "--kubeconfig", env.Kubeconfig, "-A", "--lock-namespace", ns,
		"--kong-admin-url", node.URL, "--schema-cache-dir", t.TempDir(),
		"--leader-elect=false", "--debounce", "100ms", "--resync-period", "5s"}, extra...)
	return kongdbtest.Start(t, args...)
}

// kongRoutes are the names of the node's routes that an HTTPRoute made.
func kongRoutes(t *testing.T, node *emutest.Node, ns, route string) []string {
	t.Helper()
	resp, err := http.Get(node.URL + "/routes?size=1000")
	if err != nil {
		t.Fatalf("GET /routes: %v", err)
	}
	defer resp.Body.Close()
	var page struct {
		Data []struct {
			Name string `json:"name"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatalf("GET /routes: %v", err)
	}
	var out []string
	for _, r := range page.Data {
		if strings.HasPrefix(r.Name, "httproute."+ns+"."+route+".") {
			out = append(out, r.Name)
		}
	}
	return out
}

// syncLines counts the watcher's sync log lines with the given trigger ("" for any).
func syncLines(log, trigger string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "msg=sync ") && strings.Contains(l, "trigger="+trigger) {
			n++
		}
	}
	return n
}

// afterSync waits until the watcher has logged two more syncs: the second began after the
// first one's status writing, and so after that of any sync already under way.
func afterSync(t *testing.T, w *kongdbtest.Process) {
	t.Helper()
	mark := syncLines(w.Log.String(), "")
	w.Await(t, "two more syncs", func() (bool, string) {
		n := syncLines(w.Log.String(), "") - mark
		return n >= 2, fmt.Sprintf("%d syncs", n)
	})
}

// TestWatchKeepsStatusCurrent: a watcher writes status after its syncs without being asked
// (--update-status is on with --watch): the Gateway becomes Programmed with the published
// address and its route Accepted with ResolvedRefs; a backendRef edited to a missing Service
// turns ResolvedRefs False/BackendNotFound, and True again when restored; resyncs with
// nothing new write nothing (no resourceVersion moves); SIGINT ends it with exit 0.
func TestWatchKeepsStatusCurrent(t *testing.T) {
	env, node, ns := startWatchCluster(t)
	c := env.Client
	w := startWatch(t, env, node, ns, "--publish-status-address", lbAddress)

	key := client.ObjectKey{Namespace: ns, Name: "web"}
	var gw gatewayv1.Gateway
	w.Await(t, "the Gateway Programmed with the published address", func() (bool, string) {
		if err := c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "gw"}, &gw); err != nil {
			return false, err.Error()
		}
		ok, last := has(gw.Status.Conditions, "Programmed", metav1.ConditionTrue, "Programmed")
		addr := len(gw.Status.Addresses) == 1 && gw.Status.Addresses[0].Value == lbAddress
		return ok && addr, fmt.Sprintf("%s, addresses %+v", last, gw.Status.Addresses)
	})
	// routeStatus waits until the route's one parent holds ResolvedRefs with status and reason,
	// and Accepted True.
	routeStatus := func(status metav1.ConditionStatus, reason string) {
		t.Helper()
		w.Await(t, fmt.Sprintf("HTTPRoute web Accepted and ResolvedRefs=%s/%s", status, reason), func() (bool, string) {
			var hr gatewayv1.HTTPRoute
			if err := c.Get(t.Context(), key, &hr); err != nil {
				return false, err.Error()
			}
			if len(hr.Status.Parents) != 1 {
				return false, fmt.Sprintf("parents %+v", hr.Status.Parents)
			}
			conds := hr.Status.Parents[0].Conditions
			accepted, a := has(conds, "Accepted", metav1.ConditionTrue, "Accepted")
			resolved, r := has(conds, "ResolvedRefs", status, reason)
			return accepted && resolved, a + "; " + r
		})
	}
	routeStatus(metav1.ConditionTrue, "ResolvedRefs")
	if got := kongRoutes(t, node, ns, "web"); len(got) == 0 {
		t.Fatalf("HTTPRoute web has status but no route in Kong")
	}

	setBackend := func(name string) {
		t.Helper()
		// The watcher writes the route's status meanwhile: a conflict is retried on a fresh read.
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			var hr gatewayv1.HTTPRoute
			if err := c.Get(t.Context(), key, &hr); err != nil {
				return err
			}
			hr.Spec.Rules[0].BackendRefs[0].Name = gatewayv1.ObjectName(name)
			return c.Update(t.Context(), &hr)
		})
		if err != nil {
			t.Fatalf("point HTTPRoute web at Service %s: %v", name, err)
		}
	}
	setBackend("absent")
	routeStatus(metav1.ConditionFalse, "BackendNotFound")
	setBackend("echo")
	routeStatus(metav1.ConditionTrue, "ResolvedRefs")

	// No flapping. The sync that wrote the status just read logged its line before writing
	// (the loop logs a sync, then writes its status); the second sync logged from here on
	// began after that writing ended. From then on, nothing has anything new to write.
	afterSync(t, w)
	watched := []client.Object{&gatewayv1.GatewayClass{}, &gatewayv1.Gateway{}, &gatewayv1.HTTPRoute{},
		&corev1.Service{}, &discoveryv1.EndpointSlice{}}
	keys := []client.ObjectKey{{Name: "kong-" + ns}, {Namespace: ns, Name: "gw"}, key,
		{Namespace: ns, Name: "echo"}, {Namespace: ns, Name: "echo-x"}}
	versions := make([]string, len(watched))
	for i, o := range watched {
		if err := c.Get(t.Context(), keys[i], o); err != nil {
			t.Fatalf("get %T %s: %v", o, keys[i], err)
		}
		versions[i] = o.GetResourceVersion()
	}
	// Two resyncs: the second is logged after the first one's status writing ended.
	resyncs := syncLines(w.Log.String(), "resync")
	w.Await(t, "two resyncs", func() (bool, string) {
		n := syncLines(w.Log.String(), "resync") - resyncs
		return n >= 2, fmt.Sprintf("%d resyncs", n)
	})
	for i, o := range watched {
		if err := c.Get(t.Context(), keys[i], o); err != nil {
			t.Fatalf("get %T %s: %v", o, keys[i], err)
		}
		if o.GetResourceVersion() != versions[i] {
			t.Errorf("%T %s was written by syncs with nothing new (resourceVersion %s → %s)", o, keys[i], versions[i], o.GetResourceVersion())
		}
	}

	if code := w.Stop(t); code != 0 {
		t.Fatalf("the watcher exited %d on SIGINT, want 0", code)
	}
	if strings.Contains(w.Log.String(), `msg="update status"`) {
		t.Errorf("a status write failed (see the watcher's log)")
	}
}

// TestWatchWithoutUpdateStatusWritesNone: --update-status=false turns the watch's status
// writing off: the route reaches Kong, and our GatewayClass still has no condition.
func TestWatchWithoutUpdateStatusWritesNone(t *testing.T) {
	env, node, ns := startWatchCluster(t)
	w := startWatch(t, env, node, ns, "--publish-status-address", lbAddress, "--update-status=false")
	w.Await(t, "HTTPRoute web's route in Kong", func() (bool, string) {
		got := kongRoutes(t, node, ns, "web")
		return len(got) > 0, "none"
	})
	// The sync that put the route in Kong would have written status right after it.
	afterSync(t, w)
	c := env.Client
	var gc gatewayv1.GatewayClass
	var gw gatewayv1.Gateway
	var hr gatewayv1.HTTPRoute
	for _, o := range []struct {
		key client.ObjectKey
		obj client.Object
	}{{client.ObjectKey{Name: "kong-" + ns}, &gc}, {client.ObjectKey{Namespace: ns, Name: "gw"}, &gw}, {client.ObjectKey{Namespace: ns, Name: "web"}, &hr}} {
		if err := c.Get(t.Context(), o.key, o.obj); err != nil {
			t.Fatalf("get %T %s: %v", o.obj, o.key, err)
		}
	}
	if ok, _ := has(gc.Status.Conditions, "Accepted", metav1.ConditionTrue, "Accepted"); ok {
		t.Errorf("--update-status=false, yet GatewayClass kong-%s was accepted: %+v", ns, gc.Status.Conditions)
	}
	if ok, _ := has(gw.Status.Conditions, "Programmed", metav1.ConditionTrue, "Programmed"); ok || len(gw.Status.Addresses) > 0 {
		t.Errorf("--update-status=false, yet Gateway gw was written: addresses %+v, conditions %+v", gw.Status.Addresses, gw.Status.Conditions)
	}
	if len(hr.Status.Parents) > 0 {
		t.Errorf("--update-status=false, yet HTTPRoute web was written: %+v", hr.Status.Parents)
	}
	if code := w.Stop(t); code != 0 {
		t.Fatalf("the watcher exited %d on SIGINT, want 0", code)
	}
}
