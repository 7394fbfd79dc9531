package sim_test

import (
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// TestMain keeps clusters' state in a directory of this run; every command runs the kongdb
// program built from this tree (kongdbtest), as do the local runtime's nodes and links.
func TestMain(m *testing.M) { simtest.Main(m) }
