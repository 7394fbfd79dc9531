// Package simtest brings simulated Kong clusters up for Go tests: each
// cluster gets a name unique to the test process, its state lives in a
// directory of the test run (Main), and t.Cleanup takes it down. A test
// binary killed before its cleanups ran leaves containers named after its
// dead process id; the next Up removes them.
package simtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/local"
)

// Images are the images tests run: KONGDB_SIM_KONG_IMAGE and
// KONGDB_SIM_POSTGRES_IMAGE, defaulting to the local ones `make images` builds.
func Images() (kong, postgres string) {
	kong, postgres = os.Getenv("KONGDB_SIM_KONG_IMAGE"), os.Getenv("KONGDB_SIM_POSTGRES_IMAGE")
	if kong == "" {
		kong = "kongdb/kong-emulator:3.9"
	}
	if postgres == "" {
		postgres = "kongdb/postgres:15"
	}
	return kong, postgres
}

var seq atomic.Int64

// Name returns a cluster name unique to this process: t<pid>-<n>.
func Name() string { return fmt.Sprintf("t%d-%d", os.Getpid(), seq.Add(1)) }

// Spec is a spec of mode with the test images, --pull never and a unique name;
// the caller sets the sizes.
func Spec(mode sim.Mode) sim.Spec {
	kong, pg := Images()
	return sim.Spec{Name: Name(), Mode: mode, KongImage: kong, PostgresImage: pg, Pull: sim.PullNever}
}

// Main runs a test binary's tests with XDG_STATE_HOME in a directory of
// this run, removed afterwards, so clusters' state never mixes with the
// user's; the kongdb program LocalRuntime built goes too. Call it from
// TestMain.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "kongdb-simtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = os.Setenv("XDG_STATE_HOME", dir)
	code := m.Run()
	for i := len(atExit) - 1; i >= 0; i-- {
		atExit[i]()
	}
	_ = os.RemoveAll(dir)
	kongdbtest.Remove()
	os.Exit(code)
}

var atExit []func()

// AtExit runs f after the package's tests, before Main removes the state
// directory: how a cluster shared by a package's tests is taken down.
func AtExit(f func()) { atExit = append(atExit, f) }

// LocalRuntime is the local runtime as the command line opens it: its nodes
// and links are the kongdb program built from this tree (kongdbtest), run as
// `kongdb sim __kong|__link`.
func LocalRuntime(t testing.TB) sim.Runtime {
	t.Helper()
	self := kongdbtest.Binary(t)
	rt, err := local.New(local.Options{Emulator: []string{self, "sim", "__kong"}, Link: []string{self, "sim", "__link"},
		NodeAgent: []string{self, "sim", "__node"}})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// Up brings spec up on rt and takes it down when the test ends.
func Up(t testing.TB, rt sim.Runtime, spec sim.Spec) (*sim.Cluster, *sim.State) {
	t.Helper()
	sweep(t, rt)
	st, err := sim.PrepareState(spec, rt.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := rt.Down(ctx, spec.Name); err != nil && !errors.Is(err, sim.ErrNotFound) {
			t.Errorf("down %s: %v", spec.Name, err)
		}
		_ = sim.RemoveState(spec.Name)
	})
	c, err := rt.Up(t.Context(), spec, st, func(line string) { t.Logf("%s: %s", spec.Name, line) })
	if err != nil {
		t.Fatalf("up %s: %v", spec.Name, err)
	}
	return c, st
}

var (
	sweepOnce sync.Once
	testName  = regexp.MustCompile(`^t(\d+)-\d+$`)
)

// sweep removes clusters left by test processes that no longer run.
func sweep(t testing.TB, rt sim.Runtime) {
	sweepOnce.Do(func() {
		cs, err := rt.List(t.Context())
		if err != nil {
			t.Logf("list clusters left by earlier tests: %v", err)
			return
		}
		for _, c := range cs {
			m := testName.FindStringSubmatch(c.Name)
			if m == nil {
				continue
			}
			pid, _ := strconv.Atoi(m[1])
			if pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
				continue
			}
			t.Logf("removing cluster %s left by dead test process %d", c.Name, pid)
			if err := rt.Down(t.Context(), c.Name); err != nil {
				t.Logf("down %s: %v", c.Name, err)
			}
		}
	})
}
