package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// simVerb builds a verb whose run gets the open runtime. A verb whose use
// starts with "[NAME]" takes the cluster name as its argument; it is read
// before the runtime opens, since --runtime auto follows the cluster's state.
func simVerb(o *SimOptions, use, short string, args cobra.PositionalArgs, setup func(*cobra.Command),
	run func(ctx context.Context, rt sim.Runtime, args []string) error) *cobra.Command {
	_, rest, _ := strings.Cut(use, " ")
	takesName := strings.HasPrefix(rest, "[NAME")
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, a []string) error {
			if takesName && len(a) > 0 {
				o.Name = a[0]
			}
			return o.withRuntime(cmd.Context(), func(rt sim.Runtime) error { return run(cmd.Context(), rt, a) })
		},
	}
	if setup != nil {
		setup(cmd)
	}
	return cmd
}

// nameFlag adds --name for verbs whose argument is a member.
func nameFlag(o *SimOptions) func(*cobra.Command) {
	return func(cmd *cobra.Command) { cmd.Flags().StringVar(&o.Name, "name", o.Name, "Name of the cluster.") }
}

// NewCmdSimList builds sim ls. runF replaces the run function in tests.
func NewCmdSimList(o *SimOptions, runF func(*SimOptions) error) *cobra.Command {
	return simVerb(o, "ls", "List the simulated clusters", cobra.NoArgs, nil, func(ctx context.Context, rt sim.Runtime, _ []string) error {
		if runF != nil {
			return runF(o)
		}
		var cs []sim.Cluster
		for _, rt := range o.everyRuntime(ctx, rt) {
			more, err := rt.List(ctx)
			if err != nil {
				return err
			}
			cs = append(cs, more...)
		}
		w := tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tRUNTIME\tMODE\tMEMBERS\tDATABASE\tCREATED")
		for _, c := range cs {
			running := 0
			for _, n := range c.Nodes {
				if n.Running() {
					running++
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%d/%d running\t%s\t%s\n", c.Name, c.Runtime, c.Mode, running, len(c.Nodes),
				c.Postgres.State, c.Created.Local().Format("2006-01-02 15:04:05"))
		}
		return w.Flush()
	})
}

// NewCmdSimStatus builds sim status [NAME] [-o json|yaml|wide].
func NewCmdSimStatus(o *SimOptions, runF func(*SimOptions) error) *cobra.Command {
	var output string
	cmd := simVerb(o, "status [NAME]", "Display a cluster's members, their state and addresses", cobra.MaximumNArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVarP(&output, "output", "o", "", "Output format. One of: (json, yaml, wide).")
		},
		func(ctx context.Context, rt sim.Runtime, args []string) error {
			if runF != nil {
				return runF(o)
			}
			c, err := rt.Get(ctx, o.Name)
			if err != nil {
				return err
			}
			return printCluster(o.Out, c, readControlPlaneView(ctx, c), output)
		})
	return cmd
}

// simStatus is `sim status -o json|yaml`: the cluster, and in hybrid mode how its control
// plane lists the data planes.
type simStatus struct {
	*sim.Cluster
	ControlPlaneView *ControlPlaneView `json:"controlPlaneView,omitempty"`
}

func printCluster(w io.Writer, c *sim.Cluster, view *ControlPlaneView, output string) error {
	switch output {
	case "", "wide":
		if err := printClusterTable(w, c, view, output == "wide"); err != nil || view == nil {
			return err
		}
		return view.print(w)
	case "json", "yaml":
		return printData(w, simStatus{Cluster: c, ControlPlaneView: view}, output)
	}
	return fmt.Errorf("--output must be json, yaml or wide, got %q", output)
}

// printClusterTable prints one row per member, the database first; in hybrid mode (view not
// nil) each data plane also as its control plane lists it.
func printClusterTable(w io.Writer, c *sim.Cluster, view *ControlPlaneView, wide bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "MEMBER\tROLE\tSTATE\tADMIN\tPROXY"
	if view != nil {
		header += "\tCONTROL PLANE SEES"
	}
	if wide {
		header += "\tSTATUS\tPROXY-TLS\tIMAGE\tID\tCUT-FROM"
	}
	fmt.Fprintln(tw, header)
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	db := fmt.Sprintf("db\tdb\t%s\t-\t-", dash(c.Postgres.State))
	if view != nil {
		db += "\t-"
	}
	if wide {
		db += fmt.Sprintf("\t-\t-\tpostgres %s:%d\t-\t-", c.Postgres.Host, c.Postgres.Port)
	}
	fmt.Fprintln(tw, db)
	for _, n := range c.Nodes {
		state := n.State
		if len(n.CutFrom) > 0 {
			state += " (cut from " + strings.Join(n.CutFrom, ",") + ")"
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", n.Name, n.Role, state, dash(n.AdminURL), dash(n.ProxyURL))
		if view != nil {
			seen := "-"
			if n.Role == sim.RoleDP {
				seen = view.memberCell(n.Name)
			}
			row += "\t" + seen
		}
		if wide {
			row += fmt.Sprintf("\t%s\t%s\t%s\t%s\t%s", dash(n.StatusURL), dash(n.ProxySSLURL), n.Image, n.ID, dash(strings.Join(n.CutFrom, ",")))
		}
		fmt.Fprintln(tw, row)
	}
	if c.Kube != nil {
		for _, n := range c.Kube.Members {
			row := fmt.Sprintf("%s\t%s\t%s\t%s\t-", n.Name, n.Role, n.State, dash(n.AdminURL))
			if view != nil {
				row += "\t-"
			}
			if wide {
				row += fmt.Sprintf("\t-\t-\t%s\t%s\t-", n.Image, n.ID)
			}
			fmt.Fprintln(tw, row)
		}
	}
	return tw.Flush()
}

// NewCmdSimEnv builds sim env [NAME]: export lines for scripts.
func NewCmdSimEnv(o *SimOptions, runF func(*SimOptions) error) *cobra.Command {
	return simVerb(o, "env [NAME]", "Print shell export lines: KONG_ADMIN_URL, proxy URLs, the PostgreSQL DSN", cobra.MaximumNArgs(1), nil,
		func(ctx context.Context, rt sim.Runtime, args []string) error {
			if runF != nil {
				return runF(o)
			}
			c, err := rt.Get(ctx, o.Name)
			if err != nil {
				return err
			}
			st, err := sim.LoadState(o.Name)
			if err != nil {
				return fmt.Errorf("%w (the state keeps the database password)", err)
			}
			var admins, proxies, tlsProxies []string
			for _, n := range c.Nodes {
				if n.AdminURL != "" {
					admins = append(admins, n.AdminURL)
				}
				if n.ProxyURL != "" {
					proxies = append(proxies, n.ProxyURL)
				}
				if n.ProxySSLURL != "" {
					tlsProxies = append(tlsProxies, n.ProxySSLURL)
				}
			}
			first := func(s []string) string {
				if len(s) == 0 {
					return ""
				}
				return s[0]
			}
			fmt.Fprintf(o.Out, "export KONG_ADMIN_URL=%s\n", first(admins))
			fmt.Fprintf(o.Out, "export KONG_PROXY_URL=%s\n", first(proxies))
			fmt.Fprintf(o.Out, "export KONGDB_SIM_ADMIN_URLS=%q\n", strings.Join(admins, " "))
			fmt.Fprintf(o.Out, "export KONGDB_SIM_PROXY_URLS=%q\n", strings.Join(proxies, " "))
			fmt.Fprintf(o.Out, "export KONGDB_SIM_PROXY_SSL_URLS=%q\n", strings.Join(tlsProxies, " "))
			fmt.Fprintf(o.Out, "export KONGDB_SIM_PG_DSN=%q\n", c.Postgres.DSN(st.Password))
			if c.Kube != nil {
				fmt.Fprintf(o.Out, "export KUBECONFIG=%q\n", c.Kube.Kubeconfig)
			}
			return nil
		})
}

// NewCmdSimLogs builds sim logs MEMBER [-f].
func NewCmdSimLogs(o *SimOptions, runF func(*SimOptions) error) *cobra.Command {
	var follow bool
	return simVerb(o, "logs MEMBER", "Print a member's logs (db, node-1, cp-1, dp-2, ...)", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			nameFlag(o)(cmd)
			cmd.Flags().BoolVarP(&follow, "follow", "f", false, "If true, keep printing new log lines until interrupted.")
		},
		func(ctx context.Context, rt sim.Runtime, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return rt.Logs(ctx, o.Name, args[0], follow, o.Out)
		})
}

// NewCmdSimDown builds sim down [NAME|--all].
func NewCmdSimDown(o *SimOptions, runF func(*SimOptions) error) *cobra.Command {
	var all bool
	return simVerb(o, "down [NAME|--all]", "Remove a cluster: every container, network and volume with its label", cobra.MaximumNArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&all, "all", false, "If true, remove every simulated cluster.")
		},
		func(ctx context.Context, rt sim.Runtime, args []string) error {
			if runF != nil {
				return runF(o)
			}
			if all && len(args) > 0 {
				return errors.New("give either a cluster NAME or --all, not both")
			}
			if !all {
				return simDown(ctx, o, rt, o.Name)
			}
			for _, rt := range o.everyRuntime(ctx, rt) {
				cs, err := rt.List(ctx)
				if err != nil {
					return err
				}
				for _, c := range cs {
					if err := simDown(ctx, o, rt, c.Name); err != nil {
						return err
					}
				}
			}
			return nil
		})
}

// simDown removes one cluster and its state.
func simDown(ctx context.Context, o *SimOptions, rt sim.Runtime, name string) error {
	// --all takes names from labels and directories, which anyone can write.
	if err := sim.ValidateName(name); err != nil {
		return err
	}
	if err := rt.Down(ctx, name); err != nil {
		return err
	}
	if err := sim.RemoveState(name); err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "✓ cluster %s removed\n", name)
	return nil
}

// everyRuntime is rt and, with --runtime auto, the local runtime next to
// docker, so that ls and down --all see every cluster.
func (o *SimOptions) everyRuntime(ctx context.Context, rt sim.Runtime) []sim.Runtime {
	rts := []sim.Runtime{rt}
	if o.Runtime == "auto" && rt.Name() == "docker" {
		if l, err := o.newRuntime(ctx, "local", o.PGBinDir); err == nil {
			rts = append(rts, l)
		}
	}
	return rts
}

// NewCmdSimPsql builds sim psql [-- ARGS]: psql on the cluster's database.
func NewCmdSimPsql(o *SimOptions, runF func(*SimOptions) error) *cobra.Command {
	return simVerb(o, "psql [-- PSQL-ARGS...]", "Run psql on the cluster's database (stdin is passed through)", cobra.ArbitraryArgs, nameFlag(o),
		func(ctx context.Context, rt sim.Runtime, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return rt.Psql(ctx, o.Name, args, o.In, o.Out, o.ErrOut)
		})
}

// NewCmdSimFault builds one fault verb: stop, start, kill, partition or heal MEMBER.
func NewCmdSimFault(o *SimOptions, kind sim.FaultKind, runF func(*SimOptions, sim.Fault) error) *cobra.Command {
	short := map[sim.FaultKind]string{
		sim.FaultStop:      "Stop a member gracefully (its container or process stays, ready to start)",
		sim.FaultStart:     "Start a stopped or killed member and wait until it serves",
		sim.FaultKill:      "Kill a member at once (SIGKILL)",
		sim.FaultPartition: "Cut a member off the database (nodes, control planes) or the control planes (data planes)",
		sim.FaultHeal:      "Reconnect a partitioned member",
	}[kind]
	var from string
	return simVerb(o, string(kind)+" MEMBER", short, cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			nameFlag(o)(cmd)
			if kind == sim.FaultPartition {
				cmd.Flags().StringVar(&from, "from", "", "What to cut the member off. One of: (db, cp); default db for nodes and control planes, cp for data planes.")
			}
		},
		func(ctx context.Context, rt sim.Runtime, args []string) error {
			f := sim.Fault{Kind: kind, Member: args[0], From: from}
			if runF != nil {
				return runF(o, f)
			}
			if err := rt.Fault(ctx, o.Name, f); err != nil {
				return err
			}
			fmt.Fprintf(o.ErrOut, "✓ %s %s\n", kind, args[0])
			return nil
		})
}

// NewCmdSimDB builds sim db down|up: stop and start PostgreSQL.
func NewCmdSimDB(o *SimOptions) *cobra.Command {
	return simVerb(o, "db down|up", "Take the cluster's PostgreSQL down or bring it back", cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs), func(cmd *cobra.Command) {
		cmd.ValidArgs = []string{"down", "up"}
		nameFlag(o)(cmd)
	}, func(ctx context.Context, rt sim.Runtime, args []string) error {
		kind := sim.FaultStop
		if args[0] == "up" {
			kind = sim.FaultStart
		}
		if err := rt.Fault(ctx, o.Name, sim.Fault{Kind: kind, Member: "db"}); err != nil {
			return err
		}
		fmt.Fprintf(o.ErrOut, "✓ db %s\n", args[0])
		return nil
	})
}
