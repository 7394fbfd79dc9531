//go:build unix

package emulator

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// ProcessAlive reports whether pid runs; an exited child its parent has not yet reaped (a
// zombie) counts as stopped.
func ProcessAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// Format: pid (comm) state ...; comm may contain spaces, so look after ')'.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// Terminate asks pid to stop as Kong's `kong stop` does: SIGTERM, a graceful shutdown.
func Terminate(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }
