package plan

import (
	"crypto/sha1" //nolint:gosec // Kong's basic-auth hash, in the test's expectation
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

const tag = "managed-by-kongdb"

func tags(extra ...string) []*string { return kong.StringSlice(append([]string{tag}, extra...)...) }

// sample is a small desired state with every kind of edge.
func sample() *kongstate.State {
	s := &kongstate.State{
		Services: []*kongstate.Service{{
			Service: kong.Service{ID: kong.String("svc-1"), Name: kong.String("default.echo.80"), Host: kong.String("echo.default.80.svc"),
				Tags: tags("k8s-kind:Service", "k8s-namespace:default", "k8s-name:echo")},
			Routes: []*kongstate.Route{{
				Route: kong.Route{ID: kong.String("route-1"), Name: kong.String("default.echo.echo.example.com.00"),
					Paths: kong.StringSlice("/"), Tags: tags("k8s-kind:Ingress", "k8s-namespace:default", "k8s-name:echo")},
			}},
		}},
		Upstreams: []*kongstate.Upstream{{
			Upstream: kong.Upstream{Name: kong.String("echo.default.80.svc"), Tags: tags()},
			Targets:  []*kong.Target{{Target: kong.String("10.0.0.1:80"), Weight: kong.Int(100), Tags: tags()}},
		}},
		Certificates: []*kongstate.Certificate{{Certificate: kong.Certificate{ID: kong.String("cert-1"),
			Cert: kong.String("CERT"), Key: kong.String("PRIVATE"), SNIs: kong.StringSlice("echo.example.com"), Tags: tags()}}},
		Consumers: []*kongstate.Consumer{{
			Consumer: kong.Consumer{ID: kong.String("con-1"), Username: kong.String("alice"), Tags: tags()},
			KeyAuths: []*kong.KeyAuth{{Key: kong.String("s3cret"), Tags: tags()}},
		}},
		Plugins: []*kong.Plugin{{ID: kong.String("plugin-1"), Name: kong.String("key-auth"),
			Route: &kong.Route{ID: kong.String("default.echo.echo.example.com.00")}, Config: kong.Configuration{"hide_credentials": true},
			Tags: tags("k8s-kind:KongPlugin", "k8s-namespace:default", "k8s-name:auth")}},
	}
	return s
}

func build(t *testing.T, desired, current *kongstate.State, opts Options) *Plan {
	t.Helper()
	if opts.OwnershipTag == "" {
		opts.OwnershipTag = tag
	}
	p, err := Build(desired, current, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p
}

func find(t *testing.T, p *Plan, a Action, k Kind) *Op {
	t.Helper()
	for _, op := range p.Ops {
		if op.Action == a && op.Kind == k {
			return op
		}
	}
	t.Fatalf("no %s %s op in %s", a, k, describe(p))
	return nil
}

func describe(p *Plan) string {
	var b strings.Builder
	for _, op := range p.Ops {
		b.WriteString(string(op.Action) + " " + string(op.Kind) + " " + op.Name + "; ")
	}
	return b.String()
}

func dependsOn(op, on *Op) bool {
	for _, i := range op.DependsOn {
		if i == on.Index {
			return true
		}
	}
	return false
}

// roundTrip is what a read of Kong returns after a sync of s: the plan's bodies as stored.
func roundTrip(t *testing.T, s *kongstate.State) *kongstate.State {
	t.Helper()
	p := build(t, s, nil, Options{AllowDeletes: true})
	return stateFromOps(t, p)
}

func TestCreatesFollowForeignKeys(t *testing.T) {
	p := build(t, sample(), nil, Options{AllowDeletes: true})
	if got := p.Count()[Create]; got != 9 {
		t.Fatalf("%d creates, want 9: %s", got, describe(p))
	}
	edges := []struct{ child, parent Kind }{
		{KindRoute, KindService}, {KindTarget, KindUpstream}, {KindSNI, KindCertificate},
		{KindKeyAuth, KindConsumer}, {KindPlugin, KindRoute},
	}
	for _, e := range edges {
		c, par := find(t, p, Create, e.child), find(t, p, Create, e.parent)
		if !dependsOn(c, par) {
			t.Errorf("create %s does not wait for create %s", e.child, e.parent)
		}
	}
	plugin := find(t, p, Create, KindPlugin)
	if got := plugin.Body["route"]; !equalJSON(got, map[string]any{"id": "route-1"}) {
		t.Errorf("plugin's route reference = %v, want the route's ID", got)
	}
	if plugin.Method != "POST" || plugin.Path != "/plugins" || plugin.UpsertPath != "/plugins/plugin-1" {
		t.Errorf("plugin create = %s %s (upsert %s)", plugin.Method, plugin.Path, plugin.UpsertPath)
	}
	target := find(t, p, Create, KindTarget)
	up := find(t, p, Create, KindUpstream)
	if up.ID == "" || target.Path != "/upstreams/"+up.ID+"/targets" {
		t.Errorf("target path %q, upstream id %q", target.Path, up.ID)
	}
	if o := plugin.Object; o == nil || o.String() != "KongPlugin default/auth" {
		t.Errorf("plugin object = %v", o)
	}
}

func TestGeneratedIDsAreStable(t *testing.T) {
	a := build(t, sample(), nil, Options{})
	b := build(t, sample(), nil, Options{})
	if find(t, a, Create, KindUpstream).ID != find(t, b, Create, KindUpstream).ID {
		t.Fatal("two plans of one state give the upstream different IDs")
	}
}

func TestUnchangedStateMakesNoOps(t *testing.T) {
	cases := map[string]func(*kongstate.State){
		"as written": func(*kongstate.State) {},
		"tags reordered": func(s *kongstate.State) {
			tg := s.Services[0].Tags
			tg[0], tg[len(tg)-1] = tg[len(tg)-1], tg[0]
		},
		"empty list where Kong has none": func(s *kongstate.State) { s.Services[0].Routes[0].Hosts = []*string{} },
		"plugin IDs differ, scope equal": func(s *kongstate.State) { s.Plugins[0].ID = kong.String("other") },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			current := roundTrip(t, sample())
			desired := sample()
			mutate(desired)
			p := build(t, desired, current, Options{AllowDeletes: true})
			if !p.Empty() {
				t.Fatalf("ops on an unchanged state: %s", describe(p))
			}
			if p.Unchanged != 9 {
				t.Errorf("unchanged = %d, want 9", p.Unchanged)
			}
		})
	}
}

func TestChangedFieldIsOneUpdate(t *testing.T) {
	current := roundTrip(t, sample())
	desired := sample()
	desired.Services[0].Routes[0].Paths = kong.StringSlice("/v2")
	p := build(t, desired, current, Options{AllowDeletes: true})
	if len(p.Ops) != 1 {
		t.Fatalf("ops: %s", describe(p))
	}
	op := p.Ops[0]
	if op.Action != Update || op.Kind != KindRoute || op.Method != "PUT" || op.Path != "/routes/route-1" {
		t.Fatalf("op = %s %s %s %s", op.Action, op.Kind, op.Method, op.Path)
	}
}

// TestManyChangesAmongManyUnchanged: with enough entities to compare them on several CPUs,
// each changed route is one update, in the desired state's order, and every other entity is
// counted unchanged.
func TestManyChangesAmongManyUnchanged(t *testing.T) {
	many := func() *kongstate.State {
		s := &kongstate.State{}
		for i := range 1500 {
			s.Services = append(s.Services, &kongstate.Service{
				Service: kong.Service{ID: kong.String(fmt.Sprintf("svc-%d", i)), Name: kong.String(fmt.Sprintf("default.s%d.80", i)),
					Host: kong.String("echo.default.80.svc"), Tags: tags()},
				Routes: []*kongstate.Route{{Route: kong.Route{ID: kong.String(fmt.Sprintf("route-%d", i)),
					Name: kong.String(fmt.Sprintf("default.s%d.00", i)), Paths: kong.StringSlice("/"), Tags: tags()}}},
			})
		}
		return s
	}
	current := roundTrip(t, many())
	desired := many()
	var want []string
	for i := 0; i < 1500; i += 100 {
		desired.Services[i].Routes[0].Paths = kong.StringSlice("/v2")
		want = append(want, fmt.Sprintf("/routes/route-%d", i))
	}
	p := build(t, desired, current, Options{AllowDeletes: true})
	var got []string
	for _, op := range p.Ops {
		if op.Action != Update || op.Kind != KindRoute {
			t.Fatalf("unexpected op %s %s %s", op.Action, op.Kind, op.Path)
		}
		got = append(got, op.Path)
	}
	if !slices.Equal(got, want) {
		t.Errorf("updates %v, want %v", got, want)
	}
	if p.Unchanged != 3000-len(want) {
		t.Errorf("unchanged = %d, want %d", p.Unchanged, 3000-len(want))
	}
}

func TestExistingPluginKeepsItsID(t *testing.T) {
	current := roundTrip(t, sample())
	current.Plugins[0].ID = kong.String("kong-made-id")
	desired := sample()
	desired.Plugins[0].Config["hide_credentials"] = false
	p := build(t, desired, current, Options{AllowDeletes: true})
	op := find(t, p, Update, KindPlugin)
	if op.ID != "kong-made-id" || op.Path != "/plugins/kong-made-id" {
		t.Fatalf("plugin update addresses %s (%s), want Kong's ID", op.ID, op.Path)
	}
	if len(p.Ops) != 1 {
		t.Fatalf("ops: %s", describe(p))
	}
}

func TestDeletes(t *testing.T) {
	current := roundTrip(t, sample())
	desired := sample()
	desired.Services = nil
	desired.Plugins = nil
	cases := []struct {
		name        string
		opts        Options
		wantDeletes int
		withheld    int
	}{
		{"all owned", Options{AllowDeletes: true}, 3, 0},
		{"incomplete source deletes nothing", Options{AllowDeletes: false}, 0, 3},
		{"scoped to another namespace", Options{AllowDeletes: true, MayDelete: func(tags []string) bool {
			for _, t := range tags {
				if t == "k8s-namespace:other" {
					return true
				}
			}
			return false
		}}, 0, 3},
		{"route out of scope keeps its service", Options{AllowDeletes: true, MayDelete: func(tags []string) bool {
			for _, t := range tags {
				if t == "k8s-kind:Ingress" {
					return false
				}
			}
			return true
		}}, 1, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := build(t, desired, current, c.opts)
			if got := p.Count()[Delete]; got != c.wantDeletes {
				t.Fatalf("%d deletes, want %d: %s", got, c.wantDeletes, describe(p))
			}
			if len(p.Withheld) != c.withheld {
				t.Fatalf("%d withheld, want %d (%v)", len(p.Withheld), c.withheld, p.Notes)
			}
			if c.wantDeletes == 3 {
				svc, route, plugin := find(t, p, Delete, KindService), find(t, p, Delete, KindRoute), find(t, p, Delete, KindPlugin)
				if !dependsOn(svc, route) || !dependsOn(route, plugin) {
					t.Fatalf("deletes not children first: %+v %+v", svc.DependsOn, route.DependsOn)
				}
			}
		})
	}
}

func TestBasicAuthHashedPasswordIsUnchanged(t *testing.T) {
	desired := &kongstate.State{Consumers: []*kongstate.Consumer{{
		Consumer:   kong.Consumer{ID: kong.String("con-1"), Username: kong.String("bob"), Tags: tags()},
		BasicAuths: []*kong.BasicAuth{{Username: kong.String("bob"), Password: kong.String("pw"), Tags: tags()}},
	}}}
	current := roundTrip(t, desired)
	sum := sha1.Sum([]byte("pw" + "con-1")) //nolint:gosec // Kong's scheme
	current.Consumers[0].BasicAuths[0].Password = kong.String(hex.EncodeToString(sum[:]))
	if p := build(t, desired, current, Options{AllowDeletes: true}); !p.Empty() {
		t.Fatalf("hashed password seen as a change: %s", describe(p))
	}
	desired.Consumers[0].BasicAuths[0].Password = kong.String("new")
	if p := build(t, desired, current, Options{AllowDeletes: true}); len(p.Ops) != 1 {
		t.Fatalf("changed password: %s", describe(p))
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	s := sample()
	s.MarkSecretConfig(s.Plugins[0], "/hide_credentials")
	p := build(t, s, nil, Options{})
	for _, k := range []Kind{KindKeyAuth, KindCertificate, KindPlugin} {
		body, _ := find(t, p, Create, k).Redacted()
		raw := toJSON(body)
		for _, secret := range []string{"s3cret", "PRIVATE", `"hide_credentials":true`} {
			if strings.Contains(raw, secret) {
				t.Errorf("%s body shows %s: %s", k, secret, raw)
			}
		}
	}
	if body := find(t, p, Create, KindKeyAuth).Body; body["key"] != "s3cret" {
		t.Fatal("Redacted modified the op's own body")
	}
	if name := find(t, p, Create, KindKeyAuth).Name; strings.Contains(name, "s3cret") {
		t.Fatalf("key-auth op named by its key: %s", name)
	}
}

func TestMissingParentLeavesOnlyThatEntityOut(t *testing.T) {
	s := sample()
	s.Plugins = append(s.Plugins, &kong.Plugin{Name: kong.String("cors"), Service: &kong.Service{ID: kong.String("nope")}, Tags: tags()})
	p := build(t, s, nil, Options{})
	if got := p.Count()[Create]; got != 9 || len(p.Notes) != 1 {
		t.Fatalf("%d creates, notes %v", got, p.Notes)
	}
}

func TestHashedClientSecretVerifies(t *testing.T) {
	// $pbkdf2-sha512$ of "s3cret" with a fixed salt, as Kong's fallback hash writes it.
	salt := []byte("0123456789abcdef")
	stored := phcPBKDF2(t, "s3cret", salt)
	want := map[string]any{"client_secret": "s3cret", "hash_secret": true}
	have := map[string]any{"client_secret": stored, "hash_secret": true}
	if !equal(specOf[KindOAuth2], want, have) {
		t.Fatal("the stored hash of the same secret counts as a change")
	}
	want["client_secret"] = "other"
	if equal(specOf[KindOAuth2], want, have) {
		t.Fatal("a changed secret counts as unchanged")
	}
}

func TestCACertificateListedByAService(t *testing.T) {
	withCA := func() *kongstate.State {
		s := sample()
		s.CACertificates = []*kong.CACertificate{{ID: kong.String("ca-1"), Cert: kong.String("CA"), Tags: tags()}}
		s.Services[0].CACertificates = kong.StringSlice("ca-1")
		return s
	}
	p := build(t, withCA(), nil, Options{AllowDeletes: true})
	if !dependsOn(find(t, p, Create, KindService), find(t, p, Create, KindCACertificate)) {
		t.Fatal("the service is created before the CA certificate it lists")
	}
	current := roundTrip(t, withCA())
	onlyCA := withCA()
	onlyCA.CACertificates = nil
	p = build(t, onlyCA, current, Options{AllowDeletes: true})
	if p.Count()[Delete] != 0 || len(p.Withheld) != 1 {
		t.Fatalf("a CA certificate a staying service lists is deleted: %s (withheld %d)", describe(p), len(p.Withheld))
	}
	onlyCA.Services[0].CACertificates = nil
	p = build(t, onlyCA, current, Options{AllowDeletes: true})
	del, upd := find(t, p, Delete, KindCACertificate), find(t, p, Update, KindService)
	if !dependsOn(del, upd) {
		t.Fatal("the CA certificate is deleted before the service stops listing it")
	}
}

// frozenObject freezes the entities of one Kubernetes object, as the engine does for an object
// that failed translation.
func frozenObject(kind, name string) func([]string) string {
	return func(tags []string) string {
		if o := ObjectOf(tags); o != nil && o.Kind == kind && o.Name == name {
			return kind + " " + name + " failed translation"
		}
		return ""
	}
}

// An object that failed translation keeps what Kong has from it: its plugin is not deleted
// (the route is not served open) and its route is not changed, and both are reported.
func TestFrozenEntitiesAreNeitherChangedNorDeleted(t *testing.T) {
	current := roundTrip(t, sample())
	desired := sample()
	desired.Plugins = nil // the KongPlugin's config failed, so translation dropped the plugin
	p := build(t, desired, current, Options{AllowDeletes: true, Frozen: frozenObject("KongPlugin", "auth")})
	if n := p.Count()[Delete]; n != 0 {
		t.Fatalf("%d deletes, want none: %s", n, describe(p))
	}
	if len(p.Frozen) != 1 || p.Frozen[0].Kind != KindPlugin || p.Frozen[0].Action != Delete || !strings.Contains(p.Frozen[0].Reason, "failed translation") {
		t.Fatalf("frozen = %+v, want the plugin's delete with its reason", p.Frozen)
	}

	desired = sample()
	desired.Services[0].Routes[0].Paths = kong.StringSlice("/changed")
	p = build(t, desired, current, Options{AllowDeletes: true, Frozen: frozenObject("Ingress", "echo")})
	if !p.Empty() || len(p.Frozen) != 1 || p.Frozen[0].Action != Update || p.Frozen[0].Kind != KindRoute {
		t.Fatalf("ops %s, frozen %+v: want no op and the route's update frozen", describe(p), p.Frozen)
	}
}

// A new route whose object failed is not created, and neither is the plugin that needs it.
func TestFrozenCreateHoldsBackItsChildren(t *testing.T) {
	p := build(t, sample(), nil, Options{AllowDeletes: true, Frozen: frozenObject("Ingress", "echo")})
	for _, op := range p.Ops {
		if op.Kind == KindRoute || op.Kind == KindPlugin {
			t.Fatalf("%s %s %s written although its route's object failed", op.Action, op.Kind, op.Name)
		}
	}
	if len(p.Frozen) != 2 {
		t.Fatalf("frozen = %d ops, want the route and its plugin", len(p.Frozen))
	}
}

// The delete budget is a share of the entities in scope, not of all owned ones.
func TestInScopeCountsOnlyDeletableEntities(t *testing.T) {
	current := roundTrip(t, sample())
	p := build(t, sample(), current, Options{AllowDeletes: true, MayDelete: func(tags []string) bool {
		return slices.Contains(tags, "k8s-kind:Ingress")
	}})
	if p.Managed <= 1 || p.InScope != 1 {
		t.Fatalf("managed %d, in scope %d: want all owned and the one route", p.Managed, p.InScope)
	}
}

// TestEmptyIDIsAnError checks that an entity stating an empty ID, its own or a foreign key's,
// never reaches a plan: Build fails naming the entity and its Kubernetes object. A certificate
// from a Secret without a UID once got such an ID, and Kong refused its SNIs.
func TestEmptyIDIsAnError(t *testing.T) {
	tags := kong.StringSlice("k8s-name:tls", "k8s-namespace:shop", "k8s-kind:Secret", "k8s-version:v1")
	for _, tc := range []struct {
		name  string
		state *kongstate.State
		want  string
	}{
		{"own id", &kongstate.State{Certificates: []*kongstate.Certificate{{Certificate: kong.Certificate{
			ID: kong.String(""), Cert: kong.String("c"), Key: kong.String("k"), Tags: tags,
		}}}}, `certificate (from Secret shop/tls): empty id`},
		{"foreign key", &kongstate.State{Services: []*kongstate.Service{{Service: kong.Service{
			Name: kong.String("s"), Host: kong.String("h"), ClientCertificate: &kong.Certificate{ID: kong.String("")},
		}}}}, `service "s": empty client_certificate.id`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.state, &kongstate.State{}, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// A scoped sync removes a dead pod's target: a target names no Kubernetes object of its own, so
// the upstream it hangs from decides its scope. Once, -n default never deleted one.
func TestScopedDeleteReachesEntitiesWithoutTheirOwnObject(t *testing.T) {
	withTargets := func(targets ...string) *kongstate.State {
		s := sample()
		s.Upstreams[0].Tags = tags("k8s-kind:Service", "k8s-namespace:default", "k8s-name:echo")
		s.Upstreams[0].Targets = nil
		for _, tg := range targets {
			s.Upstreams[0].Targets = append(s.Upstreams[0].Targets, &kong.Target{Target: kong.String(tg), Weight: kong.Int(100), Tags: tags()})
		}
		return s
	}
	inNamespace := func(ns string) func([]string) bool {
		return func(tags []string) bool { return slices.Contains(tags, "k8s-namespace:"+ns) }
	}
	current := roundTrip(t, withTargets("10.0.0.1:80"))
	p := build(t, withTargets("10.0.0.2:80"), current, Options{AllowDeletes: true, MayDelete: inNamespace("default")})
	if del := find(t, p, Delete, KindTarget); !strings.Contains(del.Name, "10.0.0.1") {
		t.Fatalf("deleted target %q, want 10.0.0.1:80", del.Name)
	}
	// The Service is gone: its upstream goes, and its targets with it, in its namespace's
	// scope only.
	gone := withTargets()
	gone.Upstreams = nil
	p = build(t, gone, current, Options{AllowDeletes: true, MayDelete: inNamespace("default")})
	find(t, p, Delete, KindUpstream)
	if del := find(t, p, Delete, KindTarget); !strings.Contains(del.Name, "10.0.0.1") {
		t.Fatalf("deleted target %q with its upstream, want 10.0.0.1:80", del.Name)
	}
	p = build(t, gone, current, Options{AllowDeletes: true, MayDelete: inNamespace("other")})
	if n := p.Count()[Delete]; n != 0 {
		t.Fatalf("a sync scoped to another namespace plans %d deletes: %s", n, describe(p))
	}
}

// A rollout in a namespace-scoped sync: the pod's old target carries no object's tags, yet it
// goes, because the upstream this sync desires lists its targets whole; an upstream the sync
// does not desire keeps its targets.
func TestScopedSyncDeletesTheStaleTargetsOfItsUpstreams(t *testing.T) {
	inNamespace := func(tags []string) bool { return slices.Contains(tags, "k8s-namespace:default") }
	current := roundTrip(t, sample())
	moved := sample()
	moved.Upstreams[0].Targets[0].Target = kong.String("10.0.0.2:80")
	p := build(t, moved, current, Options{AllowDeletes: true, MayDelete: inNamespace})
	if del := find(t, p, Delete, KindTarget); !strings.HasSuffix(del.Name, "/10.0.0.1:80") {
		t.Errorf("deleted target %s, want the old pod's 10.0.0.1:80", del.Name)
	}
	find(t, p, Create, KindTarget)
	if p.TargetsReplaced != 1 {
		t.Errorf("targets replaced = %d, want 1 (the delete budget leaves it out)", p.TargetsReplaced)
	}

	other := sample()
	other.Upstreams = nil
	p = build(t, other, current, Options{AllowDeletes: true, MayDelete: inNamespace})
	for _, op := range p.Ops {
		if op.Action == Delete && (op.Kind == KindTarget || op.Kind == KindUpstream) {
			t.Errorf("%s %s %s: an upstream this sync does not desire is not its to empty", op.Action, op.Kind, op.Name)
		}
	}
}
