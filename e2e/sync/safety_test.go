package sync_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// app is one namespace-default application: a Service with endpoints and an Ingress routing
// to it, with a rate-limiting plugin; extra lets a test bend it.
func app(name string, extraPlugin string) string {
	plugins := "rl-" + name
	if extraPlugin != "" {
		plugins += "," + extraPlugin
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: %[1]s, namespace: default}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: %[1]s-x, namespace: default, labels: {kubernetes.io/service-name: %[1]s}}
addressType: IPv4
endpoints: [{addresses: ["10.1.0.1"], conditions: {ready: true}}]
ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %[1]s
  namespace: default
  annotations: {konghq.com/plugins: "%[2]s"}
spec:
  ingressClassName: kong
  rules:
  - host: %[1]s.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: %[1]s, port: {number: 80}}}}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: rl-%[1]s, namespace: default}
plugin: rate-limiting
config: {minute: 60, policy: local}
---
`, name, plugins)
}

const ingressClass = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: kong}
spec: {controller: ingress-controllers.konghq.com/kong}
---
`

func manifests(t testing.TB, apps ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(ingressClass)
	for _, a := range apps {
		b.WriteString(app(a, ""))
	}
	return writeFile(t, b.String())
}

func mustSync(t testing.TB, f *fixture, args ...string) result {
	t.Helper()
	r := f.cmd(t, "sync", args...)
	if r.code != 0 {
		t.Fatalf("sync %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

// TestDriftInKongIsRepaired: a route edited and a plugin deleted through the Admin API are
// put back by the next sync, with one write each.
func TestDriftInKongIsRepaired(t *testing.T) {
	f := newFixture(t)
	in := manifests(t, "shop")
	mustSync(t, f, "-f", in)
	routes := f.list(t, "/routes")
	plugins := f.list(t, "/plugins")
	if len(routes) != 1 || len(plugins) != 1 {
		t.Fatalf("routes %d plugins %d", len(routes), len(plugins))
	}
	routeID, pluginID := routes[0]["id"].(string), plugins[0]["id"].(string)
	if code := request(t, http.MethodPatch, f.node.URL+"/routes/"+routeID, `{"paths":["/hijacked"]}`, nil); code != http.StatusOK {
		t.Fatalf("patch route: %d", code)
	}
	if code := request(t, http.MethodDelete, f.node.URL+"/plugins/"+pluginID, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete plugin: %d", code)
	}
	f.kong.reset()
	mustSync(t, f, "-f", in)
	writes := f.kong.reset()
	slices.Sort(writes)
	want := []string{"POST /plugins", "PUT /routes/" + routeID}
	if !slices.Equal(writes, want) {
		t.Fatalf("repair writes = %v, want %v", writes, want)
	}
	var route struct {
		Paths []string `json:"paths"`
	}
	f.get(t, "/routes/"+routeID, &route)
	if !slices.Equal(route.Paths, []string{"/"}) {
		t.Fatalf("route paths after repair: %v", route.Paths)
	}
	if got := f.list(t, "/plugins"); len(got) != 1 || got[0]["id"] != pluginID {
		t.Fatalf("plugin not recreated with its ID: %v", got)
	}
}

// TestPruneDeletesWhatManifestsNoLongerHold, and only with --prune.
func TestPruneDeletesWhatManifestsNoLongerHold(t *testing.T) {
	f := newFixture(t)
	mustSync(t, f, "-f", manifests(t, "keep", "gone"))
	one := manifests(t, "keep")
	f.kong.reset()
	r := mustSync(t, f, "-f", one)
	if f.kong.writes.Load() != 0 || !strings.Contains(r.stdout, "--prune deletes it") {
		t.Fatalf("without --prune: writes %v\n%s", f.kong.reset(), r.stdout)
	}
	mustSync(t, f, "-f", one, "--prune", "--max-delete", "50%")
	for _, s := range f.list(t, "/services") {
		if s["name"] != "default.keep.80" {
			t.Fatalf("service %v survived the prune", s["name"])
		}
	}
	if n := len(f.list(t, "/routes")); n != 1 {
		t.Fatalf("%d routes after prune, want 1", n)
	}
	if n := len(f.list(t, "/upstreams")); n != 1 {
		t.Fatalf("%d upstreams after prune, want 1", n)
	}
}

// TestMaxDeleteStopsAMassDelete before any write; --force goes on.
func TestMaxDeleteStopsAMassDelete(t *testing.T) {
	f := newFixture(t)
	mustSync(t, f, "-f", manifests(t, "a", "b", "c"))
	empty := manifests(t)
	f.kong.reset()
	r := f.cmd(t, "sync", "-f", empty, "--prune")
	if r.code != 1 || !strings.Contains(r.stderr, "--max-delete") || f.kong.writes.Load() != 0 {
		t.Fatalf("mass delete: exit %d, writes %v\n%s\n%s", r.code, f.kong.reset(), r.stdout, r.stderr)
	}
	if n := len(f.list(t, "/services")); n != 3 {
		t.Fatalf("%d services left, want 3", n)
	}
	mustSync(t, f, "-f", empty, "--prune", "--force")
	for _, p := range []string{"/services", "/routes", "/upstreams", "/plugins"} {
		if n := len(f.list(t, p)); n != 0 {
			t.Fatalf("%d %s left after a forced prune", n, p)
		}
	}
}

// TestUntaggedEntityIsLeftAloneAndReported: a service nobody tagged holds our service's name.
// diff and --dry-run show the conflict ahead; the sync reports it with both sides, skips what hangs off our service, applies
// the rest, and never touches the untagged service.
func TestUntaggedEntityIsLeftAloneAndReported(t *testing.T) {
	f := newFixture(t)
	if code := request(t, http.MethodPost, f.node.URL+"/services", `{"name":"default.blocked.80","host":"theirs.example"}`, nil); code != http.StatusCreated {
		t.Fatalf("create untagged service: %d", code)
	}
	in := manifests(t, "blocked", "free")
	d := f.cmd(t, "diff", "-f", in)
	if d.code != 1 || !strings.Contains(d.stdout, "# conflict: create service default.blocked.80") ||
		!strings.Contains(d.stdout, `in the way: existing service "default.blocked.80"`) {
		t.Fatalf("diff does not show the conflict ahead: exit %d\n%s", d.code, d.stdout)
	}
	dry := f.cmd(t, "sync", "-f", in, "--dry-run")
	if dry.code != 2 || !strings.Contains(dry.stdout, "conflict: create service default.blocked.80") || f.kong.writes.Load() != 0 {
		t.Fatalf("dry run: exit %d, writes %d\n%s", dry.code, f.kong.writes.Load(), dry.stdout)
	}
	r := f.cmd(t, "sync", "-f", in)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"conflict: create service default.blocked.80", "in the way: existing service \"default.blocked.80\"",
		"skipped: create route", "skipped: create plugin"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	var theirs struct {
		Host string   `json:"host"`
		Tags []string `json:"tags"`
	}
	f.get(t, "/services/default.blocked.80", &theirs)
	if theirs.Host != "theirs.example" || len(theirs.Tags) != 0 {
		t.Fatalf("untagged service was changed: %+v", theirs)
	}
	if code := f.get(t, "/services/default.free.80", nil); code != http.StatusOK {
		t.Fatalf("the unrelated service was not created: %d", code)
	}
	if n := len(f.list(t, "/routes")); n != 1 {
		t.Fatalf("%d routes, want only the free app's", n)
	}
}

// TestInvalidPluginFailsOnlyItself: Kong rejects one plugin's config; that op fails with
// Kong's message and its KongPlugin named, everything else is applied.
func TestInvalidPluginFailsOnlyItself(t *testing.T) {
	f := newFixture(t)
	bad := ingressClass + app("good", "") + app("bad", "broken") + `apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: broken, namespace: default}
plugin: rate-limiting
config: {minute: -5, policy: local}
`
	r := f.cmd(t, "sync", "-f", writeFile(t, bad))
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "failed: create plugin rate-limiting/default.bad") ||
		!strings.Contains(r.stdout, "(KongPlugin default/broken)") || !strings.Contains(r.stdout, "Kong answered 400") {
		t.Fatalf("report does not name the failure:\n%s", r.stdout)
	}
	if n := len(f.list(t, "/plugins")); n != 2 {
		t.Fatalf("%d plugins, want the two valid ones", n)
	}
	if n := len(f.list(t, "/routes")); n != 2 {
		t.Fatalf("%d routes, want 2", n)
	}
}
