package sync_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const echo = "../../examples"

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
	if r.code != 0 || f.kong.writes.Load() != 0 || f.kong.locks.Load() != 0 {
		t.Fatalf("re-sync: exit %d, writes %v\n%s\n%s", r.code, f.kong.reset(), r.stdout, r.stderr)
	}
	r = f.cmd(t, "diff", "-f", echo)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("diff after sync: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestSyncMarkerRecordsEachWritingSync: a sync that writes ends with the marker route, whose
// request-termination plugin answers the record of that sync; its generation counts the
// writing syncs (a no-op sync leaves it as it was).
func TestSyncMarkerRecordsEachWritingSync(t *testing.T) {
	f := newFixture(t)
	record := func() map[string]any {
		t.Helper()
		var page struct {
			Data []struct {
				Name   string         `json:"name"`
				Config map[string]any `json:"config"`
			} `json:"data"`
		}
		if code := f.get(t, "/plugins?tags=kongdb-sync-marker", &page); code != http.StatusOK || len(page.Data) != 1 {
			t.Fatalf("marker plugins: %d %+v", code, page.Data)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(page.Data[0].Config["body"].(string)), &rec); err != nil {
			t.Fatalf("marker body: %v", err)
		}
		return rec
	}
	r := mustSync(t, f, "-f", manifests(t, "m1"))
	rec := record()
	if rec["generation"] != 1.0 || rec["result"] != "succeeded" || rec["created"] != 5.0 || !strings.Contains(r.stdout, "sync marker: generation 1") {
		t.Fatalf("first record: %v\n%s", rec, r.stdout)
	}
	mustSync(t, f, "-f", manifests(t, "m1"))
	if g := record()["generation"]; g != 1.0 {
		t.Fatalf("a no-op sync moved the generation to %v", g)
	}
	mustSync(t, f, "-f", manifests(t, "m1", "m2"))
	if rec := record(); rec["generation"] != 2.0 || rec["created"] != 5.0 {
		t.Fatalf("second record: %v", rec)
	}
}
