package conformance

import (
	"context"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

// TestTwoNodesShareOneDatabase runs two traditional nodes on one database:
// the second bootstrap is a no-op, a write through one node is read through
// the other, and its cluster events carry the writing node's id.
func TestTwoNodesShareOneDatabase(t *testing.T) {
	db := pgtest.NewDatabase(t)
	a := startEmulator(t, db)
	b := startEmulator(t, db)
	r := call(t, a, "POST", "/services", "", `{"name":"shared","host":"example.com"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create through node A: %d %s", r.Status, r.Raw)
	}
	got := call(t, b, "GET", "/services/shared", "", "")
	if got.Status != http.StatusOK || got.Body["id"] != r.Body["id"] {
		t.Fatalf("read through node B: %d %s", got.Status, got.Raw)
	}
	rootA := call(t, a, "GET", "/", "", "")
	rootB := call(t, b, "GET", "/", "", "")
	if rootA.Body["node_id"] == rootB.Body["node_id"] {
		t.Fatalf("both nodes report node_id %v", rootA.Body["node_id"])
	}
	conn, err := pgx.Connect(context.Background(), db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(context.Background(), `SELECT count(*) FROM cluster_events WHERE node_id = $1::uuid
		AND channel = 'invalidations_kong_core_db_cache' AND data LIKE 'services:' || $2 || ':%'`,
		rootA.Body["node_id"], r.Body["id"]).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d cluster events from node A for the service; want 1", n)
	}
}
