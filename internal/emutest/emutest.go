// Package emutest gives end-to-end tests the kong-emulator as a real
// program: the binary built once per test binary (and checked to be the
// code linked into the test), and a log buffer a running process can write
// while the test reads it.
package emutest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/internal/testport"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/cli"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/kong-emulator once per test binary and returns its
// path, so suites drive the real program as the image will.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kong-emulator-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "kong")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/kongdb/kubectl-kongdb/cmd/kong-emulator").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build kong-emulator: %w: %s", err, out)
			return
		}
		// The binary must be the code linked into this test (calling cli.Main
		// here also ties go test's result cache to the emulator's sources).
		var want bytes.Buffer
		if code := cli.Main([]string{"version"}, &want, &want); code != 0 {
			buildErr = fmt.Errorf("in-process kong version: exit %d: %s", code, want.String())
			return
		}
		got, err := exec.Command(binPath, "version").Output()
		if err != nil || string(got) != want.String() {
			buildErr = fmt.Errorf("built kong version = %q (%v), in-process %q", got, err, want.String())
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// Buffer collects a process's output; the process writes while the test
// reads. It is kongdbtest's, so that both programs' logs read the same way.
type Buffer = kongdbtest.Buffer

// FreePort returns a loopback port nobody listens on right now, for a node's listeners
// (testport.Pick: below the ephemeral range, so no outgoing connection takes it meanwhile).
func FreePort(tb testing.TB) int {
	tb.Helper()
	p, err := testport.Pick()
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	return p
}
