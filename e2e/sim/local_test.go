package sim_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

func TestLocalDownLeavesNoProcessOrData(t *testing.T) {
	rt := openRuntime(t, "local")
	spec := simtest.Spec(sim.Traditional)
	spec.Nodes = 2
	_, st := simtest.Up(t, rt, spec)
	var pids []int
	for _, p := range st.Processes {
		pids = append(pids, p.PID)
		if p.LinkPID != 0 {
			pids = append(pids, p.LinkPID)
		}
	}
	if len(pids) != 5 { // PostgreSQL, two nodes, their two links
		t.Fatalf("processes %v", pids)
	}
	if _, errOut, code := kongdb(t, "sim", "--runtime", "local", "down", spec.Name); code != 0 {
		t.Fatalf("sim down: exit %d: %s", code, errOut)
	}
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			if stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); err == nil && !strings.Contains(string(stat), ") Z") {
				t.Errorf("process %d still runs after down", pid)
			}
		}
	}
	if _, err := os.Stat(st.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory %s left behind: %v", st.DataDir, err)
	}
	if _, err := sim.LoadState(spec.Name); !errors.Is(err, sim.ErrNotFound) {
		t.Errorf("state left behind: %v", err)
	}
}

func TestAutoFallsBackToLocalWhenDockerIsUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	name := simtest.Name()
	kong, pg := simtest.Images()
	t.Cleanup(func() { kongdb(t, "sim", "--runtime", "local", "down", name) })
	_, errOut, code := kongdb(t, "sim", "up", "-d", "--name", name, "--kong-image", kong, "--postgres-image", pg)
	if code != 0 {
		t.Fatalf("sim up: exit %d: %s", code, errOut)
	}
	if n := strings.Count(errOut, "Docker is unavailable, using the local runtime"); n != 1 {
		t.Fatalf("the fallback is said %d times, want once:\n%s", n, errOut)
	}
	// Later commands follow the cluster's state to the local runtime without being told.
	if c := status(t, "auto", name); c.Runtime != "local" || len(c.Nodes) != 1 || !c.Nodes[0].Running() {
		t.Fatalf("status: %+v", c)
	}
}

// TestForegroundUpTearsDownOnInterrupt runs `sim up` in the foreground as a
// process, as users do, and interrupts it once the cluster is ready.
func TestForegroundUpTearsDownOnInterrupt(t *testing.T) {
	self := kongdbtest.Binary(t)
	name := simtest.Name()
	t.Cleanup(func() { kongdb(t, "sim", "--runtime", "local", "down", name) })
	cmd := exec.Command(self, "sim", "--runtime", "local", "up", "--name", name, "--nodes", "2")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if strings.Contains(lines.Text(), "Ctrl-C takes it down") {
			break
		}
	}
	if c := status(t, "local", name); len(c.Nodes) != 2 || !c.Nodes[1].Running() {
		t.Fatalf("while up runs in the foreground: %+v\n%s", c, strings.Join(seen, "\n"))
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		seen = append(seen, lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sim up: %v\n%s", err, strings.Join(seen, "\n"))
	}
	if !strings.Contains(strings.Join(seen, "\n"), "taking cluster "+name+" down") || !strings.Contains(stdout.String(), "node-2") {
		t.Fatalf("stderr:\n%s\nstdout:\n%s", strings.Join(seen, "\n"), stdout.String())
	}
	if _, err := sim.LoadState(name); !errors.Is(err, sim.ErrNotFound) {
		t.Fatalf("state after Ctrl-C: %v", err)
	}
}

func TestListShowsClustersOfBothRuntimes(t *testing.T) {
	var names []string
	for _, rtName := range runtimes {
		spec := simtest.Spec(sim.Traditional)
		spec.Nodes = 1
		simtest.Up(t, openRuntime(t, rtName), spec)
		names = append(names, spec.Name)
	}
	ls := mustKongdb(t, "sim", "ls")
	for i, name := range names {
		if !strings.Contains(ls, name) || !regexp.MustCompile(name+`\s+`+runtimes[i]+`\s+traditional\s+1/1 running`).MatchString(ls) {
			t.Errorf("sim ls lacks %s on %s:\n%s", name, runtimes[i], ls)
		}
	}
}
