package sync_test

import (
	"strings"
	"testing"
)

const echo = "../../examples/echo.yaml"

// TestSyncManifestsThenResyncWritesNothing: a first sync creates everything, a second one
// sends no write at all, and diff agrees (exit 0).
func TestSyncManifestsThenResyncWritesNothing(t *testing.T) {
	f := newFixture(t)
	r := f.cmd(t, "sync", "-f", echo)
	if r.code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	created := f.kong.reset()
	if len(created) == 0 {
		t.Fatal("first sync wrote nothing")
	}
	for _, path := range []string{"/services", "/routes", "/upstreams", "/plugins", "/consumers", "/key-auths"} {
		if len(f.list(t, path)) == 0 {
			t.Errorf("%s is empty after the sync", path)
		}
	}
	r = f.cmd(t, "sync", "-f", echo)
	if r.code != 0 || f.kong.writes.Load() != 0 {
		t.Fatalf("re-sync: exit %d, writes %v\n%s\n%s", r.code, f.kong.reset(), r.stdout, r.stderr)
	}
	r = f.cmd(t, "diff", "-f", echo)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("diff after sync: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
