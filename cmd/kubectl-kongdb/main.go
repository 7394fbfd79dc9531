// Command kubectl-kongdb is the kubectl plugin (and standalone `kongdb` tool) that makes
// Kubernetes the source of truth for a database-backed Kong: it translates Kubernetes objects
// into the configuration the Kong Ingress Controller would build, syncs and diffs it through
// the Admin API, shows the cluster live (status), and runs a simulated Kong cluster (sim).
package main

import (
	"os"
	"runtime/debug"

	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

func main() {
	// A run is short, and a good part of a sync with little to do was garbage collection (a
	// no-op sync of 7,000 Kong entities took some 15% less wall time with GOGC=400): collect
	// at five times the live heap instead of twice, unless GOGC says otherwise.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
		// ... but not past a soft limit, so that a very large translate or sync collects as
		// often as it must to stay near it rather than grow to five times its live heap.
		if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
			debug.SetMemoryLimit(768 << 20)
		}
	}
	os.Exit(cli.Main(os.Args, cli.StdStreams()))
}
