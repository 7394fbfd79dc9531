// Command kubectl-kongdb is the kubectl plugin (and standalone `kongdb` tool) that translates
// Kubernetes objects into the Kong configuration the Kong Ingress Controller would build.
package main

import (
	"os"

	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, cli.StdStreams()))
}
