package sync_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

// TestDatabaseDownMidSync: PostgreSQL stops after the sync's first entity write. The sync
// says the database is the reason, uses no success wording, exits 1; once PostgreSQL is back
// the next sync converges (a second diff is empty). On the old main the failure was reported
// under a "synced … into …" header with exit 2 and no error line.
func TestDatabaseDownMidSync(t *testing.T) {
	srv, err := pgtest.Start(t.Context(), "")
	if err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	db := srv.NewDatabase(t)
	n := startNode(t, db)
	var once sync.Once
	paused := false
	front := interpose(t, n.URL, func(r *http.Request) {
		if r.Method != http.MethodGet && !isSchemaCheck(r) && !isLockWrite(r) && !paused {
			// Let this first entity write through, stop the database for the ones after it.
			once.Do(func() {
				go func() {
					if err := srv.Pause(t.Context()); err != nil {
						t.Errorf("pause postgres: %v", err)
					}
				}()
			})
		}
	})
	cache := t.TempDir()
	in := manifests(t, "one", "two", "three")
	sync := func(verb string, args ...string) result {
		return run(t, append([]string{verb, "--kong-admin-url", front, "--schema-cache-dir", cache, "-f", in}, args...)...)
	}
	r := sync("sync")
	paused = true
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "cannot reach its database") || strings.Contains(r.stdout, "synced ") {
		t.Fatalf("the database is not named as the reason, or success is claimed:\n%s\n%s", r.stdout, r.stderr)
	}
	if err := srv.Resume(t.Context()); err != nil {
		t.Fatalf("resume postgres: %v", err)
	}
	// The stopped sync could not release its lock in Kong (the database was down): the next
	// one waits until that lock's lease runs out, then takes it.
	if r := sync("sync", "--lock-timeout", "2m"); r.code != 0 {
		t.Fatalf("sync after the database is back: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if d := sync("diff"); d.code != 0 {
		t.Fatalf("diff after the converging sync: exit %d\n%s", d.code, d.stdout)
	}
}
