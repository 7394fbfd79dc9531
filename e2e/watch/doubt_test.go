package watch_test

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kongdb/kubectl-kongdb/internal/testenv"
)

// TestWatchDeletesNothingWhileAListFails: a watcher whose identity may not list KongPlugins
// still starts and creates what it reads, but a deleted Ingress keeps its route while that
// list fails; once the list is allowed, the informer recovers and the route goes, with no
// change in Kubernetes to wake it.
func TestWatchDeletesNothingWhileAListFails(t *testing.T) {
	env := cluster(t)
	k := startKong(t)
	ns := env.Namespace(t)
	apply(t, env, "", ingressClass)
	role := grant(t, env, "limited")

	w := startWatcher(t, env, ns, k.URL, "--kubeconfig", env.KubeconfigAs(t, "limited"))
	w.waitRole(t, "leader")
	apply(t, env, ns, app("one", "10.1.0.1")+"---\n"+app("two", "10.2.0.1")+"---\n"+app("three", "10.3.0.1"))
	poll(t, "the routes, written although one kind cannot be read", func() (bool, string) {
		return k.route(t, ns, "one") != nil && k.route(t, ns, "three") != nil, "no route yet"
	})
	if r := w.ready(); !strings.Contains(r, "kongplugins") {
		t.Errorf("/readyz does not name the failing list: %q", r)
	}
	if !strings.Contains(w.log.String(), "could not read all kongplugins: list failing") || !strings.Contains(w.log.String(), "forbidden") {
		t.Errorf("the log does not say why KongPlugins are missing:\n%s", w.log.String())
	}

	syncs := strings.Count(w.log.String(), "msg=sync ")
	env.Delete(t, ns, "networking.k8s.io/v1", "Ingress", "one")
	poll(t, "a sync after the delete", func() (bool, string) {
		return strings.Count(w.log.String(), "msg=sync ") > syncs, "no sync yet"
	})
	if k.route(t, ns, "one") == nil {
		t.Fatalf("a sync deleted a route while KongPlugins could not be listed:\n%s", w.log.String())
	}
	if !strings.Contains(w.log.String(), "deletes=\"withheld") {
		t.Errorf("the sync does not say it withheld deletes:\n%s", w.log.String())
	}

	role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{"configuration.konghq.com"},
		Resources: []string{"kongplugins"}, Verbs: []string{"get", "list", "watch"}})
	if err := env.Client.Update(t.Context(), role); err != nil {
		t.Fatal(err)
	}
	poll(t, "the route deleted once KongPlugins can be listed", func() (bool, string) {
		return k.route(t, ns, "one") == nil, "the route is still there"
	})
	if k.route(t, ns, "two") == nil {
		t.Fatal("another Ingress's route went too")
	}
}

// grant binds user to a ClusterRole reading every kind sync reads but KongPlugins, and
// holding the Leases; it returns the role as created.
func grant(t *testing.T, env *testenv.Env, user string) *rbacv1.ClusterRole {
	t.Helper()
	read := []string{"get", "list", "watch"}
	kong := []string{"kongclusterplugins", "kongconsumers", "kongconsumergroups", "kongingresses", "kongupstreampolicies",
		"tcpingresses", "udpingresses", "kongvaults", "ingressclassparameterses"}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kongdb-" + user}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"", "networking.k8s.io", "discovery.k8s.io", "gateway.networking.k8s.io"}, Resources: []string{"*"}, Verbs: read},
		{APIGroups: []string{"configuration.konghq.com"}, Verbs: read, Resources: kong},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update", "delete"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kongdb-" + user},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}}}
	env.Apply(t, role, binding)
	return role
}
