package install_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
)

// watcher is `kongdb sync --watch` running as a process of the test.
type watcher struct {
	cmd    *exec.Cmd
	log    *emutest.Buffer
	done   chan struct{}
	health string
}

// startWatch runs kongdb with args (a sync --watch with --health-probe-bind-address), as the
// pod kongdb-0 would (POD_NAME names it in its election Lease).
func startWatch(t *testing.T, args []string) *watcher {
	t.Helper()
	w := &watcher{log: &emutest.Buffer{}, done: make(chan struct{})}
	for _, a := range args {
		if addr, ok := strings.CutPrefix(a, "--health-probe-bind-address="); ok {
			w.health = "http://" + addr
		}
	}
	w.cmd = exec.Command(kongdbtest.Binary(t), args...)
	w.cmd.Env = append(os.Environ(), "POD_NAME=kongdb-0")
	w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("start sync --watch: %v", err)
	}
	go func() { _ = w.cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		_ = w.cmd.Process.Kill()
		<-w.done
	})
	return w
}

// waitFor polls cond until it holds, failing the test with the watcher's log after a minute
// or when the process ends.
func (w *watcher) waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		select {
		case <-w.done:
			t.Fatalf("sync --watch ended before %s:\n%s", what, w.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after a minute:\n%s", what, w.log.String())
		}
	}
}

// waitReady waits until /readyz answers 200: caches synced and this watcher leads or stands by.
func (w *watcher) waitReady(t *testing.T) {
	t.Helper()
	w.waitFor(t, func() bool {
		resp, err := http.Get(w.health + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "/readyz answering 200")
}

// stop sends SIGTERM, as the kubelet does, and returns the exit code.
func (w *watcher) stop(t *testing.T) int {
	t.Helper()
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("sync --watch still runs 30s after SIGTERM:\n%s", w.log.String())
	}
	// -1 when a signal ended it rather than its own exit.
	return w.cmd.ProcessState.ExitCode()
}

// freePort is a loopback port in this package's range (25000-25999) that nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	base := os.Getpid() % 1000
	for i := range 1000 {
		p := 25000 + (base+i)%1000
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatal("no free port in 25000-25999")
	return 0
}
