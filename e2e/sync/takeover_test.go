package sync_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kong/go-database-reconciler/pkg/cprint"
	"github.com/kong/go-database-reconciler/pkg/file"
)

const kicTag = "managed-by-ingress-controller"

// pushLikeKIC writes a decK file into Kong the way KIC's DB-mode push does: a dump limited to
// the select tags, file.Get against it, and go-database-reconciler's Syncer.Solve.
func pushLikeKIC(t *testing.T, adminURL, deckFile string) {
	t.Helper()
	cprint.DisableOutput = true // decK's engine prints every change to stdout
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	content, err := file.GetContentFromFiles([]string{deckFile}, false)
	if err != nil {
		t.Fatalf("read deck file: %v", err)
	}
	if err := gdrSync(ctx, adminURL, content, kicTag); err != nil {
		t.Fatalf("decK sync: %v", err)
	}
}

// TestTakeoverOfKICManagedKongWritesNothing: KIC's translation of the example, pushed the way
// KIC pushes it, is taken over by a sync with KIC's ownership tag without a single write.
func TestTakeoverOfKICManagedKongWritesNothing(t *testing.T) {
	f := newFixture(t)
	tr := run(t, "translate", "-f", echo, "--ownership-tag", kicTag, "--show-secrets")
	if tr.code != 0 {
		t.Fatalf("translate: %d %s", tr.code, tr.stderr)
	}
	deckFile := filepath.Join(t.TempDir(), "kong.yaml")
	if err := os.WriteFile(deckFile, []byte(tr.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	pushLikeKIC(t, f.node.URL, deckFile)
	if len(f.list(t, "/services")) == 0 {
		t.Fatal("decK pushed nothing")
	}
	f.kong.reset()
	r := f.cmd(t, "sync", "-f", echo, "--ownership-tag", kicTag)
	if r.code != 0 || f.kong.writes.Load() != 0 {
		t.Fatalf("takeover: exit %d, writes %v\n%s\n%s", r.code, f.kong.reset(), r.stdout, r.stderr)
	}
}
