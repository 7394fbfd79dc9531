//go:build !unix

package local

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// Runtime stands for the local runtime where it cannot run: it manages processes with Unix
// sessions and signals, and relays partitions with SIGUSR1/SIGUSR2.
type Runtime struct{ sim.Runtime }

// New says that the local runtime needs a Unix; the error wraps sim.ErrRuntimeUnavailable, so
// --runtime auto reports it as it reports a missing Docker.
func New(Options) (*Runtime, error) {
	return nil, fmt.Errorf("local runtime: not available on %s, only on Linux and macOS: %w", runtime.GOOS, sim.ErrRuntimeUnavailable)
}

// LinkMain is the partition relay, which needs Unix signals.
func LinkMain([]string) error {
	return errors.New("the local runtime's link is not available on " + runtime.GOOS)
}
