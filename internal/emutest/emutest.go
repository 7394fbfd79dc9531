// Package emutest gives end-to-end tests the kong-emulator as users get it: the binary built
// once per test binary from this module (and checked to be the code linked into the test),
// and free loopback ports to run it on.
package emutest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/cli"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/kong-emulator once per test binary and returns its path, so tests drive
// the real program (and can kill it) as the image will run it.
func Binary(t testing.TB) string {
	t.Helper()
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
		// The binary must be the code linked into this test (calling cli.Main here also ties
		// go test's result cache to the emulator's sources).
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
		t.Fatal(buildErr)
	}
	return binPath
}

// FreePort returns a loopback port nobody listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
