package conformance

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

const writers = 32

// race runs fn from writers goroutines at once and returns the statuses.
func race(t *testing.T, fn func(i int) response) map[int]int {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([]response, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	statuses := map[int]int{}
	for _, r := range results {
		statuses[r.Status]++
	}
	return statuses
}

func TestConcurrentWritersKeepUniquenessAndForeignKeys(t *testing.T) {
	db := pgtest.NewDatabase(t)
	e := startEmulator(t, db)

	t.Run("same service name created by 32 writers: one 201, the rest 409", func(t *testing.T) {
		got := race(t, func(int) response {
			return call(t, e, "POST", "/services", "", `{"name":"racer","host":"example.com"}`)
		})
		if got[http.StatusCreated] != 1 || got[http.StatusConflict] != writers-1 {
			t.Fatalf("statuses %v; want 1×201 and %d×409", got, writers-1)
		}
		if n := count(t, e, "/services?tags=never"); n != 0 {
			t.Fatalf("tag filter returned %d services", n)
		}
	})

	t.Run("same key-auth key created by 32 writers: one 201, the rest 409", func(t *testing.T) {
		if r := call(t, e, "POST", "/consumers", "", `{"username":"kc"}`); r.Status != http.StatusCreated {
			t.Fatalf("create consumer: %d %s", r.Status, r.Raw)
		}
		got := race(t, func(int) response {
			return call(t, e, "POST", "/consumers/kc/key-auth", "", `{"key":"shared-key"}`)
		})
		if got[http.StatusCreated] != 1 || got[http.StatusConflict] != writers-1 {
			t.Fatalf("statuses %v; want 1×201 and %d×409", got, writers-1)
		}
	})

	t.Run("PUT by name from 32 writers converges on one row", func(t *testing.T) {
		got := race(t, func(i int) response {
			return call(t, e, "PUT", "/upstreams/up-race", "", fmt.Sprintf(`{"slots":%d}`, 100+i))
		})
		if got[http.StatusOK] != writers {
			t.Fatalf("statuses %v; want %d×200", got, writers)
		}
		if n := count(t, e, "/upstreams"); n != 1 {
			t.Fatalf("%d upstreams after racing PUTs; want 1", n)
		}
	})

	t.Run("routes created while their service is deleted never dangle", func(t *testing.T) {
		r := call(t, e, "POST", "/services", "", `{"name":"doomed","host":"example.com"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create service: %d %s", r.Status, r.Raw)
		}
		svcID := r.Body["id"].(string)
		got := race(t, func(i int) response {
			var r response
			if i%4 == 0 {
				r = call(t, e, "DELETE", "/services/"+svcID, "", "")
			} else {
				r = call(t, e, "POST", "/routes", "", fmt.Sprintf(`{"paths":["/r%d"],"service":{"id":%q}}`, i, svcID))
			}
			// Both refusals are Kong's foreign key violation (code 4): a
			// route to a deleted service, or a service still referenced.
			if r.Status == http.StatusBadRequest && r.Body["code"] != float64(4) {
				t.Errorf("400 without code 4: %s", r.Raw)
			}
			return r
		})
		for status := range got {
			switch status {
			case http.StatusCreated, http.StatusNoContent, http.StatusBadRequest:
			default:
				t.Fatalf("unexpected status %d in %v", status, got)
			}
		}
		assertNoDanglingRoutes(t, db)
	})
}

func assertNoDanglingRoutes(t *testing.T, db pgtest.Database) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), db.DSN())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	var dangling int
	err = conn.QueryRow(context.Background(), `SELECT count(*) FROM routes r
		WHERE r.service_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM services s WHERE s.id = r.service_id)`).Scan(&dangling)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if dangling != 0 {
		t.Fatalf("%d routes reference a deleted service", dangling)
	}
}
