package admin

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func mustStatus(tb testing.TB, want, got int, body map[string]any) {
	tb.Helper()
	if got != want {
		tb.Fatalf("status %d, want %d; body %v", got, want, body)
	}
}

func TestPaginationFollowsOffsetsAndOmitsItOnLastPage(t *testing.T) {
	srv := newTestServer(t)
	for i := range 5 {
		code, body := do(t, srv, "POST", "/services", fmt.Sprintf(`{"name":"s%d","host":"example.com"}`, i))
		mustStatus(t, 201, code, body)
	}
	seen := map[string]bool{}
	path, pages, last := "/services?size=2", 0, ""
	for path != "" {
		code, body := do(t, srv, "GET", path, "")
		mustStatus(t, 200, code, body)
		pages++
		for _, d := range body["data"].([]any) {
			id := d.(map[string]any)["id"].(string)
			if id <= last {
				t.Fatalf("ids not ascending: %s after %s", id, last)
			}
			last = id
			seen[id] = true
		}
		next, _ := body["next"].(string)
		_, hasOffset := body["offset"]
		if (next == "") == hasOffset {
			t.Fatalf("next %q and offset presence %v disagree", next, hasOffset)
		}
		if next != "" && !strings.HasPrefix(next, "/services?offset=") {
			t.Fatalf("next %q", next)
		}
		path = next
	}
	if len(seen) != 5 || pages != 3 {
		t.Fatalf("saw %d services over %d pages; want 5 over 3", len(seen), pages)
	}
}

func TestTagFiltersMatchAllWithCommaAndAnyWithSlash(t *testing.T) {
	srv := newTestServer(t)
	for i, tags := range []string{`["a","b"]`, `["a"]`, `["b"]`, `null`} {
		code, body := do(t, srv, "POST", "/consumers", fmt.Sprintf(`{"username":"u%d","tags":%s}`, i, tags))
		mustStatus(t, 201, code, body)
	}
	tests := []struct {
		query  string
		status int
		count  int
	}{
		{"tags=a", 200, 2}, {"tags=a,b", 200, 1}, {"tags=a/b", 200, 3}, {"tags=zz", 200, 0},
		{"tags=a,b/c", 400, 0}, {"tags=a,b,c,d,e,f", 400, 0},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			code, body := do(t, srv, "GET", "/consumers?"+tc.query, "")
			mustStatus(t, tc.status, code, body)
			if code == 200 && len(body["data"].([]any)) != tc.count {
				t.Fatalf("got %d consumers, want %d", len(body["data"].([]any)), tc.count)
			}
			if code == 400 && body["code"] != 11.0 {
				t.Fatalf("want invalid options (code 11), got %v", body)
			}
		})
	}
}

func TestPutIsAFullReplacementAndKeepsTheIDOfANamedEntity(t *testing.T) {
	srv := newTestServer(t)
	const id = "0b9d1b0e-8c2a-4f5e-9d39-5b3a8e0f6a11"
	code, body := do(t, srv, "PUT", "/services/"+id, `{"name":"p","host":"a.com","retries":1}`)
	mustStatus(t, 200, code, body)
	if body["id"] != id || body["retries"] != 1.0 {
		t.Fatalf("first PUT: %v", body)
	}
	code, body = do(t, srv, "PUT", "/services/"+id, `{"name":"p","host":"b.com"}`)
	mustStatus(t, 200, code, body)
	if body["retries"] != 5.0 || body["host"] != "b.com" {
		t.Fatalf("second PUT did not reset retries to its default: %v", body)
	}
	code, body = do(t, srv, "PUT", "/services/p", `{"host":"c.com"}`)
	mustStatus(t, 200, code, body)
	if body["id"] != id || body["host"] != "c.com" {
		t.Fatalf("PUT by name replaced the id or missed the host: %v", body)
	}
}

func TestPatchMergesRecordsAndAnswers404ForMissing(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(t, srv, "POST", "/upstreams", `{"name":"up"}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "PATCH", "/upstreams/up", `{"healthchecks":{"active":{"timeout":5}}}`)
	mustStatus(t, 200, code, body)
	active := body["healthchecks"].(map[string]any)["active"].(map[string]any)
	if active["timeout"] != 5.0 || active["concurrency"] != 10.0 {
		t.Fatalf("PATCH did not merge the record: %v", active)
	}
	code, body = do(t, srv, "PATCH", "/upstreams/nope", `{"slots":20}`)
	mustStatus(t, 404, code, body)
	if body["code"] != 6.0 || body["message"] != `could not find the entity with '{name="nope"}'` {
		t.Fatalf("missing entity body: %v", body)
	}
}

func TestDeleteIsIdempotentAtTopLevelAndCascadesCredentials(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(t, srv, "DELETE", "/services/absent", "")
	mustStatus(t, 204, code, body)
	code, body = do(t, srv, "POST", "/consumers", `{"username":"c"}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "DELETE", "/consumers/c/key-auth/3f1a7c52-1d1b-4a55-9d3a-0d3b9b8e4c21", "")
	mustStatus(t, 404, code, body)
	code, body = do(t, srv, "POST", "/consumers/c/key-auth", `{"key":"k1"}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "POST", "/consumers/c/acls", `{"group":"g1"}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "GET", "/consumers/c/acls/g1", "")
	mustStatus(t, 200, code, body)
	code, body = do(t, srv, "DELETE", "/consumers/c", "")
	mustStatus(t, 204, code, body)
	for _, p := range []string{"/key-auths", "/acls"} {
		code, body = do(t, srv, "GET", p, "")
		mustStatus(t, 200, code, body)
		if n := len(body["data"].([]any)); n != 0 {
			t.Fatalf("%s holds %d rows after the consumer was deleted", p, n)
		}
	}
}

func TestWritesInsertKongsClusterEvents(t *testing.T) {
	srv, db := newTestServerDB(t)
	code, svc := do(t, srv, "POST", "/services", `{"name":"ev","host":"a.com"}`)
	mustStatus(t, 201, code, svc)
	code, body := do(t, srv, "POST", "/services/ev/routes", `{"paths":["/"]}`)
	mustStatus(t, 201, code, body)
	conn, err := pgx.Connect(context.Background(), db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var ws string
	if err := conn.QueryRow(context.Background(), `SELECT id::text FROM workspaces WHERE name='default'`).Scan(&ws); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(context.Background(), `SELECT channel, data FROM cluster_events ORDER BY at, data`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var c, d string
		err := r.Scan(&c, &d)
		return c + " " + d, err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"invalidations_kong_core_db_cache services:" + svc["id"].(string) + ":::::" + ws,
		"invalidations_kong_core_db_cache router:version",
		"invalidations_kong_core_db_cache routes:" + body["id"].(string) + ":::::" + ws,
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("missing cluster event %q in %v", w, got)
		}
	}
}

func TestTargetsAreNormalisedUniqueAndUpdatedOnlyByPut(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(t, srv, "POST", "/upstreams", `{"name":"up"}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "POST", "/upstreams/up/targets", `{"target":"10.0.0.1"}`)
	mustStatus(t, 201, code, body)
	if body["target"] != "10.0.0.1:8000" {
		t.Fatalf("target not normalised: %v", body["target"])
	}
	code, body = do(t, srv, "POST", "/upstreams/up/targets", `{"target":"10.0.0.1:8000"}`)
	mustStatus(t, 409, code, body)
	code, body = do(t, srv, "PUT", "/upstreams/up/targets/7a0f7c1e-5b6d-4c3e-8f3a-2e1d0c9b8a77", `{"weight":5}`)
	mustStatus(t, 404, code, body)
	code, body = do(t, srv, "PUT", "/upstreams/up/targets/10.0.0.1:8000", `{"weight":5}`)
	mustStatus(t, 200, code, body)
	if body["weight"] != 5.0 {
		t.Fatalf("PUT did not update the weight: %v", body)
	}
	code, body = do(t, srv, "POST", "/upstreams/up/targets", `{"target":"10.0.0.2:80"}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "GET", "/upstreams/up/targets", "")
	mustStatus(t, 200, code, body)
	var targets []string
	for _, d := range body["data"].([]any) {
		targets = append(targets, d.(map[string]any)["target"].(string))
	}
	if !reflect.DeepEqual(targets, []string{"10.0.0.2:80", "10.0.0.1:8000"}) {
		t.Fatalf("targets %v; want newest first", targets)
	}
	code, body = do(t, srv, "GET", "/targets", "")
	mustStatus(t, 404, code, body)
}

func TestProtocolDetailsMatchKong(t *testing.T) {
	srv := newTestServer(t)
	req, err := http.NewRequest(http.MethodOptions, srv.URL+"/services", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Allow") != "GET, POST, OPTIONS" {
		t.Fatalf("OPTIONS: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp, err = srv.Client().Get(srv.URL + "/services/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Server") != "kong/3.9.3" || resp.Header.Get("X-Kong-Admin-Latency") == "" {
		t.Fatalf("GET with trailing slash: %d Server=%q latency=%q", resp.StatusCode,
			resp.Header.Get("Server"), resp.Header.Get("X-Kong-Admin-Latency"))
	}
	code, body := do(t, srv, "GET", "/", "")
	mustStatus(t, 200, code, body)
	if body["version"] != "3.9.3" || body["configuration"].(map[string]any)["database"] != "postgres" {
		t.Fatalf("root: %v", body)
	}
	code, body = do(t, srv, "POST", "/consumers", `{"username":"ttl"}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "POST", "/consumers/ttl/key-auth", `{"key":"tk","ttl":100}`)
	mustStatus(t, 201, code, body)
	if ttl, _ := body["ttl"].(float64); ttl < 90 || ttl > 100 {
		t.Fatalf("ttl %v, want about 100", body["ttl"])
	}
	code, body = do(t, srv, "GET", "/consumers?custom_id=none", "")
	mustStatus(t, 200, code, body)
	if len(body["data"].([]any)) != 0 {
		t.Fatalf("custom_id filter: %v", body)
	}
}

func TestSchemaEndpoints(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		method, path, body string
		status             int
		message            string
	}{
		{"GET", "/schemas/services", "", 200, ""},
		{"GET", "/schemas/plugins/key-auth", "", 200, ""},
		{"GET", "/schemas/vaults/env", "", 200, ""},
		{"GET", "/schemas/nothing", "", 404, "No entity named 'nothing'"},
		{"GET", "/schemas/plugins/nothing", "", 404, "No plugin named 'nothing'"},
		{"POST", "/schemas/services/validate", `{"host":"a.com"}`, 200, "schema validation successful"},
		{"POST", "/schemas/services/validate", `{"port":1}`, 400, ""},
		{"POST", "/schemas/plugins/validate", `{"name":"key-auth"}`, 200, "schema validation successful"},
		{"GET", "/plugins/enabled", "", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			code, body := do(t, srv, tc.method, tc.path, tc.body)
			mustStatus(t, tc.status, code, body)
			if tc.message != "" && body["message"] != tc.message {
				t.Fatalf("message %v, want %q", body["message"], tc.message)
			}
		})
	}
	code, body := do(t, srv, "GET", "/services", "")
	mustStatus(t, 200, code, body)
	if n := len(body["data"].([]any)); n != 0 {
		t.Fatalf("validate stored %d services", n)
	}
}

func TestEveryColumnKindRoundTrips(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name, path, body string
		check            map[string]any
	}{
		{"jsonb[] sources and destinations", "/routes",
			`{"protocols":["tcp"],"sources":[{"ip":"10.0.0.0/8"}],"destinations":[{"port":80}]}`,
			map[string]any{"sources": []any{map[string]any{"ip": "10.0.0.0/8", "port": nil}},
				"destinations": []any{map[string]any{"ip": nil, "port": 80.0}}}},
		{"jsonb map headers", "/routes", `{"headers":{"x-a":["1","2"]}}`,
			map[string]any{"headers": map[string]any{"x-a": []any{"1", "2"}}}},
		{"vault config record", "/vaults", `{"name":"env","prefix":"my-env","config":{"prefix":"SECRET_"}}`,
			map[string]any{"config": map[string]any{"prefix": "SECRET_"}}},
		{"plugin config", "/plugins", `{"name":"rate-limiting","config":{"minute":5}}`,
			map[string]any{"enabled": true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, srv, "POST", tc.path, tc.body)
			mustStatus(t, 201, code, body)
			code, got := do(t, srv, "GET", tc.path+"/"+body["id"].(string), "")
			mustStatus(t, 200, code, got)
			if !reflect.DeepEqual(got, body) {
				t.Fatalf("read back differs:\n got %v\nwant %v", got, body)
			}
			for k, v := range tc.check {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
		})
	}
}

func TestTagsEndpointPagesOverEntityTagPairs(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(t, srv, "POST", "/services", `{"name":"a","host":"a.com","tags":["t1","t2","t3"]}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "POST", "/consumers", `{"username":"b","tags":["t1"]}`)
	mustStatus(t, 201, code, body)
	var pairs []string
	path := "/tags?size=2"
	for path != "" {
		code, body = do(t, srv, "GET", path, "")
		mustStatus(t, 200, code, body)
		if n := len(body["data"].([]any)); n > 2 {
			t.Fatalf("page of %d rows with size=2", n)
		}
		for _, d := range body["data"].([]any) {
			m := d.(map[string]any)
			pairs = append(pairs, m["entity_name"].(string)+":"+m["tag"].(string))
		}
		path, _ = body["next"].(string)
	}
	if len(pairs) != 4 {
		t.Fatalf("pairs %v; want 4 (entity, tag) rows", pairs)
	}
	code, body = do(t, srv, "GET", "/tags/t1", "")
	mustStatus(t, 200, code, body)
	if n := len(body["data"].([]any)); n != 2 {
		t.Fatalf("/tags/t1 returned %d entities, want 2", n)
	}
}

func TestACLGroupsAreUpsertedPerConsumer(t *testing.T) {
	srv := newTestServer(t)
	for _, c := range []string{"c1", "c2"} {
		code, body := do(t, srv, "POST", "/consumers", `{"username":"`+c+`"}`)
		mustStatus(t, 201, code, body)
	}
	code, first := do(t, srv, "PUT", "/consumers/c1/acls/admins", `{"tags":["a"]}`)
	mustStatus(t, 200, code, first)
	code, second := do(t, srv, "PUT", "/consumers/c1/acls/admins", `{"tags":["b"]}`)
	mustStatus(t, 200, code, second)
	if second["id"] != first["id"] || !reflect.DeepEqual(second["tags"], []any{"b"}) {
		t.Fatalf("second PUT did not replace the group in place: %v then %v", first, second)
	}
	code, other := do(t, srv, "PUT", "/consumers/c2/acls/admins", `{}`)
	mustStatus(t, 200, code, other)
	if other["id"] == first["id"] {
		t.Fatal("another consumer's group replaced c1's")
	}
	code, body := do(t, srv, "POST", "/consumers/c1/acls", `{"group":"admins"}`)
	mustStatus(t, 409, code, body)
}

func TestPatchKeepsTheTTLOfAKeyAuthCredential(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(t, srv, "POST", "/consumers", `{"username":"p"}`)
	mustStatus(t, 201, code, body)
	code, cred := do(t, srv, "POST", "/consumers/p/key-auth", `{"key":"pk","ttl":1000}`)
	mustStatus(t, 201, code, cred)
	code, body = do(t, srv, "PATCH", "/consumers/p/key-auth/"+cred["id"].(string), `{"tags":["x"]}`)
	mustStatus(t, 200, code, body)
	if ttl, _ := body["ttl"].(float64); ttl < 990 || !reflect.DeepEqual(body["tags"], []any{"x"}) {
		t.Fatalf("after PATCH: %v", body)
	}
	code, body = do(t, srv, "PATCH", "/key-auths/pk", `{"ttl":50}`)
	mustStatus(t, 200, code, body)
	if ttl, _ := body["ttl"].(float64); ttl > 50 || ttl < 40 {
		t.Fatalf("ttl after PATCH with ttl 50: %v", body["ttl"])
	}
}

func TestBadTTLIsAnInvalidOption(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(t, srv, "POST", "/consumers", `{"username":"t"}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "POST", "/consumers/t/key-auth", `{"key":"k","ttl":-1}`)
	mustStatus(t, 400, code, body)
	if body["code"] != 11.0 || body["options"] == nil {
		t.Fatalf("bad ttl: %v", body)
	}
	code, body = do(t, srv, "POST", "/consumers", `{"username":"u","ttl":5}`)
	mustStatus(t, 400, code, body)
	if body["code"] != 2.0 {
		t.Fatalf("ttl on a consumer: %v; want a schema violation (unknown field)", body)
	}
}

func TestFormBodiesTypePluginConfig(t *testing.T) {
	srv := newTestServer(t)
	code, body := send(t, srv.URL+"/plugins", "application/x-www-form-urlencoded",
		strings.NewReader("name=rate-limiting&config.minute=10&config.hide_client_headers=true"))
	mustStatus(t, 201, code, body)
	cfg := body["config"].(map[string]any)
	if cfg["minute"] != 10.0 || cfg["hide_client_headers"] != true {
		t.Fatalf("form-typed plugin config: %v", cfg)
	}
}
