// Command kubectl-kongdb is the kubectl plugin (and standalone `kongdb` tool) that syncs
// Kubernetes objects into a database-backed Kong Gateway.
package main

import (
	"os"

	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, cli.StdStreams()))
}
