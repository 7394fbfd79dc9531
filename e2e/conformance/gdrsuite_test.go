package conformance

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

// gdrModule is the go-database-reconciler release whose own integration suite runs: the one
// go.mod requires, which KIC 3.5 and decK drive Kong with.
const gdrModule = "github.com/kong/go-database-reconciler"

// gdrKnownFailures lists go-database-reconciler v1.40.3 integration tests that fail against
// the emulator, with the reason. The suite fails when a test outside this list fails, and when
// a listed test passes.
var gdrKnownFailures = map[string]string{}

// gdrMinPassed is how many of the suite's top-level tests must pass (passes only, and only
// where something ran): 48 of 165 when this was written, none failing, 117 skipped. The suite
// gates most tests on Kong's edition and version (runWhen "enterprise", Konnect, or version
// ranges other than 3.9); a drop below this means the emulator stopped looking like OSS Kong
// 3.9 to it.
const gdrMinPassed = 48

// TestGoDatabaseReconcilerSuite runs go-database-reconciler's own integration tests
// (tests/integration, build tag integration: decK's sync, diff, dump, reset, apply and render
// through decK's command code, as decK's CI runs them against a Kong) against the emulator on
// a fresh database. The suite lives in the module's source, with its own go.mod (it imports
// decK, which imports it back), so it runs from a copy of the module in the module cache;
// its dependencies come through the Go module proxy like any build's.
func TestGoDatabaseReconcilerSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("the go-database-reconciler suite takes minutes; skipped with -short")
	}
	dir := copyModule(t, gdrModule)
	e := startEmulator(t, pgtest.NewDatabase(t))
	// The suite reaches Kong at DECK_KONG_ADDR; go-kong's version gates it calls (RunWhenKong)
	// ask KONG_ADMIN_URL.
	env := append(withoutEnv(withoutEnv(os.Environ(), "GOFLAGS"), "KONG_ADMIN_URL"), "GOWORK=off", "GOFLAGS=-mod=mod",
		"DECK_KONG_ADDR="+e.AdminURL, "KONG_ADMIN_URL="+e.AdminURL)
	for _, k := range []string{"DECK_KONNECT_EMAIL", "DECK_KONNECT_PASSWORD", "DECK_KONNECT_TOKEN", "DECK_KONNECT_ADDR"} {
		env = withoutEnv(env, k)
	}
	run := runSuite(t, dir, env, "KONGDB_GDR_JSON", "-count=1", "-p=1", "-tags=integration", "-timeout=30m", "./tests/integration/")
	run.judge(t, "go-database-reconciler", gdrKnownFailures, gdrMinPassed)
}

// copyModule copies the source of module, at the version go.mod requires, out of the
// read-only module cache into a writable directory of the test.
func copyModule(t *testing.T, module string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-m", "-json", module).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", module, err)
	}
	var m struct{ Dir, Version string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("go list -m %s: no source directory (%v): %s", module, err, out)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(strings.ReplaceAll(m.Dir, "@", "-")))
	if out, err := exec.CommandContext(t.Context(), "cp", "-R", m.Dir, dst).CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v: %s", m.Dir, err, out)
	}
	if out, err := exec.CommandContext(t.Context(), "chmod", "-R", "u+w", dst).CombinedOutput(); err != nil {
		t.Fatalf("chmod %s: %v: %s", dst, err, out)
	}
	t.Logf("%s %s from %s", module, m.Version, m.Dir)
	return dst
}
