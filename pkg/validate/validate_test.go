package validate

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

const tag = "managed-by-kongdb"

func tags(kind, ns, name string) []*string {
	return kong.StringSlice(tag, "k8s-kind:"+kind, "k8s-namespace:"+ns, "k8s-name:"+name)
}

func TestFlatten(t *testing.T) {
	var fields any
	if err := json.Unmarshal([]byte(`{
		"config": {"minute": "value should be between 0 and 100000", "redis": {"port": "expected an integer"}},
		"paths": [null, "invalid regex: '~/a['"],
		"@entity": ["at least one of these fields must be non-empty: 'methods', 'hosts', 'paths'"],
		"headers": {"@entity": ["bad header"]},
		"unknown_thing": "unknown field"
	}`), &fields); err != nil {
		t.Fatal(err)
	}
	want := []FieldError{
		{Path: "", Message: "at least one of these fields must be non-empty: 'methods', 'hosts', 'paths'"},
		{Path: "config.minute", Message: "value should be between 0 and 100000"},
		{Path: "config.redis.port", Message: "expected an integer"},
		{Path: "headers", Message: "bad header"},
		{Path: "paths[1]", Message: "invalid regex: '~/a['"},
		{Path: "unknown_thing", Message: "unknown field"},
	}
	if got := Flatten(fields); !reflect.DeepEqual(got, want) {
		t.Errorf("Flatten = %+v\nwant %+v", got, want)
	}
}

// fakeKong is an Admin API that refuses what refuse says for a /schemas/.../validate path
// and serves the credentials of held by path; writes counts every other non-GET request.
type fakeKong struct {
	refuse map[string]string // validate path -> 400 body
	held   map[string]string // GET path -> 200 body
	writes atomic.Int64
	seen   atomic.Int64
}

func (f *fakeKong) node(t *testing.T) *admin.Node {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/validate") && r.Method == http.MethodPost {
			f.seen.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			if body, ok := f.refuse[r.URL.Path]; ok {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, body)
				return
			}
			_, _ = io.WriteString(w, `{"message":"schema validation successful"}`)
			return
		}
		if r.Method != http.MethodGet {
			f.writes.Add(1)
		}
		if body, ok := f.held[r.URL.Path]; ok {
			_, _ = io.WriteString(w, body)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"Not found"}`)
	}))
	t.Cleanup(srv.Close)
	c, err := kong.NewClient(kong.String(srv.URL), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return &admin.Node{Info: admin.Info{URL: srv.URL}, Client: c}
}

func desired() *kongstate.State {
	con := &kongstate.Consumer{Consumer: kong.Consumer{ID: kong.String("c-alice"), Username: kong.String("alice"),
		Tags: tags("KongConsumer", "default", "alice")}}
	con.KeyAuths = []*kong.KeyAuth{{ID: kong.String("k-alice"), Key: kong.String("s3cr3t-key-value"),
		Consumer: &kong.Consumer{ID: kong.String("c-alice")}, Tags: tags("Secret", "default", "alice-key")}}
	return &kongstate.State{
		Plugins: []*kong.Plugin{{ID: kong.String("p1"), Name: kong.String("rate-limiting"),
			Config: kong.Configuration{"minute": -1, "redis": map[string]any{"password": "hunter2-redis"}},
			Tags:   tags("KongPlugin", "default", "rl")}},
		Consumers: []*kongstate.Consumer{con},
	}
}

func buildPlan(t *testing.T, d *kongstate.State) *plan.Plan {
	p, err := plan.Build(d, &kongstate.State{}, plan.Options{OwnershipTag: tag, AllowDeletes: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKongNamesObjectAndFieldAndHidesSecrets: Kong's field errors become one problem per
// field, on the Kubernetes object the entity comes from, and a secret Kong echoes is hidden.
func TestKongNamesObjectAndFieldAndHidesSecrets(t *testing.T) {
	f := &fakeKong{refuse: map[string]string{
		"/schemas/plugins/validate": `{"code":2,"name":"schema violation","message":"2 schema violations",
			"fields":{"config":{"minute":"value should be between 0 and 100000","redis":{"password":"'hunter2-redis' is too weak"}}}}`,
	}}
	p := buildPlan(t, desired())
	got, err := Kong(t.Context(), []*admin.Node{f.node(t)}, p, 2)
	if err != nil {
		t.Fatal(err)
	}
	Sort(got)
	for i := range got {
		if got[i].Op == nil || got[i].Op.Kind != plan.KindPlugin {
			t.Errorf("problem %d is not on the plugin's op: %+v", i, got[i].Op)
		}
		got[i].Entity, got[i].Op = "", nil
	}
	want := []Problem{
		{Object: "KongPlugin default/rl", Field: "config.minute", Problem: "value should be between 0 and 100000", Check: CheckSchema},
		{Object: "KongPlugin default/rl", Field: "config.redis.password", Problem: "'" + kongstate.RedactedValue + "' is too weak", Check: CheckSchema},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %+v\nwant %+v", got, want)
	}
	if n := f.seen.Load(); n != 3 { // consumer, key-auth, plugin
		t.Errorf("%d validate requests, want 3 (one per create)", n)
	}
	if n := f.writes.Load(); n != 0 {
		t.Errorf("%d writes to Kong", n)
	}
}

// TestKongFindsCredentialHeldByAnotherConsumer: a key another consumer holds in Kong is a
// problem on the Secret's key field, naming that consumer and never the key.
func TestKongFindsCredentialHeldByAnotherConsumer(t *testing.T) {
	f := &fakeKong{held: map[string]string{
		"/key-auths/s3cr3t-key-value": `{"id":"k-bob","key":"s3cr3t-key-value","consumer":{"id":"c-bob"}}`,
		"/consumers/c-bob":            `{"id":"c-bob","username":"bob"}`,
	}}
	got, err := Kong(t.Context(), []*admin.Node{f.node(t)}, buildPlan(t, desired()), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("problems = %+v, want the key-auth's collision alone", got)
	}
	p := got[0]
	if p.Object != "Secret default/alice-key" || p.Field != "data.key" || p.Check != CheckCredential ||
		!strings.Contains(p.Problem, `consumer "bob"`) {
		t.Errorf("problem = %+v", p)
	}
	if strings.Contains(p.Problem+p.Entity, "s3cr3t") {
		t.Errorf("problem shows the key: %+v", p)
	}
}

func TestKongFailsWhenNoNodeAnswers(t *testing.T) {
	n := (&fakeKong{}).node(t)
	c, _ := kong.NewClient(kong.String("http://127.0.0.1:1"), nil)
	n.Client, n.URL = c, "http://127.0.0.1:1"
	if _, err := Kong(t.Context(), []*admin.Node{n}, buildPlan(t, desired()), 0); err == nil {
		t.Fatal("no error from an unreachable Kong: the checks cannot have run")
	}
}

func TestTranslationAndPlanned(t *testing.T) {
	diags := translate.Diagnostics{
		{Severity: translate.SeverityError, Kind: "Ingress", Namespace: "default", Name: "web", Field: "spec.rules[0].http.paths[0].path", Reason: "invalid regex"},
		{Severity: translate.SeverityWarning, Kind: "Ingress", Namespace: "default", Name: "web", Reason: "only a warning"},
	}
	got := Translation(diags)
	if len(got) != 1 || got[0].Object != "Ingress default/web" || got[0].Field != "spec.rules[0].http.paths[0].path" {
		t.Errorf("Translation = %+v", got)
	}
	p := buildPlan(t, desired())
	for _, op := range p.Ops {
		if op.Kind == plan.KindConsumer {
			op.Conflict = `existing consumer "alice" (id x, no tags), not owned by this sync: left alone`
		}
	}
	got = Planned(p, nil)
	if len(got) != 1 || got[0].Object != "KongConsumer default/alice" || got[0].Check != CheckConflict || got[0].Field == "" {
		t.Errorf("Planned = %+v", got)
	}
}

// TestBeforeWriteLeavesTargetsOut: a sync's preflight sends no validation request for a target
// (one per endpoint, validated by the API server already) and keeps every other op, the very
// ops of the plan, so that what it finds marks them.
func TestBeforeWriteLeavesTargetsOut(t *testing.T) {
	d := desired()
	d.Upstreams = []*kongstate.Upstream{{Upstream: kong.Upstream{ID: kong.String("u1"), Name: kong.String("echo.default.80.svc"),
		Tags: tags("Service", "default", "echo")},
		Targets: []*kong.Target{{Target: kong.String("10.0.0.1:80")}, {Target: kong.String("10.0.0.2:80")}}}}
	p := buildPlan(t, d)
	got := BeforeWrite(p)
	var targets int
	for _, op := range p.Ops {
		if op.Kind == plan.KindTarget {
			targets++
		}
	}
	if targets != 2 || len(got.Ops) != len(p.Ops)-targets {
		t.Fatalf("plan of %d ops with %d targets; checked %d ops", len(p.Ops), targets, len(got.Ops))
	}
	for _, op := range got.Ops {
		if op.Kind == plan.KindTarget || p.Ops[op.Index] != op {
			t.Errorf("checked %s %s (index %d): want every op but the targets, as the plan holds them", op.Kind, op.Name, op.Index)
		}
	}
}
