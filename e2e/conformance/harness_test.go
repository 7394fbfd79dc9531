// Package conformance measures the emulator's fidelity to Kong 3.9: it builds cmd/kong-emulator,
// runs it on a fresh real PostgreSQL database per suite, and drives it with the integration
// suites go-kong and go-database-reconciler (decK's engine) publish, decK's sync engine on a
// realistic file, concurrent writers, bad input and several nodes on one database.
package conformance

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// emulatorBinary is the kong-emulator binary the suites drive.
func emulatorBinary(t testing.TB) string { return emutest.Binary(t) }

// Emulator is a running kong-emulator process on its own database.
type Emulator struct {
	AdminURL  string
	StatusURL string
	DB        pgtest.Database
	Env       []string
	Log       *bytes.Buffer
}

// startEmulator bootstraps a fresh database with `kong migrations
// bootstrap` and runs `kong start` on a free port until the test ends.
func startEmulator(t testing.TB, db pgtest.Database) *Emulator {
	t.Helper()
	return startEmulatorOn(t, db, freePort(t))
}

// startEmulatorOn is startEmulator on a given admin port.
func startEmulatorOn(t testing.TB, db pgtest.Database, port int, extraEnv ...string) *Emulator {
	t.Helper()
	bin := emulatorBinary(t)
	env := append(os.Environ(), db.Env()...)
	statusPort := freePort(t)
	env = append(env, "KONG_ADMIN_LISTEN=127.0.0.1:"+fmt.Sprint(port), "KONG_PREFIX="+t.TempDir(), "KONG_LOG_LEVEL=warn",
		"KONG_STATUS_LISTEN=127.0.0.1:"+fmt.Sprint(statusPort), "KONG_PROXY_LISTEN=127.0.0.1:"+fmt.Sprint(freePort(t)))
	env = append(env, extraEnv...)
	boot := exec.Command(bin, "migrations", "bootstrap")
	boot.Env = env
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("kong migrations bootstrap: %v: %s", err, out)
	}
	var logBuf bytes.Buffer
	cmd := exec.Command(bin, "start")
	cmd.Env = env
	// The node goes when the test binary goes, even on a panic or timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Stdout = &logBuf
	cmd.Stderr = &logBuf
	if err := cmd.Start(); err != nil {
		t.Fatalf("kong start: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	e := &Emulator{AdminURL: fmt.Sprintf("http://127.0.0.1:%d", port), StatusURL: fmt.Sprintf("http://127.0.0.1:%d", statusPort),
		DB: db, Env: env, Log: &logBuf}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(e.AdminURL + "/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("emulator did not answer on %s; log:\n%s", e.AdminURL, logBuf.String())
	return nil
}

// portFree reports whether 127.0.0.1:port can be listened on.
func portFree(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

func freePort(t testing.TB) int { return emutest.FreePort(t) }
