package conformance

import (
	"context"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

// TestTwoNodesShareOneDatabase runs two traditional nodes on one database. The nodes keep no
// cache yet, so reading through one node what the other wrote proves little; what other Kong
// nodes rely on is the cluster_events rows: every write must insert them stamped with the id of
// the node that made it, so a node can skip its own events and apply the others'.
func TestTwoNodesShareOneDatabase(t *testing.T) {
	db := pgtest.NewDatabase(t)
	a := startEmulator(t, db)
	b := startEmulator(t, db)
	rootA := call(t, a, "GET", "/", "", "")
	rootB := call(t, b, "GET", "/", "", "")
	nodeA, nodeB := rootA.Body["node_id"], rootB.Body["node_id"]
	if nodeA == nil || nodeA == nodeB {
		t.Fatalf("node ids: A %v, B %v; want two different ids", nodeA, nodeB)
	}

	created := call(t, a, "POST", "/services", "", `{"name":"shared","host":"example.com"}`)
	if created.Status != http.StatusCreated {
		t.Fatalf("create through node A: %d %s", created.Status, created.Raw)
	}
	id := created.Body["id"]
	got := call(t, b, "GET", "/services/shared", "", "")
	if got.Status != http.StatusOK || got.Body["id"] != id {
		t.Fatalf("read through node B: %d %s", got.Status, got.Raw)
	}
	updated := call(t, b, "PATCH", "/services/shared", "", `{"host":"example.org"}`)
	if updated.Status != http.StatusOK {
		t.Fatalf("update through node B: %d %s", updated.Status, updated.Raw)
	}

	conn, err := pgx.Connect(t.Context(), db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	count := func(node any, data string) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM cluster_events WHERE node_id = $1::uuid
			AND channel = 'invalidations_kong_core_db_cache' AND data LIKE $2`, node, data).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	serviceKey := "services:" + id.(string) + ":%"
	for _, c := range []struct {
		what string
		node any
		data string
		want int
	}{
		{"node A's invalidation of the service it created", nodeA, serviceKey, 1},
		{"node B's invalidation of the service it updated", nodeB, serviceKey, 1},
		{"node B's router rebuild for the updated service", nodeB, "router:version", 1},
		{"node A's router rebuilds (creating a service needs none)", nodeA, "router:version", 0},
	} {
		if got := count(c.node, c.data); got != c.want {
			t.Errorf("%s: %d cluster_events rows, want %d", c.what, got, c.want)
		}
	}
}
