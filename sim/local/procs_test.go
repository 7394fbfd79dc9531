package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// signalGuardChild is the child side of TestFaultsAndDownNeverSignalAProcessGroup:
// a state whose members were saved with PID 0 goes through every verb that
// signals. kill(0, …) would reach this child's own process group, so the
// child dies by the signal instead of exiting 0.
func signalGuardChild() error {
	st := &sim.State{Dir: os.Getenv("KONGDB_TEST_STATE_DIR"), Runtime: "local",
		Spec: sim.Spec{Name: "guard", Mode: sim.Traditional, Nodes: 1},
		Processes: map[string]*sim.Process{
			"db":     {Role: sim.RoleDB, PID: 0},
			"node-1": {Role: sim.RoleNode, Index: 1, PID: 0, LinkPID: 0},
		}}
	if err := st.Save(); err != nil {
		return err
	}
	r := &Runtime{}
	ctx := context.Background()
	for _, f := range []sim.Fault{{Kind: sim.FaultStop, Member: "node-1"}, {Kind: sim.FaultKill, Member: "node-1"}, {Kind: sim.FaultStop, Member: "db"}} {
		if err := r.Fault(ctx, "guard", f); err != nil {
			return err
		}
	}
	return r.Down(ctx, "guard")
}

// TestFaultsAndDownNeverSignalAProcessGroup: a member saved with PID 0 (a
// hand-edited or half-written state) must not make stop, kill or down call
// kill(0, …), which signals the caller's own process group. The verbs run in
// a child in its own process group, so that the old behaviour kills only it.
func TestFaultsAndDownNeverSignalAProcessGroup(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "__signal-guard")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+home,
		"KONGDB_TEST_STATE_DIR="+filepath.Join(home, "kongdb", "sim", "guard"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child ran stop, kill and down on PID 0 and ended with %v: %s", err, out)
	}
}

func TestOnlyAPIDAboveOneIsSignalled(t *testing.T) {
	for _, pid := range []int{-2, -1, 0, 1} {
		if oneProcess(pid) || alive(pid) {
			t.Errorf("pid %d is treated as one live process", pid)
		}
		if err := signalPID(pid, syscall.Signal(0)); err == nil {
			t.Errorf("signalPID(%d) was allowed", pid)
		}
	}
	if !alive(os.Getpid()) || signalPID(os.Getpid(), syscall.Signal(0)) != nil {
		t.Error("this process is not seen as alive and signalable")
	}
}

// TestDownRemovesOnlyItsOwnTemporaryDataDirectory: the data directory
// recorded in the state is removed by down only when it is under the state
// directory (removed with it) or the cluster's own temporary directory.
func TestDownRemovesOnlyItsOwnTemporaryDataDirectory(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	victim := t.TempDir()
	ours, err := os.MkdirTemp("", tempPrefix("dd"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(ours) })
	for _, tt := range []struct {
		dataDir    string
		wantGone   string
		wantKept   string
		wantRefuse bool
	}{
		{filepath.Join(victim, "pgdata"), "", victim, true},
		{filepath.Join(ours, "pgdata"), ours, "", false},
	} {
		dir, err := sim.StateDir("dd")
		if err != nil {
			t.Fatal(err)
		}
		st := &sim.State{Dir: dir, Runtime: "local", Spec: sim.Spec{Name: "dd"}, DataDir: tt.dataDir,
			Processes: map[string]*sim.Process{"db": {Role: sim.RoleDB}}}
		if err := st.Save(); err != nil {
			t.Fatal(err)
		}
		err = (&Runtime{}).Down(context.Background(), "dd")
		if (err != nil) != tt.wantRefuse {
			t.Errorf("data dir %s: down returned %v", tt.dataDir, err)
		}
		if _, err := os.Stat(tt.wantKept); tt.wantKept != "" && err != nil {
			t.Errorf("%s was removed: %v", tt.wantKept, err)
		}
		if _, err := os.Stat(tt.wantGone); tt.wantGone != "" && err == nil {
			t.Errorf("%s was kept", tt.wantGone)
		}
	}
}
