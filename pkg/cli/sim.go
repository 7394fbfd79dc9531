package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/docker"
	emulatorcli "github.com/kongdb/kubectl-kongdb/sim/emulator/cli"
	"github.com/kongdb/kubectl-kongdb/sim/kube/agent"
	"github.com/kongdb/kubectl-kongdb/sim/kube/echo"
	"github.com/kongdb/kubectl-kongdb/sim/local"
)

const simLong = `Run a database-backed Kong cluster on this machine: PostgreSQL plus traditional nodes, or
hybrid control planes and data planes, on Docker, or without Docker as local processes
(--runtime local: PostgreSQL from its local binaries, each Kong node on its own 127.77.x.y
address). Clusters outlive the command: every later command finds them by their labels
(io.kongdb.sim/cluster=NAME) or their state ($XDG_STATE_HOME/kongdb/sim/NAME). Fault verbs stop,
kill, partition and heal members, or take the database down, to see how Kong copes.

The images default to the official kong:3.9 and postgres:16-alpine; KONGDB_SIM_KONG_IMAGE and
KONGDB_SIM_POSTGRES_IMAGE select others (make images builds local ones, with nothing pulled).`

const simExample = `  # A three-node traditional cluster, detached, then its addresses in this shell
  %[1]s sim up -d --name demo --nodes 3
  eval "$(%[1]s sim env demo)"

  # Hybrid: one control plane and two data planes
  %[1]s sim up -d --name hy --mode hybrid --control-planes 1 --data-planes 2

  # Faults: stop and start a node, cut one off the database, take the database down and up
  %[1]s sim stop node-2 --name demo && %[1]s sim start node-2 --name demo
  %[1]s sim partition node-3 --from db --name demo && %[1]s sim heal node-3 --name demo
  %[1]s sim db down --name demo && %[1]s sim db up --name demo

  # Remove both clusters
  %[1]s sim down demo && %[1]s sim down hy`

// defaultSimName is the cluster name when none is given.
const defaultSimName = "kongdb"

// SimOptions holds what every sim verb shares: the runtime and the cluster.
type SimOptions struct {
	// Runtime is auto, docker or local.
	Runtime string
	// PGBinDir is where the local runtime finds PostgreSQL's programs.
	PGBinDir string
	Name     string

	// newRuntime opens the runtime; tests replace it.
	newRuntime func(ctx context.Context, name, pgBinDir string) (sim.Runtime, error)
	genericiooptions.IOStreams
}

// NewSimOptions returns SimOptions with the default runtime and cluster.
func NewSimOptions(streams genericiooptions.IOStreams) *SimOptions {
	return &SimOptions{Runtime: "auto", Name: defaultSimName, newRuntime: openRuntime, IOStreams: streams}
}

// NewCmdSim assembles the sim verbs.
func NewCmdSim(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewSimOptions(streams)
	cmd := &cobra.Command{
		Use:     "sim",
		Short:   "Run a database-backed Kong (traditional or hybrid) on this machine, and inject faults",
		Long:    simLong,
		Example: fmt.Sprintf(simExample, f.CommandName()),
	}
	cmd.PersistentFlags().StringVar(&o.Runtime, "runtime", o.Runtime, "Where clusters run. One of: (auto, docker, local); auto is docker, or local when Docker is unreachable or the cluster was made locally.")
	cmd.PersistentFlags().StringVar(&o.PGBinDir, "pg-bin-dir", "", "Directory of initdb, postgres and psql for the local runtime (default: PATH, then /usr/lib/postgresql/<newest>/bin).")
	cmd.AddCommand(
		NewCmdSimUp(f, o, nil),
		NewCmdSimVerify(f, o, nil),
		NewCmdSimList(o, nil),
		NewCmdSimStatus(o, nil),
		NewCmdSimEnv(o, nil),
		NewCmdSimLogs(o, nil),
		NewCmdSimDown(o, nil),
		NewCmdSimPsql(o, nil),
		NewCmdSimDB(o),
		newCmdSimEmulator(streams),
		newCmdSimLink(),
		newCmdSimNode(streams),
		newCmdSimEcho(streams),
	)
	for _, kind := range []sim.FaultKind{sim.FaultStop, sim.FaultStart, sim.FaultKill, sim.FaultPartition, sim.FaultHeal} {
		cmd.AddCommand(NewCmdSimFault(o, kind, nil))
	}
	return cmd
}

// Validate checks the shared flags.
func (o *SimOptions) Validate() error {
	switch o.Runtime {
	case "auto", "docker", "local":
	default:
		return fmt.Errorf("--runtime must be auto, docker or local, got %q", o.Runtime)
	}
	return sim.ValidateName(o.Name)
}

// open validates the shared flags and opens the runtime: the one asked
// for, or with auto the one the cluster was made with, else docker, else
// (Docker unreachable, said once) local.
func (o *SimOptions) open(ctx context.Context) (sim.Runtime, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	name := o.Runtime
	if name == "auto" {
		if st, err := sim.LoadState(o.Name); err == nil && st.Runtime == "local" {
			name = "local"
		}
	}
	if name == "auto" {
		rt, err := o.newRuntime(ctx, "docker", o.PGBinDir)
		if !errors.Is(err, sim.ErrRuntimeUnavailable) {
			return rt, err
		}
		fmt.Fprintf(o.ErrOut, "! Docker is unavailable, using the local runtime (%v)\n", firstLine(err))
		name = "local"
	}
	return o.newRuntime(ctx, name, o.PGBinDir)
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// openRuntime opens the named runtime. The local one runs emulator nodes and
// links as this program's hidden `sim __kong` and `sim __link` commands.
func openRuntime(ctx context.Context, name, pgBinDir string) (sim.Runtime, error) {
	if name == "docker" {
		rt, err := docker.New(ctx)
		if err != nil {
			return nil, err
		}
		return rt, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("local runtime: find this program: %w", err)
	}
	return local.New(local.Options{PGBinDir: pgBinDir,
		Emulator: []string{self, "sim", "__kong"}, Link: []string{self, "sim", "__link"}, NodeAgent: []string{self, "sim", "__node"}})
}

// newCmdSimEmulator is the hidden `sim __kong`: the emulator's command line,
// for the local runtime's nodes.
func newCmdSimEmulator(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use: "__kong", Hidden: true, DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			if code := emulatorcli.Main(args, streams.Out, streams.ErrOut); code != 0 {
				return &exitError{code: code, err: fmt.Errorf("exit status %d", code), silent: true}
			}
			return nil
		},
	}
}

// newCmdSimLink is the hidden `sim __link`: the relay a local partition cuts.
func newCmdSimLink() *cobra.Command {
	return &cobra.Command{
		Use: "__link", Hidden: true, DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error { return local.LinkMain(args) },
	}
}

// newCmdSimNode is the hidden `sim __node`: the node agent of a cluster's
// Kubernetes; it runs echo Pods as this program's `sim __echo`.
func newCmdSimNode(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use: "__node", Hidden: true, DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("node agent: find this program: %w", err)
			}
			if code := agent.Main(args, []string{self, "sim", "__echo"}, streams.ErrOut); code != 0 {
				return &exitError{code: code, err: fmt.Errorf("exit status %d", code), silent: true}
			}
			return nil
		},
	}
}

// newCmdSimEcho is the hidden `sim __echo`: the echo server of echo Pods.
func newCmdSimEcho(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use: "__echo", Hidden: true, DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, _ []string) error {
			if code := echo.Main(streams.Out, streams.ErrOut); code != 0 {
				return &exitError{code: code, err: fmt.Errorf("exit status %d", code), silent: true}
			}
			return nil
		},
	}
}

// withRuntime runs fn with an open runtime and closes it after.
func (o *SimOptions) withRuntime(ctx context.Context, fn func(sim.Runtime) error) error {
	rt, err := o.open(ctx)
	if err != nil {
		return err
	}
	if c, ok := rt.(interface{ Close() error }); ok {
		defer c.Close()
	}
	return fn(rt)
}

// envDefault is the value of an environment variable, or def.
func envDefault(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
