package sim_test

import (
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/cli"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// TestMain keeps clusters' state in a directory of this run, and plays the
// program the local runtime re-runs for its nodes and links.
func TestMain(m *testing.M) {
	simtest.MainAs(m, func(args []string) int {
		return cli.Main(append([]string{"kongdb"}, args...), cli.StdStreams())
	})
}
