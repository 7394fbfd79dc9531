package kongdbtest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer collects a process's output; the process writes while the test reads.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Deadline bounds every wait for a background process (Process.Await, Process.Stop).
const Deadline = 90 * time.Second

// Process is `kongdb args...` running in the background, as `sync --watch` runs.
type Process struct {
	// Log is what the program printed on stdout and stderr so far.
	Log  *Buffer
	args []string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs `kongdb args...` in the background with the test's environment. It is
// interrupted when the test ends, and its log is printed if the test failed.
func Start(tb testing.TB, args ...string) *Process {
	tb.Helper()
	p := &Process{Log: &Buffer{}, args: args, done: make(chan struct{})}
	p.cmd = exec.Command(Binary(tb), args...)
	p.cmd.Stdout, p.cmd.Stderr = p.Log, p.Log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("kongdb %s: %v", strings.Join(args, " "), err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if tb.Failed() {
			tb.Logf("kongdb %s:\n%s", strings.Join(args, " "), p.Log.String())
		}
	})
	return p
}

// Await calls cond every 100ms until it holds; the test fails when Deadline passes first or
// the program exits meanwhile. last says where cond stood.
func (p *Process) Await(tb testing.TB, what string, cond func() (ok bool, last string)) {
	tb.Helper()
	end := time.Now().Add(Deadline)
	last := ""
	for time.Now().Before(end) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
		select {
		case <-p.done:
			tb.Fatalf("waiting for %s: kongdb %s exited: %v (last: %s)", what, strings.Join(p.args, " "), p.err, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
	tb.Fatalf("waited %s for %s; last: %s", Deadline, what, last)
}

// Stop interrupts the program (SIGINT) and returns its exit code.
func (p *Process) Stop(tb testing.TB) int {
	tb.Helper()
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(Deadline):
		tb.Fatalf("kongdb %s did not stop on SIGINT", strings.Join(p.args, " "))
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	if p.err != nil {
		tb.Fatalf("kongdb %s: %v", strings.Join(p.args, " "), p.err)
	}
	return 0
}
