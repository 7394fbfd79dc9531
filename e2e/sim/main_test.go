package sim_test

import (
	"os"
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/cli"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// TestMain keeps clusters' state in a directory of this run. The local
// runtime re-runs its program as `kongdb sim __kong|__link` for nodes and
// links: this test binary plays that program when called so.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "sim" {
		os.Exit(cli.Main(append([]string{"kongdb"}, os.Args[1:]...), cli.StdStreams()))
	}
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	_ = os.Setenv("KONGDB_SIM_EXECUTABLE", self)
	simtest.Main(m)
}
