package conformance

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

func TestBadInputIsRefusedLikeKongAndWritesNothing(t *testing.T) {
	e := startEmulator(t, pgtest.NewDatabase(t))
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		status      int
		want        map[string]any // expected subset of the body
	}{
		{name: "malformed JSON", method: "POST", path: "/services", body: `{"name":`, status: 400,
			want: map[string]any{"message": "Cannot parse JSON body"}},
		{name: "JSON that is not an object", method: "POST", path: "/services", body: `[1,2]`, status: 400,
			want: map[string]any{"message": "Cannot parse JSON body"}},
		{name: "unknown field", method: "POST", path: "/services", body: `{"host":"a.com","colour":"red"}`, status: 400,
			want: map[string]any{"code": 2.0, "name": "schema violation", "fields": map[string]any{"colour": "unknown field"}}},
		{name: "wrong type", method: "POST", path: "/services", body: `{"host":"a.com","port":"eighty"}`, status: 400,
			want: map[string]any{"code": 2.0, "fields": map[string]any{"port": "expected an integer"}}},
		{name: "wrong type in a form body", method: "POST", path: "/services", contentType: "application/x-www-form-urlencoded",
			body: "host=a.com&retries=many", status: 400,
			want: map[string]any{"code": 2.0, "fields": map[string]any{"retries": "expected an integer"}}},
		{name: "missing required field", method: "POST", path: "/services", body: `{"name":"x"}`, status: 400,
			want: map[string]any{"code": 2.0, "fields": map[string]any{"host": "required field missing"}}},
		{name: "unknown plugin", method: "POST", path: "/plugins", body: `{"name":"no-such-plugin"}`, status: 400,
			want: map[string]any{"code": 2.0, "fields": map[string]any{
				"name": "plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property"}}},
		{name: "dangling foreign key", method: "POST", path: "/routes",
			body: `{"paths":["/x"],"service":{"id":"6c1f0d43-96a1-4a5c-8e3e-1b0e3c3b2a10"}}`, status: 400,
			want: map[string]any{"code": 4.0, "name": "foreign key violation",
				"message": `the foreign key '{id="6c1f0d43-96a1-4a5c-8e3e-1b0e3c3b2a10"}' does not reference an existing 'services' entity.`,
				"fields":  map[string]any{"service": map[string]any{"id": "6c1f0d43-96a1-4a5c-8e3e-1b0e3c3b2a10"}}}},
		{name: "unsupported content type", method: "POST", path: "/services", contentType: "text/plain",
			body: "host=a.com", status: 415},
		{name: "oversized body", method: "POST", path: "/services",
			body: `{"host":"a.com","tags":["` + strings.Repeat("x", 11<<20) + `"]}`, status: 413},
		{name: "unknown path", method: "GET", path: "/nothing-here", status: 404, want: map[string]any{"message": "Not found"}},
		{name: "enterprise collection", method: "GET", path: "/consumer_groups", status: 404},
		{name: "method not allowed", method: "DELETE", path: "/services", status: 405,
			want: map[string]any{"message": "Method not allowed"}},
		{name: "config endpoint in database mode", method: "POST", path: "/config", body: `{}`, status: 400,
			want: map[string]any{"message": "this endpoint is only available when Kong is configured to not use a database"}},
		{name: "bad size", method: "GET", path: "/services?size=0", status: 400,
			want: map[string]any{"code": 9.0, "message": "size must be an integer between 1 and 1000"}},
		{name: "bad offset", method: "GET", path: "/services?offset=%21%21", status: 400, want: map[string]any{"code": 7.0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, e, tc.method, tc.path, tc.contentType, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, tc.status, r.Raw)
			}
			for k, v := range tc.want {
				if !reflect.DeepEqual(r.Body[k], v) {
					t.Errorf("%s = %#v, want %#v (body %s)", k, r.Body[k], v, r.Raw)
				}
			}
		})
	}
	for _, path := range []string{"/services", "/routes", "/plugins"} {
		if n := count(t, e, path); n != 0 {
			t.Errorf("%s holds %d entities after refused writes; want 0", path, n)
		}
	}
}

func TestDatabaseOutageAnswers500AndRecovers(t *testing.T) {
	srv, err := pgtest.Start(context.Background(), "")
	if err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop postgres: %v", err)
		}
	})
	e := startEmulator(t, srv.NewDatabase(t))
	if r := call(t, e, "POST", "/services", "", `{"name":"before","host":"a.com"}`); r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	if err := srv.Pause(context.Background()); err != nil {
		t.Fatalf("pause: %v", err)
	}
	r := call(t, e, "GET", "/services", "", "")
	if r.Status != http.StatusInternalServerError || r.Body["message"] != "An unexpected error occurred" {
		t.Fatalf("with the database down: %d %s; want 500 Kong body", r.Status, r.Raw)
	}
	r = call(t, e, "POST", "/services", "", `{"name":"during","host":"a.com"}`)
	if r.Status != http.StatusInternalServerError {
		t.Fatalf("write with the database down: %d %s; want 500", r.Status, r.Raw)
	}
	if err := srv.Resume(context.Background()); err != nil {
		t.Fatalf("resume: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		r = call(t, e, "GET", "/services/before", "", "")
		if r.Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the database returned: %d %s", r.Status, r.Raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r := call(t, e, "POST", "/services", "", `{"name":"after","host":"a.com"}`); r.Status != http.StatusCreated {
		t.Fatalf("write after recovery: %d %s", r.Status, r.Raw)
	}
}
