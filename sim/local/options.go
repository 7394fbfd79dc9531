package local

// Options say where the programs are.
type Options struct {
	// PGBinDir holds initdb, postgres and psql; empty: PATH, then Debian's /usr/lib/postgresql/<major>/bin.
	PGBinDir string
	// Emulator is the command prefix that runs the emulator's `kong` command line.
	Emulator []string
	// Link is the command prefix that runs LinkMain.
	Link []string
	// NodeAgent is the command prefix that runs the node agent (sim/kube/agent.Main),
	// for clusters with a Kubernetes.
	NodeAgent []string
}
