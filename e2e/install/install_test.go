// Package install_test runs `kubectl kongdb install --apply` against a real API server
// (envtest, RBAC on) and then proves the RBAC it installs: the installed ServiceAccount's own
// token runs the Deployment's sync, out of the cluster, against an emulator Kong on real
// PostgreSQL, and must read everything; SubjectAccessReviews show what it must not do.
package install_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/internal/testenv"
	"github.com/kongdb/kubectl-kongdb/pkg/install"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
	"github.com/kongdb/kubectl-kongdb/pkg/watch"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// app is what the installation syncs: an Ingress with a KongPlugin, a KongConsumer whose
// key-auth credential is a Secret, and an Ingress naming a KongPlugin that does not exist
// (its translation fails, so the sync records a Warning Event on it).
const app = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: kong}
spec: {controller: ingress-controllers.konghq.com/kong}
---
apiVersion: v1
kind: Service
metadata: {name: shop}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: shop-x, labels: {kubernetes.io/service-name: shop}}
addressType: IPv4
endpoints: [{addresses: ["10.1.0.1"], conditions: {ready: true}}]
ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: rl-shop}
plugin: rate-limiting
config: {minute: 60, policy: local}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  annotations: {konghq.com/plugins: rl-shop}
spec:
  ingressClassName: kong
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: lost
  annotations: {konghq.com/plugins: absent}
spec:
  ingressClassName: kong
  rules:
  - host: lost.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
---
apiVersion: v1
kind: Secret
metadata: {name: alice-key, labels: {konghq.com/credential: key-auth}}
stringData: {key: alice-very-secret-key}
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata: {name: alice, annotations: {kubernetes.io/ingress.class: kong}}
username: alice
credentials: [alice-key]
`

// late is an Ingress created while the watch runs.
const late = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: late}
spec:
  ingressClassName: kong
  rules:
  - host: late.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
`

// TestInstalledRBACIsEnoughAndNoBroader: install --apply creates every object (and a second
// run changes nothing it cannot); the ServiceAccount's token then runs the Deployment's sync
// (watch mode's flags aside: the one-shot sync reads the same kinds) with every kind read,
// the Lease taken in the installation's namespace and the Event written; and the account may
// not write Secrets, Ingresses or anything but status, nor touch Leases elsewhere.
func TestInstalledRBACIsEnoughAndNoBroader(t *testing.T) {
	env, err := testenv.Start(context.Background())
	if err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	spec := simtest.Spec(sim.Traditional)
	spec.Nodes = 1
	kong, _ := simtest.Up(t, simtest.LocalRuntime(t), spec)
	adminURL := kong.Nodes[0].AdminURL

	appNS := env.Namespace(t)
	env.ApplyYAML(t, appNS, app)

	const ns = "kongdb-e2e"
	for range 2 {
		out, errOut, code := kongdbtest.Run(t, "install", "--kubeconfig", env.Kubeconfig, "-n", ns, "--kong-admin-url", adminURL,
			"--replicas", "1", "--apply")
		if code != 0 {
			t.Fatalf("install --apply: exit %d\n%s%s", code, out, errOut)
		}
		for _, want := range []string{"namespace/" + ns + " serverside-applied", "deployment.apps/kongdb serverside-applied",
			"clusterrole.rbac.authorization.k8s.io/kongdb-" + ns + " serverside-applied", "poddisruptionbudget.policy/kongdb serverside-applied"} {
			if !strings.Contains(out, want) {
				t.Errorf("install --apply printed no %q:\n%s", want, out)
			}
		}
	}
	var d appsv1.Deployment
	get(t, env, ns, "kongdb", &d)
	get(t, env, ns, "kongdb", &corev1.ServiceAccount{})
	get(t, env, ns, "kongdb", &rbacv1.Role{})
	get(t, env, ns, "kongdb", &rbacv1.RoleBinding{})
	get(t, env, "", "kongdb-"+ns, &rbacv1.ClusterRole{})
	get(t, env, "", "kongdb-"+ns, &rbacv1.ClusterRoleBinding{})
	get(t, env, ns, "kongdb", &policyv1.PodDisruptionBudget{})
	if *d.Spec.Replicas != 1 || d.ManagedFields[0].Manager != install.FieldManager {
		t.Errorf("deployment replicas %d, managers %+v", *d.Spec.Replicas, d.ManagedFields)
	}

	// The pod passes the restricted Pod Security Standard: the API server's PodSecurity
	// admission, enforcing it on the namespace, admits the Deployment's pod (and refuses a bare one).
	cs := kubernetes.NewForConfigOrDie(env.Config)
	patch := `{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"restricted"}}}`
	if _, err := cs.CoreV1().Namespaces().Patch(t.Context(), ns, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "kongdb-pss", Namespace: ns}, Spec: d.Spec.Template.Spec}
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, dryRun); err != nil {
		t.Errorf("the Deployment's pod is refused under the restricted Pod Security Standard: %v", err)
	}
	bare := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bare", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "kongdb/kubectl-kongdb:dev"}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), bare, dryRun); err == nil {
		t.Error("PodSecurity admission admits a pod with no security context: the check above proves nothing")
	}

	// The Deployment's sync, as the ServiceAccount, out of the cluster.
	args := slices.DeleteFunc(slices.Clone(d.Spec.Template.Spec.Containers[0].Args), func(a string) bool {
		return slices.Contains(install.WatchArgs, a)
	})
	kubeconfig := serviceAccountKubeconfig(t, env, ns, "kongdb")
	args = append(args, "--kubeconfig", kubeconfig, "--schema-cache-dir", t.TempDir())
	out, errOut, code := kongdbtest.Run(t, args...)
	// Exit 2: Ingress lost names a KongPlugin that does not exist; everything else is written.
	if code != 2 {
		t.Fatalf("sync as the ServiceAccount: exit %d, want 2 (one Ingress fails translation)\n%s%s", code, out, errOut)
	}
	for _, bad := range []string{"forbidden", "could not read", "could not tell", "record events", "update status"} {
		if strings.Contains(strings.ToLower(errOut), bad) {
			t.Errorf("sync as the ServiceAccount says %q: its RBAC is not enough\n%s", bad, errOut)
		}
	}
	if strings.Contains(out+errOut, "alice-very-secret-key") {
		t.Error("the sync printed a Secret's value")
	}
	for path, want := range map[string]string{"/routes": appNS + ".shop.", "/consumers/alice/key-auth": "alice-very-secret-key",
		"/plugins": "rate-limiting"} {
		if body := kongGet(t, adminURL+path); !strings.Contains(body, want) {
			t.Errorf("Kong's %s lacks %q after the sync: %s", path, want, body)
		}
	}
	// --update-status wrote through the status subresource: the KongPlugin in Kong is Programmed.
	if !strings.Contains(errOut, "status: ") || strings.Contains(errOut, "status: 0 objects written") {
		t.Errorf("sync as the ServiceAccount wrote no status:\n%s", errOut)
	}
	var plugin kongv1.KongPlugin
	get(t, env, appNS, "rl-shop", &plugin)
	if c := meta.FindStatusCondition(plugin.Status.Conditions, "Programmed"); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("KongPlugin rl-shop's status after the sync: %+v", plugin.Status)
	}
	var events corev1.EventList
	if err := env.Client.List(t.Context(), &events, client.InNamespace(appNS)); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(events.Items, func(e corev1.Event) bool {
		return e.Source.Component == "kongdb" && e.InvolvedObject.Name == "lost" && e.Reason == "KongConfigurationTranslationFailed"
	}) {
		t.Errorf("no Warning Event on Ingress lost: %+v", events.Items)
	}

	// What the account may and may not do, asked of the API server's authorizer.
	sa := "system:serviceaccount:" + ns + ":kongdb"
	can := func(verb, group, resource, sub, namespace string) bool {
		t.Helper()
		r, err := cs.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User: sa, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &authzv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Subresource: sub, Namespace: namespace},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("SubjectAccessReview: %v", err)
		}
		return r.Status.Allowed
	}
	for _, a := range []struct {
		verb, group, resource, sub, namespace string
		allowed                               bool
	}{
		{"watch", "", "secrets", "", "", true},
		{"watch", "gateway.networking.k8s.io", "httproutes", "", appNS, true},
		{"update", "gateway.networking.k8s.io", "httproutes", "status", appNS, true},
		{"update", "networking.k8s.io", "ingresses", "status", appNS, true},
		{"update", "configuration.konghq.com", "kongplugins", "status", appNS, true},
		{"patch", "configuration.konghq.com", "kongplugins", "status", appNS, false},
		{"create", "", "events", "", appNS, true},
		{"update", "coordination.k8s.io", "leases", "", ns, true},

		{"create", "", "secrets", "", appNS, false},
		{"update", "", "secrets", "", appNS, false},
		{"delete", "", "secrets", "", appNS, false},
		{"delete", "networking.k8s.io", "ingresses", "", appNS, false},
		{"update", "networking.k8s.io", "ingresses", "", appNS, false},
		{"patch", "gateway.networking.k8s.io", "httproutes", "", appNS, false},
		{"get", "coordination.k8s.io", "leases", "", appNS, false},
		{"list", "coordination.k8s.io", "leases", "", ns, false},
		{"create", "coordination.k8s.io", "leases", "", "kube-system", false},
		{"update", "coordination.k8s.io", "leases", "", "default", false},
		{"get", "", "pods", "", appNS, false},
		{"create", "", "pods", "proxy", ns, false},
		{"update", "", "configmaps", "", appNS, false},
		{"update", "apps", "deployments", "", ns, false},
		{"escalate", "rbac.authorization.k8s.io", "clusterroles", "", "", false},
	} {
		if got := can(a.verb, a.group, a.resource, a.sub, a.namespace); got != a.allowed {
			t.Errorf("%s may %s %s/%s %s in %q: %v, want %v", sa, a.verb, a.group, a.resource, a.sub, a.namespace, got, a.allowed)
		}
	}

	// The Deployment's own command, watch mode and all, as the ServiceAccount: it wins its
	// election Lease in the installation's namespace, turns ready, and follows a change.
	watchArgs := append(slices.Clone(d.Spec.Template.Spec.Containers[0].Args), "--kubeconfig", kubeconfig,
		"--schema-cache-dir", t.TempDir(), fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", freePort(t)))
	w := startWatch(t, watchArgs)
	w.waitReady(t)
	var lease coordinationv1.Lease
	leaseKey := types.NamespacedName{Namespace: ns, Name: watch.LeaderLeaseName(translate.DefaultOptions().OwnershipTag)}
	holder := func(want string) func() bool {
		return func() bool {
			err := env.Client.Get(t.Context(), leaseKey, &lease)
			return err == nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity == want
		}
	}
	w.waitFor(t, holder("kongdb-0"), "election Lease "+leaseKey.String()+" held by kongdb-0")
	env.ApplyYAML(t, appNS, late)
	w.waitFor(t, func() bool { return strings.Contains(kongGet(t, adminURL+"/routes"), appNS+".late.") }, "the route of Ingress late in Kong")
	if code := w.stop(t); code != 0 {
		t.Errorf("sync --watch exit %d on SIGTERM, want 0\n%s", code, w.log.String())
	}
	if l := strings.ToLower(w.log.String()); strings.Contains(l, "forbidden") || strings.Contains(l, `"update status"`) {
		t.Errorf("sync --watch as the ServiceAccount was refused something:\n%s", w.log.String())
	}

	// The same again in the image, as the pod runs it: it takes over the election Lease the
	// first watcher released, turns ready and follows a change.
	health := freePort(t)
	imageArgs := append(slices.Clone(d.Spec.Template.Spec.Containers[0].Args), fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", health))
	ctr := runImage(t, imageArgs, kubeconfig, "kongdb-1")
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", health)
	poll(t, func() bool { return httpStatus(readyz) == http.StatusOK }, "/readyz of the container",
		func() string { return containerLog(t, ctr) })
	poll(t, holder("kongdb-1"), "election Lease "+leaseKey.String()+" held by the container's kongdb-1",
		func() string { return containerLog(t, ctr) })
	env.ApplyYAML(t, appNS, strings.ReplaceAll(late, "late", "later"))
	poll(t, func() bool { return strings.Contains(kongGet(t, adminURL+"/routes"), appNS+".later.") }, "the route of Ingress later in Kong",
		func() string { return containerLog(t, ctr) })
	stop := 30 * time.Second
	if err := ctr.Stop(t.Context(), &stop); err != nil {
		t.Fatal(err)
	}
	info, err := ctr.Inspect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if logs := containerLog(t, ctr); info.State.ExitCode != 0 || strings.Contains(strings.ToLower(logs), "forbidden") ||
		strings.Contains(logs, `"update status"`) {
		t.Errorf("the container exited %d on SIGTERM (want 0), log:\n%s", info.State.ExitCode, logs)
	}
}

// poll waits up to a minute for cond, failing with what log returns.
func poll(t *testing.T, cond func() bool, what string, log func() string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after a minute:\n%s", what, log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func httpStatus(u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func get(t *testing.T, env *testenv.Env, ns, name string, obj client.Object) {
	t.Helper()
	if err := env.Client.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
		t.Fatalf("get %T %s/%s: %v", obj, ns, name, err)
	}
}

// serviceAccountKubeconfig writes a kubeconfig for the API server whose only credential is a
// token of the ServiceAccount (TokenRequest), as a pod's mounted token would be.
func serviceAccountKubeconfig(t *testing.T, env *testenv.Env, ns, name string) string {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(env.Config)
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(t.Context(), name,
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s/%s: %v", ns, name, err)
	}
	cfg, err := clientcmd.LoadFromFile(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for k := range cfg.AuthInfos {
		cfg.AuthInfos[k] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	}
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func kongGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}
