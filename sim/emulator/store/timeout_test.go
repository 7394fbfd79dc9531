package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

// TestTimeoutBoundsEachStatement checks Options.Timeout is a per-statement timeout, as Kong's
// pg_timeout bounds each query: a statement that runs longer is cancelled by PostgreSQL.
func TestTimeoutBoundsEachStatement(t *testing.T) {
	db := pgtest.NewDatabase(t)
	opts := Options{Host: db.Host, Port: db.Port, User: db.User, Database: db.Name, Timeout: 300 * time.Millisecond}
	pool, err := Pool(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// pg_sleep(30) would outlive the test's patience by far; the timeout must end it.
	_, err = pool.Exec(t.Context(), `SELECT pg_sleep(30)`)
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("a statement longer than the timeout: err = %v, want PostgreSQL's statement timeout", err)
	}
}

// TestLockTimeoutBoundsTheWaitForAnotherNodesMigrations holds the migration lock as another
// node running migrations would, and checks Up gives up after LockTimeout with the reason
// instead of waiting for ever.
func TestLockTimeoutBoundsTheWaitForAnotherNodesMigrations(t *testing.T) {
	db := pgtest.NewDatabase(t)
	base := Options{Host: db.Host, Port: db.Port, User: db.User, Database: db.Name}
	holder, err := Pool(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	conn, err := holder.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock) }()

	waiting := base
	waiting.LockTimeout = 300 * time.Millisecond
	pool, err := Pool(t.Context(), waiting)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	err = Up(t.Context(), pool, func(string, ...any) {})
	if err == nil || !strings.Contains(err.Error(), "lock timeout") {
		t.Fatalf("Up while another node holds the migration lock: err = %v, want PostgreSQL's lock timeout", err)
	}
}
