// Package kongdbtest gives end-to-end tests the kubectl-kongdb program built from this tree,
// so that they run what users run, and the simulator's local runtime re-runs that same program
// as its Kong nodes and links (`kongdb sim __kong|__link`), never the test binary in its place.
package kongdbtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// Dir builds cmd/kubectl-kongdb once per test binary and returns the folder that holds it as
// kubectl-kongdb, as kongdb (a link, so it names itself kongdb) and with its completion shim
// kubectl_complete-kongdb: a folder to put on PATH.
func Dir(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() { binDir, buildErr = build() })
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binDir
}

// Binary is the built program under the name kongdb.
func Binary(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(Dir(tb), "kongdb")
}

func build() (string, error) {
	dir, err := os.MkdirTemp("", "kongdb-bin-")
	if err != nil {
		return "", err
	}
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "kubectl-kongdb"), "github.com/kongdb/kubectl-kongdb/cmd/kubectl-kongdb").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build kubectl-kongdb: %w: %s", err, out)
	}
	if err := os.Symlink("kubectl-kongdb", filepath.Join(dir, "kongdb")); err != nil {
		return "", err
	}
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find the module's folder: %w", err)
	}
	shim, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "hack", "completion", "kubectl_complete-kongdb"))
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "kubectl_complete-kongdb"), shim, 0o755)
}

// Remove deletes what Dir built; a TestMain calls it after m.Run.
func Remove() {
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
}

// Run runs `kongdb args...` with the test's environment and no stdin, and returns stdout,
// stderr and the exit code; a program that could not be started fails the test.
func Run(tb testing.TB, args ...string) (string, string, int) {
	tb.Helper()
	cmd := exec.Command(Binary(tb), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errOut.String(), 0
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	}
	tb.Fatalf("kongdb %s: %v", strings.Join(args, " "), err)
	return "", "", -1
}
