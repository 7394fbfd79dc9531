package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kongdb/kubectl-kongdb/sim"
)

const simUpLong = `Bring a cluster up: PostgreSQL, one kong migrations bootstrap, then the Kong nodes (traditional)
or control planes and data planes (hybrid), each waited for until it serves; in hybrid mode
until the control plane lists every data plane in sync. Admin and proxy ports are published on
127.0.0.1 only and printed.

With --kubernetes the cluster also gets a Kubernetes (local runtime only for now): etcd,
kube-apiserver, kube-controller-manager and a node agent that runs Pods of the echo images, with
Kong laid out as KIC's chart would (namespace kong, Services kong-proxy and kong-admin);
` + "`sim env`" + ` exports its KUBECONFIG. It needs ` + "`hack/kube-assets.sh --kubernetes`" + `'s binaries on
PATH or in KUBEBUILDER_ASSETS, and root (Pods get addresses outside 127.0.0.0/8, which the API
server requires of EndpointSlices).

In the foreground the command keeps a compact view of the members and tears the cluster down
on Ctrl-C; with -d it returns once the cluster is ready and the cluster stays.`

// SimUpOptions holds the flags of sim up.
type SimUpOptions struct {
	*SimOptions
	Mode          string
	Nodes         int
	ControlPlanes int
	DataPlanes    int
	KongImage     string
	DPImage       string
	PostgresImage string
	KongEnv       []string
	EnvFile       string
	Pull          string
	Detach        bool
	// Kubernetes adds the simulator's Kubernetes (sim/kube).
	Kubernetes bool
	// Refresh is the live view's poll interval in the foreground.
	Refresh time.Duration

	spec sim.Spec
}

// NewCmdSimUp builds sim up. runF replaces the run function in tests of flag parsing.
func NewCmdSimUp(f Factory, so *SimOptions, runF func(*SimUpOptions) error) *cobra.Command {
	o := &SimUpOptions{SimOptions: so, Mode: string(sim.Traditional), Nodes: 1, ControlPlanes: 1, DataPlanes: 2,
		KongImage:     envDefault("KONGDB_SIM_KONG_IMAGE", sim.DefaultKongImage),
		PostgresImage: envDefault("KONGDB_SIM_POSTGRES_IMAGE", sim.DefaultPostgresImage),
		Pull:          string(sim.PullMissing), Refresh: 3 * time.Second}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Bring a simulated Kong cluster up",
		Long:  simUpLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(cmd); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Name, "name", o.Name, "Name of the cluster.")
	fl.StringVar(&o.Mode, "mode", o.Mode, "Topology. One of: (traditional, hybrid).")
	fl.IntVar(&o.Nodes, "nodes", o.Nodes, "Number of traditional nodes.")
	fl.IntVar(&o.ControlPlanes, "control-planes", o.ControlPlanes, "Number of hybrid control planes.")
	fl.IntVar(&o.DataPlanes, "data-planes", o.DataPlanes, "Number of hybrid data planes.")
	fl.StringVar(&o.KongImage, "kong-image", o.KongImage, "Kong image (default from KONGDB_SIM_KONG_IMAGE).")
	fl.StringVar(&o.DPImage, "dp-image", "", "Image of the data planes, for mixed versions (default: --kong-image).")
	fl.StringVar(&o.PostgresImage, "postgres-image", o.PostgresImage, "PostgreSQL image (default from KONGDB_SIM_POSTGRES_IMAGE).")
	fl.StringArrayVar(&o.KongEnv, "kong-env", nil, "KONG_*=VALUE added to every Kong container; repeatable, wins over the simulator's settings.")
	fl.StringVar(&o.EnvFile, "env-file", "", "File of KONG_*=VALUE lines added to every Kong container (# comments allowed).")
	fl.StringVar(&o.Pull, "pull", o.Pull, "When to pull images. One of: (always, missing, never).")
	fl.BoolVarP(&o.Detach, "detach", "d", false, "If true, return once the cluster is ready and leave it running.")
	fl.BoolVar(&o.Kubernetes, "kubernetes", false, "If true, add a Kubernetes (etcd, kube-apiserver, kube-controller-manager, a node agent) with Kong laid out in it; local runtime only.")
	return cmd
}

// Complete builds the spec from the flags and the env file.
func (o *SimUpOptions) Complete(cmd *cobra.Command) error {
	env := map[string]string{}
	if o.EnvFile != "" {
		lines, err := readLines(o.EnvFile)
		if err != nil {
			return fmt.Errorf("--env-file %s: %w", o.EnvFile, err)
		}
		if err := sim.ParseEnv(lines, env, "--env-file "+o.EnvFile); err != nil {
			return err
		}
	}
	if err := sim.ParseEnv(o.KongEnv, env, "--kong-env"); err != nil {
		return err
	}
	o.spec = sim.Spec{Name: o.Name, Mode: sim.Mode(o.Mode), KongImage: o.KongImage, DPImage: o.DPImage,
		PostgresImage: o.PostgresImage, Pull: sim.PullPolicy(o.Pull), KongEnv: env, Kubernetes: o.Kubernetes}
	if o.Kubernetes && o.Runtime == "auto" {
		o.Runtime = "local" // the docker runtime has no Kubernetes yet
	}
	if o.spec.Mode == sim.Traditional {
		o.spec.Nodes = o.Nodes
		if cmd.Flags().Changed("control-planes") || cmd.Flags().Changed("data-planes") {
			return usageErrorf(cmd, "--control-planes and --data-planes need --mode hybrid")
		}
	} else {
		o.spec.ControlPlanes, o.spec.DataPlanes = o.ControlPlanes, o.DataPlanes
		if cmd.Flags().Changed("nodes") {
			return usageErrorf(cmd, "--nodes needs --mode traditional; hybrid clusters use --control-planes and --data-planes")
		}
	}
	return nil
}

// Validate checks the spec and the shared flags.
func (o *SimUpOptions) Validate() error {
	if err := o.SimOptions.Validate(); err != nil {
		return err
	}
	return o.spec.Validate()
}

// Spec is the cluster the flags ask for (after Complete).
func (o *SimUpOptions) Spec() sim.Spec { return o.spec }

// Run brings the cluster up; in the foreground it then watches it until
// Ctrl-C and takes it down.
func (o *SimUpOptions) Run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return o.withRuntime(ctx, func(rt sim.Runtime) error {
		st, err := sim.PrepareState(o.spec, rt.Name())
		if err != nil {
			return err
		}
		start := time.Now()
		c, err := rt.Up(ctx, o.spec, st, func(line string) { fmt.Fprintf(o.ErrOut, "• %s\n", line) })
		if err != nil {
			return err
		}
		fmt.Fprintf(o.ErrOut, "✓ cluster %s is ready in %s\n", c.Name, time.Since(start).Round(100*time.Millisecond))
		if err := printClusterTable(o.Out, c, nil, false); err != nil {
			return err
		}
		if c.Kube != nil {
			fmt.Fprintf(o.ErrOut, "kubernetes: %s (KUBECONFIG=%s); Kong is in namespace kong\n", c.Kube.Server, c.Kube.Kubeconfig)
		}
		if o.Detach {
			fmt.Fprintf(o.ErrOut, "addresses for scripts: eval \"$(kongdb sim env %s)\"; remove it with: kongdb sim down %s\n", c.Name, c.Name)
			return nil
		}
		fmt.Fprintln(o.ErrOut, "watching the cluster; Ctrl-C takes it down")
		o.watch(ctx, rt, c)
		fmt.Fprintf(o.ErrOut, "• taking cluster %s down\n", c.Name)
		if err := rt.Down(context.WithoutCancel(ctx), c.Name); err != nil {
			return err
		}
		return sim.RemoveState(c.Name)
	})
}

// watch reprints the member table whenever a member's state changes.
func (o *SimUpOptions) watch(ctx context.Context, rt sim.Runtime, last *sim.Cluster) {
	t := time.NewTicker(o.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, err := rt.Get(ctx, last.Name)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintf(o.ErrOut, "! %v\n", err)
			}
			continue
		}
		if !reflect.DeepEqual(c.Nodes, last.Nodes) || c.Postgres != last.Postgres {
			fmt.Fprintf(o.Out, "\n%s\n", time.Now().Format(time.TimeOnly))
			_ = printClusterTable(o.Out, c, nil, false)
			last = c
		}
	}
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}
