// Command kubectl-kongdb is the kubectl plugin (and standalone `kongdb` tool) that makes
// Kubernetes the source of truth for a database-backed Kong: it translates Kubernetes objects
// into the configuration the Kong Ingress Controller would build, syncs and diffs it through
// the Admin API, shows the cluster live (status), and runs a simulated Kong cluster (sim).
package main

import (
	"os"

	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

func main() {
	// The garbage collector's settings are chosen per command (pkg/cli's tuneGC).
	os.Exit(cli.Main(os.Args, cli.StdStreams()))
}
