package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/internal/gencluster"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// schemaServer serves GET /schemas/<entity> and /schemas/plugins/<name> with the bodies the
// emulator's Admin API sends (the same schema package renders them), so filling reads the
// schemas of Kong 3.9 over a real socket without a database behind them.
func schemaServer(t testing.TB) *kong.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/schemas/")
		var body map[string]any
		ok := false
		if plugin, isPlugin := strings.CutPrefix(name, "plugins/"); isPlugin {
			body, ok = schema.PluginJSON(plugin)
		} else if e, found := schema.Get(name); found && !e.Internal {
			body, ok = e.JSON(), true
		}
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Not found"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	c, err := kong.NewClient(kong.String(srv.URL), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// oracleFill is FillDefaults as it was before the per-schema templates: go-kong's
// FillEntityDefaults and FillPluginsDefaults on every entity against the fetched schema, and
// the top-level defaults worked out again for every entity.
func oracleFill(ctx context.Context, s *Schemas, c *kong.Client, version string, st *kongstate.State) error {
	return fillers{
		entity: func(kind string, e any) error {
			sc, err := s.get(ctx, c, version, kind)
			if err != nil || sc == nil {
				return err
			}
			return kong.FillEntityDefaults(e, sc)
		},
		plugin: func(p *kong.Plugin) error {
			sc, err := s.get(ctx, c, version, "plugins/"+*p.Name)
			if err != nil || sc == nil {
				return err
			}
			return kong.FillPluginsDefaults(p, sc)
		},
		top: func(name string) (map[string]any, error) {
			sc, err := s.get(ctx, c, version, name)
			return topDefaults(sc), err
		},
	}.walk(st)
}

// variedState is a state whose entities leave some fields unset and set others, zero values
// (false, 0, empty lists) included, on every level a schema nests: healthcheck records, plugin
// config records, arrays and sets of scalars and of records, and credentials.
func variedState() *kongstate.State {
	s := kong.String
	plugin := func(name string, config kong.Configuration) *kong.Plugin {
		return &kong.Plugin{Name: s(name), Config: config}
	}
	return &kongstate.State{
		Services: []*kongstate.Service{
			{
				Service: kong.Service{Name: s("bare"), Host: s("bare.svc")},
				Routes: []*kongstate.Route{
					{Route: kong.Route{Name: s("bare"), Paths: kong.StringSlice("/")}},
					{
						Route: kong.Route{
							Name: s("set"), Hosts: kong.StringSlice("a.example"), StripPath: kong.Bool(false),
							PreserveHost: kong.Bool(true), RegexPriority: kong.Int(0), Protocols: kong.StringSlice("https"),
							Headers: map[string][]string{"x-a": {"1"}}, HTTPSRedirectStatusCode: kong.Int(302),
							PathHandling: s("v1"), Tags: []*string{},
						},
						Plugins: []*kong.Plugin{
							plugin("cors", kong.Configuration{"origins": []any{"*"}, "credentials": false}),
							plugin("request-transformer", kong.Configuration{
								"add": map[string]any{"headers": []any{"x-b:2"}}, "remove": map[string]any{},
							}),
						},
					},
				},
				Plugins: []*kong.Plugin{plugin("rate-limiting", kong.Configuration{"minute": 5, "policy": "local"})},
			},
			{
				Service: kong.Service{
					Name: s("set"), Host: s("set.svc"), Port: kong.Int(8443), Protocol: s("https"),
					Retries: kong.Int(0), ConnectTimeout: kong.Int(1), Enabled: kong.Bool(false),
					TLSVerify: kong.Bool(false), Path: s("/p"),
				},
				Plugins: []*kong.Plugin{
					plugin("proxy-cache", kong.Configuration{"strategy": "memory", "content_type": []any{"text/plain"}}),
					plugin("response-ratelimiting", kong.Configuration{"limits": map[string]any{"sms": map[string]any{"minute": 10}}}),
					plugin("acl", kong.Configuration{"allow": []any{"g"}}),
					plugin("no-such-plugin", kong.Configuration{"x": 1}),
				},
			},
		},
		Upstreams: []*kongstate.Upstream{
			{Upstream: kong.Upstream{Name: s("bare")}, Targets: []*kong.Target{{Target: s("10.0.0.1:80")}}},
			{
				Upstream: kong.Upstream{
					Name: s("set"), Algorithm: s("least-connections"), Slots: kong.Int(100),
					Healthchecks: &kong.Healthcheck{
						Active: &kong.ActiveHealthcheck{
							HTTPPath: s("/health"), Concurrency: kong.Int(0),
							Healthy:   &kong.Healthy{Interval: kong.Int(5), HTTPStatuses: []int{200}},
							Unhealthy: &kong.Unhealthy{TCPFailures: kong.Int(0)},
						},
						Passive: &kong.PassiveHealthcheck{Type: s("tcp")},
					},
				},
				Targets: []*kong.Target{{Target: s("10.0.0.2:80"), Weight: kong.Int(0)}, {Target: s("10.0.0.3:80"), Weight: kong.Int(7)}},
			},
		},
		Plugins: []*kong.Plugin{
			plugin("prometheus", nil),
			plugin("ip-restriction", kong.Configuration{"deny": []any{"10.0.0.0/8"}}),
			plugin("file-log", kong.Configuration{"path": "/tmp/log", "custom_fields_by_lua": map[string]any{"a": "return 1"}}),
			{Name: s("correlation-id"), Enabled: kong.Bool(false), Protocols: kong.StringSlice("grpc")},
		},
		Consumers: []*kongstate.Consumer{
			{
				Consumer:   kong.Consumer{Username: s("u1")},
				Plugins:    []*kong.Plugin{plugin("rate-limiting", kong.Configuration{"hour": 100})},
				KeyAuths:   []*kong.KeyAuth{{Key: s("k1")}},
				BasicAuths: []*kong.BasicAuth{{Username: s("b"), Password: s("p")}},
				HMACAuths:  []*kong.HMACAuth{{Username: s("h"), Secret: s("x")}},
				JWTAuths:   []*kong.JWTAuth{{Key: s("iss")}, {Key: s("iss2"), Algorithm: s("RS256")}},
				ACLGroups:  []*kong.ACLGroup{{Group: s("g")}},
				Oauth2Creds: []*kong.Oauth2Credential{
					{Name: s("app"), ClientID: s("id"), RedirectURIs: kong.StringSlice("https://a.example/cb")},
					{Name: s("app2"), ClientType: s("public"), HashSecret: kong.Bool(true)},
				},
			},
			{Consumer: kong.Consumer{CustomID: s("c2"), Tags: kong.StringSlice("t")}},
		},
	}
}

func benchmarkClusterState(t testing.TB, scale float64) *kongstate.State {
	t.Helper()
	var manifest bytes.Buffer
	if err := gencluster.Default().Scaled(scale).WriteYAML(&manifest); err != nil {
		t.Fatal(err)
	}
	snap, err := source.ReadManifests(context.Background(), source.ManifestInput{Filenames: []string{"-"}, Stdin: &manifest}, source.Options{})
	if err != nil {
		t.Fatalf("read generated manifest: %v", err)
	}
	state, diags := translate.Translate(snap, translate.DefaultOptions())
	if diags.HasErrors() {
		t.Fatalf("translate generated cluster: %v", diags.Errors())
	}
	return state
}

// TestFillDefaultsMatchesGoKongPerEntity fills the same states with FillDefaults and with
// go-kong's per-entity functions and requires identical entities: deeply equal Go values (so
// nil and empty lists count as different) and identical JSON.
func TestFillDefaultsMatchesGoKongPerEntity(t *testing.T) {
	c := schemaServer(t)
	for _, tc := range []struct {
		name  string
		state func() *kongstate.State
	}{
		{"varied", variedState},
		{"generated", func() *kongstate.State { return benchmarkClusterState(t, 0.02) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := tc.state(), tc.state()
			if err := (&Schemas{}).FillDefaults(t.Context(), c, "3.9.1", got); err != nil {
				t.Fatalf("FillDefaults: %v", err)
			}
			if err := oracleFill(t.Context(), &Schemas{}, c, "3.9.1", want); err != nil {
				t.Fatalf("go-kong fill: %v", err)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want)
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Errorf("filled state differs from go-kong's:\ngot  %s\nwant %s", gotJSON, wantJSON)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("filled state is not deeply equal to go-kong's (nil and empty values differ)")
			}
			unfilled, _ := json.Marshal(tc.state())
			if bytes.Equal(gotJSON, unfilled) {
				t.Errorf("FillDefaults filled nothing")
			}
		})
	}
}

// TestFillDefaultsGivesEachEntityItsOwnDefaults checks that entities filled from one template
// share no memory: changing one filled route must leave the next alone.
func TestFillDefaultsGivesEachEntityItsOwnDefaults(t *testing.T) {
	st := &kongstate.State{Services: []*kongstate.Service{{
		Service: kong.Service{Name: kong.String("s"), Host: kong.String("h")},
		Routes:  []*kongstate.Route{{Route: kong.Route{Name: kong.String("a")}}, {Route: kong.Route{Name: kong.String("b")}}},
	}}}
	if err := (&Schemas{}).FillDefaults(t.Context(), schemaServer(t), "3.9.1", st); err != nil {
		t.Fatal(err)
	}
	a, b := &st.Services[0].Routes[0].Route, &st.Services[0].Routes[1].Route
	if a.StripPath == nil || a.Protocols == nil || b.StripPath == nil {
		t.Fatalf("routes were not filled: %+v %+v", a, b)
	}
	*a.StripPath = !*a.StripPath
	*a.Protocols[0] = "changed"
	if *b.StripPath == *a.StripPath || *b.Protocols[0] == "changed" {
		t.Errorf("filled routes share their default values")
	}
}

// BenchmarkFillDefaults fills the translated benchmark cluster scaled to about 10,000 entities
// (schemas are cached after the first iteration, as in a long-running status or sync).
func BenchmarkFillDefaults(b *testing.B) {
	c := schemaServer(b)
	src := benchmarkClusterState(b, 0.37)
	n := src.Count()
	b.Logf("%d entities", n.Services+n.Routes+n.Upstreams+n.Targets+n.Plugins+n.Consumers+n.Credentials)
	raw, err := json.Marshal(src)
	if err != nil {
		b.Fatal(err)
	}
	s := &Schemas{}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		var st kongstate.State
		if err := json.Unmarshal(raw, &st); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.FillDefaults(b.Context(), c, "3.9.1", &st); err != nil {
			b.Fatal(err)
		}
	}
}
