package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/report"
)

const diffLong = `Show what sync would change in Kong: one unified diff per entity, between the entity as Kong
holds it and as it would be, with credentials, passwords, private keys and plugin configuration
from Secrets redacted. Coloured on a terminal.

Exit codes follow kubectl diff: 0 no differences, 1 differences, greater than 1 an error.`

const diffExample = `  # What would a sync of the current namespace change in the Kong of $KONG_ADMIN_URL?
  %[1]s diff

  # The plan for every namespace as JSON, for scripts
  %[1]s diff -A -o json`

// ErrDifferences is diff's exit code 1: it ran and Kong differs from Kubernetes.
var ErrDifferences = errors.New("kong differs from the desired state")

// DiffOptions holds the flags of diff.
type DiffOptions struct {
	Source SourceFlags
	Kong   KongFlags
	Prune  bool
	Output string
	// Colour forces colours on (true) or off (false); nil colours on a terminal.
	Colour *bool

	transport func(http.RoundTripper) http.RoundTripper
	factory   Factory
	genericiooptions.IOStreams
}

// NewCmdDiff builds diff. runF replaces the run function in tests of flag parsing.
func NewCmdDiff(f Factory, streams genericiooptions.IOStreams, runF func(*DiffOptions) error) *cobra.Command {
	o := &DiffOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:     "diff [-f FILENAME | -k DIR]",
		Short:   "Diff Kong against what a sync would write",
		Long:    diffLong,
		Example: fmt.Sprintf(diffExample, f.CommandName()),
		Args:    cobra.NoArgs,
		RunE:    runCheck(f, o, runF),
	}
	fl := cmd.Flags()
	o.Source.AddFlags(fl)
	o.Kong.AddFlags(fl)
	fl.BoolVar(&o.Prune, "prune", false, "If true, with -f/-k show the deletes of owned entities the manifests no longer hold.")
	fl.StringVarP(&o.Output, "output", "o", "", "Print the plan instead of diffs. One of: (json, yaml).")
	return cmd
}

// Complete takes the source's namespace (the kubeconfig's, for a cluster) and the Kong flags'
// defaults from the environment.
func (o *DiffOptions) Complete(f Factory) error {
	o.factory = f
	o.Kong.Complete()
	return o.Source.Complete(f)
}

// Validate checks the flags.
func (o *DiffOptions) Validate(cmd *cobra.Command) error {
	return validatePlanFlags(cmd, &o.Source, &o.Kong, o.Prune, o.Output, "json", "yaml")
}

// Run plans and prints; ErrDifferences when there is anything to do.
func (o *DiffOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	warnInsecure(o.ErrOut, &o.Kong)
	cfg, err := engineConfig(o.factory, &o.Source, &o.Kong, o.Prune, o.In, o.transport)
	if err != nil {
		return diffFailed(err)
	}
	ob, err := cfg.Observe(ctx, nil)
	if err != nil {
		return diffFailed(err)
	}
	printObservation(o.ErrOut, ob)
	apply.FindConflicts(ctx, apply.NewPool(ob.Cluster.Nodes), ob.Plan, 0)
	if o.Output != "" {
		err = report.WritePlan(o.Out, ob.Plan, o.Output)
	} else {
		colour := isTerminal(o.Out)
		if o.Colour != nil {
			colour = *o.Colour
		}
		err = report.WriteDiff(o.Out, ob.Plan, colour)
	}
	if err != nil {
		return diffFailed(err)
	}
	if !ob.Plan.Empty() {
		return ErrDifferences
	}
	return nil
}
