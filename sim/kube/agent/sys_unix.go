//go:build unix

package agent

import (
	"os/exec"
	"syscall"
)

// detach starts a container's process in a session of its own, so a signal to the agent's
// process group (a terminal's ^C) does not reach the Pods.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

// killPID ends a container left behind by an agent that died; pid is above 1 by then.
func killPID(pid int) {
	if pid > 1 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
