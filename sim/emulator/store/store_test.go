package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newStore(tb testing.TB) *Store {
	tb.Helper()
	db := pgtest.NewDatabase(tb)
	opts := Options{Host: db.Host, Port: db.Port, User: db.User, Database: db.Name, NodeID: uuid.NewString()}
	ctx := context.Background()
	pool, err := Pool(ctx, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := Bootstrap(ctx, pool, func(string, ...any) {}); err != nil {
		tb.Fatal(err)
	}
	s, err := New(ctx, pool, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

func entity(tb testing.TB, name string) *schema.Entity {
	tb.Helper()
	e, ok := schema.Get(name)
	if !ok {
		tb.Fatalf("no schema %q", name)
	}
	return e
}

func insert(tb testing.TB, s *Store, name string, in map[string]any) map[string]any {
	tb.Helper()
	e := entity(tb, name)
	ent, err := e.Process(in, schema.Insert, time.Now())
	if err != nil {
		tb.Fatalf("process %s: %v", name, err)
	}
	out, err := s.Insert(context.Background(), e, ent, WriteOptions{})
	if err != nil {
		tb.Fatalf("insert %s: %v", name, err)
	}
	return out
}

func TestNewRefusesADatabaseThatNeedsBootstrap(t *testing.T) {
	db := pgtest.NewDatabase(t)
	_, err := Open(context.Background(), Options{Host: db.Host, Port: db.Port, User: db.User, Database: db.Name})
	if err == nil {
		t.Fatal("Open succeeded on an empty database")
	}
}

func TestStoredRowReadsBackAsProcessed(t *testing.T) {
	s := newStore(t)
	e := entity(t, "routes")
	svc := insert(t, s, "services", map[string]any{"name": "s", "host": "example.com"})
	ent, err := e.Process(map[string]any{"name": "r", "paths": []any{"/a"}, "headers": map[string]any{"x": []any{"1"}},
		"service": map[string]any{"id": svc["id"]}}, schema.Insert, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Insert(context.Background(), e, ent, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range ent {
		if fmt.Sprint(out[k]) != fmt.Sprint(want) {
			t.Errorf("%s: stored %v, processed %v", k, out[k], want)
		}
	}
	got, err := s.GetBy(context.Background(), e, "name", "r")
	if err != nil {
		t.Fatal(err)
	}
	if got["id"] != ent["id"] {
		t.Fatalf("GetBy name returned %v", got["id"])
	}
}

func TestUniqueAndForeignKeyErrorsAreKongs(t *testing.T) {
	s := newStore(t)
	insert(t, s, "services", map[string]any{"name": "dup", "host": "example.com"})
	e := entity(t, "services")
	ent, err := e.Process(map[string]any{"name": "dup", "host": "example.com"}, schema.Insert, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Insert(context.Background(), e, ent, WriteOptions{})
	de, ok := err.(*Error)
	if !ok || de.Code != CodeUnique || de.Message != `UNIQUE violation detected on '{name="dup"}'` {
		t.Fatalf("duplicate name: %v", err)
	}
	r := entity(t, "routes")
	missing := uuid.NewString()
	ent, err = r.Process(map[string]any{"paths": []any{"/"}, "service": map[string]any{"id": missing}}, schema.Insert, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Insert(context.Background(), r, ent, WriteOptions{})
	de, ok = err.(*Error)
	if !ok || de.Code != CodeForeignKey || de.Fields["service"].(map[string]any)["id"] != missing {
		t.Fatalf("dangling service: %v", err)
	}
}

func TestOffsetTokensAreKongsAndRejectGarbage(t *testing.T) {
	id := "c3d3b2a1-0000-4000-8000-000000000001"
	tok := encodeOffset(id)
	back, err := decodeOffset(tok)
	if err != nil || back != id {
		t.Fatalf("round trip: %q %v", back, err)
	}
	for _, bad := range []string{"!!", "bm90IGpzb24", "WyJ4Il0"} {
		if _, err := decodeOffset(bad); err == nil {
			t.Errorf("offset %q accepted", bad)
		}
	}
}

func BenchmarkPage1000Routes(b *testing.B) {
	s := newStore(b)
	svc := insert(b, s, "services", map[string]any{"name": "s", "host": "example.com"})
	for i := range 1000 {
		insert(b, s, "routes", map[string]any{"paths": []any{fmt.Sprintf("/p%d", i)}, "service": map[string]any{"id": svc["id"]}})
	}
	e := entity(b, "routes")
	for b.Loop() {
		rows, _, err := s.Page(context.Background(), e, PageOptions{Size: 1000})
		if err != nil || len(rows) != 1000 {
			b.Fatal(len(rows), err)
		}
	}
}

func BenchmarkInsertService(b *testing.B) {
	s := newStore(b)
	e := entity(b, "services")
	i := 0
	for b.Loop() {
		i++
		ent, err := e.Process(map[string]any{"name": fmt.Sprintf("s%d", i), "host": "example.com"}, schema.Insert, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Insert(context.Background(), e, ent, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpsertService(b *testing.B) {
	s := newStore(b)
	e := entity(b, "services")
	i := 0
	for b.Loop() {
		i++
		ent, err := e.Process(map[string]any{"id": uuid.NewString(), "name": fmt.Sprintf("s%d", i), "host": "example.com"}, schema.Upsert, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Upsert(context.Background(), e, ent, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPGSchemaPutsKongsTablesInThatSchema(t *testing.T) {
	db := pgtest.NewDatabase(t)
	ctx := context.Background()
	base := Options{Host: db.Host, Port: db.Port, User: db.User, Database: db.Name}
	admin, err := Pool(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, `CREATE SCHEMA kong`); err != nil {
		t.Fatal(err)
	}
	opts := base
	opts.Schema = "kong"
	pool, err := Pool(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := Bootstrap(ctx, pool, func(string, ...any) {}); err != nil {
		t.Fatalf("bootstrap in schema kong: %v", err)
	}
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'kong' AND table_name = 'services'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("services table not in schema kong")
	}
	s, err := New(ctx, pool, opts)
	if err != nil {
		t.Fatalf("open store in schema kong: %v", err)
	}
	insert(t, s, "services", map[string]any{"name": "in-kong", "host": "example.com"})
}
