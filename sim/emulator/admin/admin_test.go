package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newTestServer bootstraps a fresh database and serves the Admin API on it
// in-process.
func newTestServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	srv, _ := newTestServerDB(tb)
	return srv
}

// newTestServerDB is newTestServer that also returns the database.
func newTestServerDB(tb testing.TB) (*httptest.Server, pgtest.Database) {
	tb.Helper()
	return newTestServerSchemas(tb, nil)
}

// newTestServerSchemas is newTestServerDB for a node with the given entity
// schemas (nil = Kong's default router flavor).
func newTestServerSchemas(tb testing.TB, schemas *schema.Schemas) (*httptest.Server, pgtest.Database) {
	tb.Helper()
	db := pgtest.NewDatabase(tb)
	opts := store.Options{Host: db.Host, Port: db.Port, User: db.User, Database: db.Name, Schemas: schemas}
	ctx := context.Background()
	pool, err := store.Pool(ctx, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := store.Bootstrap(ctx, pool, func(string, ...any) {}); err != nil {
		tb.Fatal(err)
	}
	st, err := store.New(ctx, pool, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(st.Close)
	srv := httptest.NewServer(New(st, nil, "node", "host", slog.New(slog.NewTextHandler(io.Discard, nil))))
	tb.Cleanup(srv.Close)
	return srv, db
}

func do(tb testing.TB, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			tb.Fatalf("%s %s: %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, m
}

func BenchmarkListRoutesPage(b *testing.B) {
	srv := newTestServer(b)
	if code, _ := do(b, srv, "POST", "/services", `{"name":"s","host":"example.com"}`); code != 201 {
		b.Fatal(code)
	}
	for i := range 1000 {
		if code, body := do(b, srv, "POST", "/services/s/routes", fmt.Sprintf(`{"paths":["/p%d"]}`, i)); code != 201 {
			b.Fatal(code, body)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if code, _ := do(b, srv, "GET", "/routes?size=1000", ""); code != 200 {
			b.Fatal(code)
		}
	}
}

func BenchmarkCreateService(b *testing.B) {
	srv := newTestServer(b)
	i := 0
	for b.Loop() {
		i++
		if code, body := do(b, srv, "POST", "/services", fmt.Sprintf(`{"name":"s%d","host":"example.com"}`, i)); code != 201 {
			b.Fatal(code, body)
		}
	}
}

// BenchmarkServeRoutesPage measures the server side of GET /routes?size=1000
// alone (no client decoding).
func BenchmarkServeRoutesPage(b *testing.B) {
	srv := newTestServer(b)
	if code, _ := do(b, srv, "POST", "/services", `{"name":"s","host":"example.com"}`); code != 201 {
		b.Fatal(code)
	}
	for i := range 1000 {
		if code, body := do(b, srv, "POST", "/services/s/routes", fmt.Sprintf(`{"paths":["/p%d"]}`, i)); code != 201 {
			b.Fatal(code, body)
		}
	}
	h := srv.Config.Handler
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/routes?size=1000", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
