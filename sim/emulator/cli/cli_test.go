package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func run(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var out bytes.Buffer
	code := Main(args, &out, &out)
	return code, out.String()
}

func TestMigrationsLifecycleUsesKongsExitCodes(t *testing.T) {
	db := pgtest.NewDatabase(t)
	env := append(db.Env(), "KONG_PREFIX="+t.TempDir())
	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"list before bootstrap", []string{"migrations", "list"}, 3, "Database needs bootstrapping"},
		{"up before bootstrap", []string{"migrations", "up"}, 1, "needs bootstrapping"},
		{"bootstrap", []string{"migrations", "bootstrap"}, 0, "Database is up-to-date"},
		{"bootstrap again is a no-op", []string{"migrations", "bootstrap"}, 0, "Database already bootstrapped"},
		{"list when up to date", []string{"migrations", "list"}, 0, "core: 000_base, 003_100_to_110"},
		{"up when up to date", []string{"migrations", "up"}, 0, "Database is already up-to-date"},
		{"finish", []string{"migrations", "finish"}, 0, "No pending migrations to finish"},
		{"reset needs --yes", []string{"migrations", "reset"}, 1, "--yes"},
		{"reset", []string{"migrations", "reset", "--yes"}, 0, ""},
		{"list after reset", []string{"migrations", "list"}, 3, "Database needs bootstrapping"},
	}
	for _, s := range steps {
		code, out := run(t, env, s.args...)
		if code != s.wantCode || !strings.Contains(out, s.wantOut) {
			t.Fatalf("%s: exit %d, output %q; want exit %d containing %q", s.name, code, out, s.wantCode, s.wantOut)
		}
	}
}

func TestVersionAndInvalidConfig(t *testing.T) {
	code, out := run(t, nil, "version")
	if code != 0 || out != "3.9.3\n" {
		t.Fatalf("version: %d %q", code, out)
	}
	code, out = run(t, []string{"KONG_DATABASE=mysql"}, "migrations", "list")
	if code != 1 || !strings.Contains(out, "database has an invalid value: 'mysql'") {
		t.Fatalf("invalid config: %d %q", code, out)
	}
	code, out = run(t, []string{"KONG_DATABASE=postgres", "KONG_PREFIX=" + t.TempDir()}, "health")
	if code != 1 || !strings.Contains(out, "Kong is not running") {
		t.Fatalf("health without a node: %d %q", code, out)
	}
}

// TestHealthAndStopRefuseAStalePIDFile writes the pid of a process that has exited into the
// prefix, as a killed node leaves it: health and stop must say Kong is not running instead of
// trusting the file (and stop must not signal whatever process has that pid).
func TestHealthAndStopRefuseAStalePIDFile(t *testing.T) {
	prefix := t.TempDir()
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(prefix, "pids"), 0o755); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(exited.Process.Pid)
	if err := os.WriteFile(filepath.Join(prefix, "pids", "nginx.pid"), []byte(pid+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"health", "stop"} {
		code, out := run(t, []string{"KONG_DATABASE=postgres", "KONG_PREFIX=" + prefix}, cmd)
		if code != 1 || !strings.Contains(out, "Kong is not running") || !strings.Contains(out, "stale pid file") {
			t.Errorf("%s with a stale pid file: exit %d, output %q; want exit 1 naming the stale pid file", cmd, code, out)
		}
	}
}

// TestMigrationsForceWarnsOnce checks the compatibility flag --force, which the emulator
// cannot honour, says so instead of being ignored silently.
func TestMigrationsForceWarnsOnce(t *testing.T) {
	db := pgtest.NewDatabase(t)
	env := append(db.Env(), "KONG_PREFIX="+t.TempDir())
	code, out := run(t, env, "migrations", "bootstrap", "--force")
	if code != 0 || strings.Count(out, "warning: --force has no effect") != 1 {
		t.Fatalf("bootstrap --force: exit %d, output %q; want exit 0 and one warning", code, out)
	}
}
