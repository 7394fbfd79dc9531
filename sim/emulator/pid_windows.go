package emulator

import "os"

// ProcessAlive reports whether pid runs: Windows opens a handle only to a live process.
func ProcessAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

// Terminate stops pid. Windows has no SIGTERM to send another process, so the node gets no
// graceful shutdown there; the plugin only needs this to compile for Windows, where the
// local runtime (which runs nodes as processes) is not offered.
func Terminate(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
