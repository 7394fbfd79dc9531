package cli

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/spf13/cobra"
)

// TestEachCommandGetsItsMemoryLimit: translate runs under its own small soft limit, every
// other command under the large one, and a GOGC or GOMEMLIMIT the user set leaves both alone.
func TestEachCommandGetsItsMemoryLimit(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(env); ok {
			t.Setenv(env, v) // restored after the test
			os.Unsetenv(env)
		}
	}
	oldLimit, oldPercent := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetMemoryLimit(oldLimit); debug.SetGCPercent(oldPercent) })

	for name, want := range map[string]int64{"translate": translateMemoryLimit, "sync": defaultMemoryLimit, "status": defaultMemoryLimit} {
		tuneGC(&cobra.Command{Use: name})
		if got := debug.SetMemoryLimit(-1); got != want {
			t.Errorf("%s: memory limit %d MiB, want %d MiB", name, got>>20, want>>20)
		}
		if got := debug.SetGCPercent(400); got != 400 {
			t.Errorf("%s: GOGC %d, want 400", name, got)
		}
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	debug.SetGCPercent(100)
	tuneGC(&cobra.Command{Use: "translate"})
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("GOMEMLIMIT set: the limit moved to %d MiB", got>>20)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOMEMLIMIT set: GOGC moved to %d", got)
	}
}
