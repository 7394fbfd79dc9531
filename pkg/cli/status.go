package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/tui"
)

const statusLong = `Show whether every Kong node or data plane serves what Kubernetes says, and if not, which
object and why.

On a terminal, status is a live view refreshed every --refresh: the Cluster (traditional
nodes, or the control planes and each data plane's config hash, lag and certificate), the
Drift between Kubernetes and Kong per entity type (enter shows one entity field by field,
secrets redacted), the Problems (translation diagnostics and the last sync's failures), and
the last Sync's record as Kong keeps it. Keys: tab or 1-4 switch views, / filters, enter
opens, esc goes back, r refreshes, ? shows help, q quits. It never writes to Kong.

When stdout is not a terminal, or with -o, status observes once and prints a table (tab-
separated when piped), a wider table (-o wide), or the whole observation as JSON or YAML.

With --exit-code, the exit code is 1 when Kong differs from Kubernetes, when some node or data
plane does not serve the last sync, or when either side could not be read to tell.`

const statusExample = `  # Watch the cluster while rolling out (a live view on a terminal, a table when piped)
  %[1]s status --kong-proxy-url "$KONG_PROXY_URL"

  # Fail a CI job when Kong has drifted or a node has not converged
  %[1]s status -o wide --exit-code --kong-proxy-url "$KONG_PROXY_URL"

  # The whole observation, for scripts
  %[1]s status -o json`

// StatusOptions holds the flags of status.
type StatusOptions struct {
	Source SourceFlags
	Kong   KongFlags
	// ProxyURLs are the proxies of the --kong-admin-url nodes, in the same order, asked for
	// the sync marker.
	ProxyURLs []string
	Refresh   time.Duration
	Output    string
	ExitCode  bool

	factory Factory
	genericiooptions.IOStreams
}

// NewStatusOptions returns StatusOptions with the defaults: a 2 s refresh, as k9s's.
func NewStatusOptions(streams genericiooptions.IOStreams) *StatusOptions {
	return &StatusOptions{Refresh: tui.DefaultStatusOptions().Refresh, IOStreams: streams}
}

// NewCmdStatus builds status. runF replaces the run function in tests of flag parsing.
func NewCmdStatus(f Factory, streams genericiooptions.IOStreams, runF func(*StatusOptions) error) *cobra.Command {
	o := NewStatusOptions(streams)
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Display whether every Kong node serves the last sync, and what has drifted",
		Long:    statusLong,
		Example: fmt.Sprintf(statusExample, f.CommandName()),
		Args:    cobra.NoArgs,
		RunE:    runOptions(f, o, runF),
	}
	fl := cmd.Flags()
	o.Source.AddFlags(fl)
	o.Kong.AddFlags(fl)
	fl.StringArrayVar(&o.ProxyURLs, "kong-proxy-url", nil, "Proxy URL of each --kong-admin-url node, in the same order, asked whether it serves the last sync.")
	fl.DurationVar(&o.Refresh, "refresh", o.Refresh, "Time between two observations of the live view.")
	fl.StringVarP(&o.Output, "output", "o", "", "Output format, instead of the live view. One of: (wide, json, yaml).")
	fl.BoolVar(&o.ExitCode, "exit-code", false, "If true, exit with code 1 when Kong differs from Kubernetes or some node has not converged.")
	return cmd
}

// Complete keeps the factory the collector is built from and completes the source and Kong flags.
func (o *StatusOptions) Complete(f Factory) error {
	o.factory = f
	o.Kong.Complete()
	return o.Source.Complete(f)
}

// Validate checks the flags.
func (o *StatusOptions) Validate(cmd *cobra.Command) error {
	if err := o.Source.Validate(cmd); err != nil {
		return err
	}
	if err := o.Kong.Validate(cmd); err != nil {
		return err
	}
	if len(o.ProxyURLs) > len(o.Kong.URLs) {
		return usageErrorf(cmd, "--kong-proxy-url is given %d times for %d --kong-admin-url nodes: one per node, in the same order", len(o.ProxyURLs), len(o.Kong.URLs))
	}
	valid := false
	names := make([]string, len(status.Formats))
	for i, f := range status.Formats {
		names[i] = string(f)
		valid = valid || o.Output == string(f)
	}
	if o.Output != "" && !valid {
		return usageErrorf(cmd, "--output must be one of: %s (got %q)", strings.Join(names, ", "), o.Output)
	}
	if o.Refresh < 100*time.Millisecond {
		return usageErrorf(cmd, "--refresh must be at least 100ms (got %s)", o.Refresh)
	}
	return nil
}

// Run observes the cluster: live on a terminal, once otherwise.
func (o *StatusOptions) Run(ctx context.Context) error {
	warnInsecure(o.ErrOut, &o.Kong)
	c, err := o.collector()
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	return o.run(ctx, c)
}

// collector is the live collector of the flags: the engine's source, translation and Kong.
func (o *StatusOptions) collector() (*status.Live, error) {
	cfg, err := engineConfig(o.factory, &o.Source, &o.Kong, false, o.In, nil)
	if err != nil {
		return nil, err
	}
	return status.NewLive(cfg, o.Kong.URLs, o.ProxyURLs, o.sourceOf()), nil
}

// sourceOf names the source before it is read: the manifests, or the kubeconfig's context.
func (o *StatusOptions) sourceOf() status.Source {
	if o.Source.fromManifests() {
		m := o.Source.Filenames
		if o.Source.Kustomize != "" {
			m = []string{o.Source.Kustomize}
		}
		return status.Source{Kind: status.SourceManifests, Manifests: m}
	}
	s := status.Source{Kind: status.SourceCluster}
	if cf := o.factory.ConfigFlags(); cf != nil {
		if cf.Context != nil && *cf.Context != "" {
			s.Context = *cf.Context
		} else if raw, err := cf.ToRawKubeConfigLoader().RawConfig(); err == nil {
			s.Context = raw.CurrentContext
		}
	}
	return s
}

// run is status over any collector: the live view when both ends are a terminal and no -o was
// given, else one observation printed.
func (o *StatusOptions) run(ctx context.Context, c status.Collector) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var (
		r   *status.Report
		err error
	)
	if o.Output == "" && isTerminal(o.In) && isTerminal(o.Out) {
		r, err = tui.RunStatus(ctx, c, tui.StatusOptions{Refresh: o.Refresh}, o.In, o.Out)
	} else {
		r, err = c.Collect(ctx)
		if err == nil {
			err = status.Print(o.Out, r, status.PrintOptions{Format: status.Format(o.Output), Aligned: isTerminal(o.Out)})
		}
	}
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if !o.ExitCode {
		return nil
	}
	if r == nil {
		return errors.New("cannot tell whether kong has drifted: no observation was made")
	}
	if why := r.DriftUnavailable(); why != "" {
		return fmt.Errorf("cannot tell whether kong has drifted: %s", why)
	}
	if r.Diverged() {
		return ErrDiverged
	}
	return nil
}

// isTerminal reports whether the stream is a terminal; injected test streams never are.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
