package sync_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kongdb/kubectl-kongdb/internal/testenv"
)

// cluster starts a kube-apiserver of the test's own (the package's TestMain belongs to pgtest).
func cluster(t *testing.T) *testenv.Env {
	t.Helper()
	env, err := testenv.Start(context.Background())
	if err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	return env
}

// applyYAML creates every object of a multi-document YAML in namespace ns (cluster-scoped
// objects keep none; ones that exist already are left as they are).
func applyYAML(t *testing.T, env *testenv.Env, ns, text string) {
	t.Helper()
	env.ApplyYAML(t, ns, text)
}

func serviceNames(t *testing.T, f *fixture) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, s := range f.list(t, "/services") {
		out[s["name"].(string)] = true
	}
	return out
}

// TestSyncFromLiveCluster: sync reads a namespace of a real API server; a re-sync writes
// nothing; an object deleted in Kubernetes is deleted in Kong, while another namespace's
// entities stay; when a list is forbidden nothing is deleted; an unreachable API server
// writes nothing at all.
func TestSyncFromLiveCluster(t *testing.T) {
	env := cluster(t)
	f := newFixture(t)
	nsA, nsB := env.Namespace(t), env.Namespace(t)
	var a, b bytes.Buffer
	a.WriteString(ingressClass)
	for _, name := range []string{"one", "two", "three"} {
		a.WriteString(app(name, ""))
	}
	b.WriteString(app("other", ""))
	applyYAML(t, env, nsA, a.String())
	applyYAML(t, env, nsB, b.String())
	// The Lease goes into a test namespace: a fresh API server creates "default" a moment after
	// it starts.
	kube := []string{"--kubeconfig", env.Kubeconfig, "--lock-namespace", nsB}

	for _, ns := range []string{nsA, nsB} {
		mustSync(t, f, append(kube, "-n", ns)...)
	}
	got := serviceNames(t, f)
	for _, want := range []string{nsA + ".one.80", nsA + ".two.80", nsA + ".three.80", nsB + ".other.80"} {
		if !got[want] {
			t.Fatalf("service %s missing after sync: %v", want, got)
		}
	}
	f.kong.reset()
	mustSync(t, f, append(kube, "-n", nsA)...)
	if n := f.kong.writes.Load(); n != 0 {
		t.Fatalf("re-sync from the cluster wrote %d times: %v", n, f.kong.reset())
	}

	// RBAC lets this user read everything but KongPlugins: the snapshot is incomplete, so the
	// deleted Ingress's entities stay.
	grantAllButKongPlugins(t, env, "limited")
	env.Delete(t, nsA, "networking.k8s.io/v1", "Ingress", "three")
	env.Delete(t, nsA, "v1", "Service", "three")
	f.kong.reset()
	r := f.cmd(t, "sync", "--kubeconfig", env.KubeconfigAs(t, "limited"), "-n", nsA, "--lock-namespace", nsB)
	// Exit 2: the Ingresses naming the unreadable KongPlugins fail translation, so the sync is
	// partial, and Kong keeps what it has from them.
	if r.code != 2 {
		t.Fatalf("incomplete sync: exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range f.kong.reset() {
		if strings.HasPrefix(w, "DELETE") {
			t.Fatalf("an incomplete snapshot deleted: %s\n%s", w, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "could not be read in full") || !serviceNames(t, f)[nsA+".three.80"] {
		t.Fatalf("incomplete read not reported, or service deleted:\n%s\n%s", r.stdout, r.stderr)
	}

	// An API server that cannot be reached: the command fails before any write.
	// It must stop for that reason, naming the server, and before any plan: a stop by the
	// delete budget would also write nothing, and would hide an unsafe plan.
	r = f.cmd(t, "sync", "--server", "https://127.0.0.1:1", "--insecure-skip-tls-verify", "-n", nsA)
	if r.code != 1 || f.kong.writes.Load() != 0 {
		t.Fatalf("unreachable API server: exit %d, writes %v", r.code, f.kong.reset())
	}
	if !strings.Contains(r.stderr, "127.0.0.1:1") || strings.Contains(r.stderr+r.stdout, "would delete") || r.stdout != "" {
		t.Fatalf("unreachable API server: the error does not name it, or a plan was made:\n%s\n%s", r.stdout, r.stderr)
	}

	// Complete again: the deleted Ingress's entities go, the other namespace's stay.
	mustSync(t, f, append(kube, "-n", nsA, "--max-delete", "60%")...)
	got = serviceNames(t, f)
	if got[nsA+".three.80"] || !got[nsA+".one.80"] || !got[nsB+".other.80"] {
		t.Fatalf("services after deleting Ingress three: %v", got)
	}
	for _, r := range f.list(t, "/routes") {
		if strings.Contains(r["name"].(string), ".three.") {
			t.Fatalf("route %v of the deleted Ingress survived", r["name"])
		}
	}
}

// grantAllButKongPlugins binds user to a ClusterRole reading every kind kongdb reads except
// KongPlugins, and holding the sync's Lease.
func grantAllButKongPlugins(t *testing.T, env *testenv.Env, user string) {
	t.Helper()
	read := []string{"get", "list", "watch"}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kongdb-" + user}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"", "networking.k8s.io", "discovery.k8s.io", "gateway.networking.k8s.io"}, Resources: []string{"*"}, Verbs: read},
		{APIGroups: []string{"configuration.konghq.com"}, Verbs: read, Resources: []string{"kongclusterplugins", "kongconsumers",
			"kongconsumergroups", "kongingresses", "kongupstreampolicies", "tcpingresses", "udpingresses", "kongvaults", "ingressclassparameters"}},
		// The sync lock.
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update", "delete"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kongdb-" + user},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}}}
	env.Apply(t, role, binding)
}

func clientKey(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}
