package sim_test

import (
	"os"
	"testing"
)

// TestMain keeps every cluster's state in a directory of this run.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kongdb-e2e-sim-")
	if err != nil {
		panic(err)
	}
	_ = os.Setenv("XDG_STATE_HOME", dir)
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
