package cli

import (
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Soft memory limits per command (debug.SetMemoryLimit), the garbage collector's other knob
// beside GOGC. Every command collects at five times the live heap (GOGC=400): a run is short,
// and a good part of a sync with little to do was garbage collection (a no-op sync of 7,000
// Kong entities took some 15% less wall time so). The limit is what keeps that from growing
// the heap to five times its live size:
//   - translate reads, converts and prints, and exits; what it holds at its peak (some 35 MiB
//     of live heap for 27,000 entities) is small, and its memory goal (120 MiB peak, beside a
//     binary whose mapped pages alone are 50-85 MiB) leaves it 64 MiB: measured on that
//     cluster, 106-108 MiB peak instead of 159-181 MiB, for 15% more CPU, where GOGC=50
//     would take 40% more for 101-105 MiB;
//   - every other command holds Kong's state or runs for long: 768 MiB, so a very large sync
//     collects as often as it must to stay near it rather than grow to five times its heap.
const (
	defaultMemoryLimit   = 768 << 20
	translateMemoryLimit = 64 << 20
)

// tuneGC sets the garbage collector for the command about to run, unless GOGC or GOMEMLIMIT
// is set: the user's word wins, and a user who set one of them is left the runtime's default
// for the other.
func tuneGC(cmd *cobra.Command) {
	_, gogc := os.LookupEnv("GOGC")
	_, limit := os.LookupEnv("GOMEMLIMIT")
	if gogc || limit {
		return
	}
	debug.SetGCPercent(400)
	if cmd.Name() == "translate" {
		debug.SetMemoryLimit(translateMemoryLimit)
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
}
