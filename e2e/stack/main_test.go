// Package stack_test runs the whole stack as a user meets it: examples/ applied to a real
// kube-apiserver with the real kubectl, synced by the plugin that kubectl discovers on PATH,
// into simulated Kong clusters on Docker (three traditional nodes; a control plane and two
// data planes), and checked by requests through every node's proxy to an echo backend —
// also while nodes, the control plane, PostgreSQL and the network fail.
package stack_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/testenv"
)

var (
	// binDir holds the plugin as kubectl-kongdb, built once per run.
	binDir string
	// kube is the API server every test applies to; tests keep apart by namespace.
	kube *testenv.Env
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kongdb-stack-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Clusters' state (passwords, certificates) lives in this run, never the user's.
	_ = os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	binDir = filepath.Join(dir, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "kubectl-kongdb"), "./cmd/kubectl-kongdb")
	build.Dir, build.Stdout, build.Stderr = "../..", os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the plugin:", err)
		return 1
	}
	kube, err = testenv.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "start kube-apiserver:", err)
		return 1
	}
	defer func() {
		if err := kube.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop kube-apiserver:", err)
		}
	}()
	return m.Run()
}
