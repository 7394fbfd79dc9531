package emulator

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
)

// RunningPID reads the pid `kong start` recorded in the prefix and checks that the process
// still runs, so that `kong health` and `kong stop` do not trust a pid file a killed node
// left behind.
func RunningPID(c *config.Config) (int, error) {
	raw, err := os.ReadFile(PIDFile(c))
	if err != nil {
		return 0, notRunning(c, nil)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("read pid file %s: not a pid: %q", PIDFile(c), strings.TrimSpace(string(raw)))
	}
	if !ProcessAlive(pid) {
		return 0, notRunning(c, fmt.Errorf("no process %d (stale pid file %s)", pid, PIDFile(c)))
	}
	return pid, nil
}

// notRunning is Kong's message for a prefix without a running node.
func notRunning(c *config.Config, cause error) error {
	if cause == nil {
		//lint:ignore ST1005 Kong's own message, which scripts match
		return fmt.Errorf("Kong is not running at %s", c.Prefix)
	}
	//lint:ignore ST1005 Kong's own message, which scripts match
	return fmt.Errorf("Kong is not running at %s: %w", c.Prefix, cause)
}
