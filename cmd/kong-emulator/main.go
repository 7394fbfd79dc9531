// Command kong-emulator is a Kong Gateway 3.9.3-compatible node on
// PostgreSQL (installed as `kong` in its image).
package main

import (
	"os"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
