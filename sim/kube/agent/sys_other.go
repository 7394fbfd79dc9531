//go:build !unix

package agent

import (
	"os"
	"os/exec"
)

// detach does nothing where there are no sessions: the node agent runs on the local runtime,
// which is Unix-only; this lets the plugin, which holds the agent's command, build everywhere.
func detach(*exec.Cmd) {}

// killPID ends a container left behind by an agent that died.
func killPID(pid int) {
	if p, err := os.FindProcess(pid); err == nil && pid > 1 {
		_ = p.Kill()
	}
}
