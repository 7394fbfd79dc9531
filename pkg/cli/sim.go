package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/docker"
)

const simLong = `Run a database-backed Kong cluster on this machine: PostgreSQL plus traditional nodes, or
hybrid control planes and data planes, on Docker. Clusters outlive the command: every later
command finds them by their labels (io.kongdb.sim/cluster=NAME). Fault verbs stop, kill,
partition and heal members, or take the database down, to see how Kong copes.

The images default to the official kong:3.9 and postgres:16-alpine; KONGDB_SIM_KONG_IMAGE and
KONGDB_SIM_POSTGRES_IMAGE select others (make images builds local ones, with nothing pulled).`

const simExample = `  # A three-node traditional cluster, detached, then its addresses
  %[1]s sim up -d --nodes 3
  eval "$(%[1]s sim env)"

  # Hybrid: one control plane and two data planes
  %[1]s sim up -d --name hy --mode hybrid --control-planes 1 --data-planes 2

  # Faults
  %[1]s sim stop node-2 && %[1]s sim start node-2
  %[1]s sim partition node-3 --from db && %[1]s sim heal node-3
  %[1]s sim db down && %[1]s sim db up

  %[1]s sim down --all`

// defaultSimName is the cluster name when none is given.
const defaultSimName = "kongdb"

// SimOptions holds what every sim verb shares: the runtime and the cluster.
type SimOptions struct {
	// Runtime is auto or docker (the local runtime is not implemented yet).
	Runtime string
	Name    string

	// newRuntime opens the runtime; tests replace it.
	newRuntime func(ctx context.Context, name string) (sim.Runtime, error)
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
		Short:   "Run a local database-backed Kong cluster (traditional or hybrid) and inject faults",
		Long:    simLong,
		Example: fmt.Sprintf(simExample, f.CommandName()),
	}
	cmd.PersistentFlags().StringVar(&o.Runtime, "runtime", o.Runtime, "Where clusters run. One of: (auto, docker, local).")
	cmd.AddCommand(
		NewCmdSimUp(f, o, nil),
		NewCmdSimList(o, nil),
		NewCmdSimStatus(o, nil),
		NewCmdSimEnv(o, nil),
		NewCmdSimLogs(o, nil),
		NewCmdSimDown(o, nil),
		NewCmdSimPsql(o, nil),
		NewCmdSimDB(o),
	)
	for _, kind := range []sim.FaultKind{sim.FaultStop, sim.FaultStart, sim.FaultKill, sim.FaultPartition, sim.FaultHeal} {
		cmd.AddCommand(NewCmdSimFault(o, kind, nil))
	}
	return cmd
}

// Validate checks the shared flags.
func (o *SimOptions) Validate() error {
	switch o.Runtime {
	case "auto", "docker":
	case "local":
		return errors.New("--runtime local is not implemented yet: use --runtime docker")
	default:
		return fmt.Errorf("--runtime must be auto, docker or local, got %q", o.Runtime)
	}
	if o.Name == "" {
		return errors.New("cluster name must not be empty")
	}
	return nil
}

// open validates the shared flags and opens the runtime.
func (o *SimOptions) open(ctx context.Context) (sim.Runtime, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return o.newRuntime(ctx, o.Runtime)
}

// openRuntime opens the named runtime; auto is docker until the local runtime lands.
func openRuntime(ctx context.Context, name string) (sim.Runtime, error) {
	rt, err := docker.New(ctx)
	if err != nil {
		return nil, err
	}
	return rt, nil
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

// clusterArg takes the optional NAME argument.
func (o *SimOptions) clusterArg(args []string) {
	if len(args) > 0 {
		o.Name = args[0]
	}
}

// envDefault is the value of an environment variable, or def.
func envDefault(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
