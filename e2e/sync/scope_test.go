package sync_test

import (
	"bytes"
	"strings"
	"testing"
)

// labelled is app() whose Ingress carries team=team.
func labelled(name, team string) string {
	return strings.Replace(app(name, ""), "kind: Ingress\nmetadata:\n", "kind: Ingress\nmetadata:\n  labels: {team: "+team+"}\n", 1)
}

// inNamespace is app() in namespace ns.
func inNamespace(name, ns string) string {
	return strings.ReplaceAll(app(name, ""), "namespace: default", "namespace: "+ns)
}

// routeNames are the names of the routes in Kong.
func routeNames(t *testing.T, f *fixture) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range f.list(t, "/routes") {
		out[r["name"].(string)] = true
	}
	return out
}

func noDeletes(t *testing.T, f *fixture, r result) {
	t.Helper()
	for _, w := range f.kong.reset() {
		if strings.HasPrefix(w, "DELETE") {
			t.Fatalf("deleted %s\n%s\n%s", w, r.stdout, r.stderr)
		}
	}
}

// TestSelectorScopesDeletes: `sync -A -l team=a` never deletes another team's entities (it
// read them as out of its selector, not as gone), and still deletes team a's Ingress once it is
// deleted in Kubernetes. On the old main the second sync planned deletes of team b's entities
// and was stopped only by --max-delete.
func TestSelectorScopesDeletes(t *testing.T) {
	env := cluster(t)
	f := newFixture(t)
	ns := env.Namespace(t)
	var b bytes.Buffer
	b.WriteString(ingressClass)
	b.WriteString(labelled("a1", "a") + labelled("a2", "a") + labelled("b1", "b") + labelled("b2", "b"))
	applyYAML(t, env, ns, b.String())
	kube := []string{"--kubeconfig", env.Kubeconfig, "--lock-namespace", ns}
	mustSync(t, f, append(kube, "-A")...)
	if got := routeNames(t, f); len(got) != 4 {
		t.Fatalf("routes after the first sync: %v", got)
	}
	f.kong.reset()
	r := f.cmd(t, "sync", append(kube, "-A", "-l", "team=a")...)
	if r.code != 0 {
		t.Fatalf("sync -l team=a: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	noDeletes(t, f, r)

	env.Delete(t, ns, "networking.k8s.io/v1", "Ingress", "a1")
	f.kong.reset()
	r = f.cmd(t, "sync", append(kube, "-A", "-l", "team=a", "--max-delete", "100%")...)
	if r.code != 0 {
		t.Fatalf("sync after deleting a1: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	got := routeNames(t, f)
	for name := range got {
		if strings.Contains(name, ".a1.") {
			t.Fatalf("route %s of the deleted Ingress a1 survived: %v\n%s\n%s", name, got, r.stdout, r.stderr)
		}
	}
	if len(got) != 3 {
		t.Fatalf("routes after deleting a1: %v, want a2, b1 and b2", got)
	}
	// Service a1 still exists, read whole: its Kong service may serve objects outside the
	// selector, so it stays.
	if !serviceNames(t, f)[ns+".a1.80"] {
		t.Fatalf("the Kong service of Service a1, which still exists, was deleted")
	}
}

// TestManifestPruneStaysInItsNamespace: `sync -f … -n x --prune` prunes namespace x only; on
// the old main it pruned every namespace the tool owned entities in.
func TestManifestPruneStaysInItsNamespace(t *testing.T) {
	f := newFixture(t)
	both := writeFile(t, ingressClass+inNamespace("keep", "ns-x")+inNamespace("gone", "ns-x")+inNamespace("theirs", "ns-y"))
	mustSync(t, f, "-f", both)
	onlyX := writeFile(t, ingressClass+inNamespace("keep", "ns-x"))
	f.kong.reset()
	r := mustSync(t, f, "-f", onlyX, "-n", "ns-x", "--prune", "--max-delete", "100%")
	got := serviceNames(t, f)
	if !got["ns-x.keep.80"] || got["ns-x.gone.80"] || !got["ns-y.theirs.80"] {
		t.Fatalf("services after pruning x: %v\n%s", got, r.stdout)
	}
}

// TestMaxDeleteIsAShareOfTheScope: a namespace holding a fifth of the owned entities is not
// wiped under the default 30% budget (on the old main it was: 20% of everything), and the
// budget holds at its boundary: a count of exactly the deletes passes, one less stops.
func TestMaxDeleteIsAShareOfTheScope(t *testing.T) {
	f := newFixture(t)
	all := writeFile(t, ingressClass+inNamespace("x1", "ns-x")+inNamespace("y1", "ns-y")+inNamespace("y2", "ns-y")+
		inNamespace("y3", "ns-y")+inNamespace("y4", "ns-y"))
	mustSync(t, f, "-f", all)
	emptyX := writeFile(t, ingressClass)
	f.kong.reset()
	r := f.cmd(t, "sync", "-f", emptyX, "-n", "ns-x", "--prune")
	if r.code != 1 || !strings.Contains(r.stderr, "in its scope") || !strings.Contains(r.stderr, "--max-delete") {
		t.Fatalf("wiping namespace x: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	noDeletes(t, f, r)
	// In a namespace's scope, one app is a service, a route, a plugin, an upstream and its
	// target: the target carries no namespace tag, so its upstream's Service decides (on the old
	// main a namespaced sync never deleted a target, and so never its upstream either).
	r = f.cmd(t, "sync", "-f", emptyX, "-n", "ns-x", "--prune", "--max-delete", "4")
	if r.code != 1 || !strings.Contains(r.stderr, "would delete 5 of the ") {
		t.Fatalf("just over the budget: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	noDeletes(t, f, r)
	mustSync(t, f, "-f", emptyX, "-n", "ns-x", "--prune", "--max-delete", "5")
	if got := serviceNames(t, f); got["ns-x.x1.80"] || len(got) != 4 {
		t.Fatalf("services after pruning x at the budget: %v", got)
	}
	var upstreams struct{ Data []struct{ Name string } }
	f.get(t, "/upstreams", &upstreams)
	for _, u := range upstreams.Data {
		if strings.Contains(u.Name, "x1.ns-x") {
			t.Fatalf("the upstream %s of the pruned app x1 survived", u.Name)
		}
	}
	if len(upstreams.Data) != 4 {
		t.Fatalf("upstreams after pruning x: %+v, want the 4 of namespace y", upstreams.Data)
	}
}

// TestBrokenPluginKeepsTheLiveOne: a key-auth KongPlugin whose configFrom Secret goes missing
// fails translation; Kong keeps the live key-auth plugin (the route is never served open), the
// report says so, and the sync exits 2. On the old main the plugin was deleted and the sync
// exited 0.
func TestBrokenPluginKeepsTheLiveOne(t *testing.T) {
	f := newFixture(t)
	good := ingressClass + app("shop", "auth") + `apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: auth, namespace: default}
plugin: key-auth
config: {key_names: [apikey]}
---
`
	mustSync(t, f, "-f", writeFile(t, good))
	if n := len(f.list(t, "/plugins")); n != 2 {
		t.Fatalf("%d plugins after the first sync, want rate-limiting and key-auth", n)
	}
	broken := strings.Replace(good, "config: {key_names: [apikey]}", "configFrom: {secretKeyRef: {name: missing, key: config}}", 1)
	f.kong.reset()
	r := f.cmd(t, "sync", "-f", writeFile(t, broken), "--prune")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2 (partial)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	noDeletes(t, f, r)
	if !strings.Contains(r.stdout, "kept as Kong has it: delete plugin") || !strings.Contains(r.stdout, "KongPlugin default/auth") {
		t.Fatalf("report does not say the plugin was kept:\n%s", r.stdout)
	}
	names := map[string]bool{}
	for _, p := range f.list(t, "/plugins") {
		names[p["name"].(string)] = true
	}
	if !names["key-auth"] {
		t.Fatalf("the live key-auth plugin is gone: %v", names)
	}
}

// TestMaxDeleteIsCheckedAgainUnderTheLock: sync A plans a create only; before it takes the
// lock, sync B adds four apps that A's manifests (with --prune) do not hold. A reads Kong
// again under the lock, and the new plan's deletes exceed the budget: A stops, having written
// nothing, rather than apply a mass delete its first check never saw.
func TestMaxDeleteIsCheckedAgainUnderTheLock(t *testing.T) {
	f := newFixture(t)
	mustSync(t, f, "-f", manifests(t, "a", "b"))
	bIn := manifests(t, "a", "b", "c", "d", "e", "f")
	hook := hookLock(t, f.kong.URL, func() {
		if r := run(t, "sync", "-f", bIn, "--kong-admin-url", f.node.URL, "--schema-cache-dir", f.cache); r.code != 0 {
			t.Errorf("sync B: exit %d\n%s", r.code, r.stderr)
		}
	})
	r := run(t, "sync", "-f", manifests(t, "a", "b", "fresh"), "--prune", "--kong-admin-url", hook.URL, "--schema-cache-dir", f.cache)
	if r.code != 1 || !strings.Contains(r.stderr, "delete budget") {
		t.Fatalf("sync A: exit %d, want 1 for the delete budget\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	got := serviceNames(t, f)
	if got["default.fresh.80"] || !got["default.f.80"] || len(got) != 6 {
		t.Fatalf("services after sync A stopped: %v, want B's six and not A's new one", got)
	}
}
