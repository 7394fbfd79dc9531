package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
	"github.com/kongdb/kubectl-kongdb/pkg/validate"
)

const validateLong = `Check the Kubernetes objects for the mistakes a sync would meet, writing nothing anywhere:

  1. objects that fail translation (a bad annotation, an invalid regex path, a missing Secret);
  2. with a Kong to ask (--kong-admin-url, KONG_ADMIN_URL or --kong-admin-service), every entity
     the sync would create or change, checked by Kong itself (POST /schemas/{entity}/validate and
     /schemas/plugins/validate): a KongPlugin config Kong's schema refuses, an unknown field;
  3. what Kong only checks when it writes but a read predicts: a name, username or ID another
     entity holds, a credential (key-auth key, basic-auth username, ...) another consumer holds,
     a plugin the node does not enable, an Enterprise-only entity on Kong OSS.

Each problem names the Kubernetes object and its field. Secret values are never printed.
Without a Kong only translation is checked, and a note says so.

Exit codes follow diff: 0 no problems, 1 problems, greater than 1 the checks could not run.`

const validateExample = `  # Check the manifests, with the Kong of $KONG_ADMIN_URL, before a sync
  %[1]s validate -f ./manifests

  # Translation alone, without a Kong, as JSON for CI
  KONG_ADMIN_URL= %[1]s validate -f ./manifests -o json`

// errProblems is validate's exit code 1: the checks ran and found problems, already printed.
var errProblems = &exitError{code: 1, err: errors.New("validate found problems"), silent: true}

// ValidateOptions holds the flags of validate.
type ValidateOptions struct {
	Source SourceFlags
	Kong   KongFlags
	Output string

	transport func(http.RoundTripper) http.RoundTripper
	factory   Factory
	genericiooptions.IOStreams
}

// ValidateReport is what -o json|yaml prints.
type ValidateReport struct {
	Problems []validate.Problem `json:"problems"`
	// KongChecked is false when no Kong was given: only translation was checked.
	KongChecked bool     `json:"kongChecked"`
	Notes       []string `json:"notes,omitempty"`
}

// NewCmdValidate builds validate. runF replaces the run function in tests of flag parsing.
func NewCmdValidate(f Factory, streams genericiooptions.IOStreams, runF func(*ValidateOptions) error) *cobra.Command {
	o := &ValidateOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:     "validate [-f FILENAME | -k DIR]",
		Short:   "Find what Kong would refuse before a sync, writing nothing",
		Long:    validateLong,
		Example: fmt.Sprintf(validateExample, f.CommandName()),
		Args:    cobra.NoArgs,
		RunE:    runCheck(f, o, runF),
	}
	fl := cmd.Flags()
	o.Source.AddFlags(fl)
	o.Kong.AddFlags(fl)
	fl.StringVarP(&o.Output, "output", "o", "", "Print the problems as data instead of a table. One of: (json, yaml).")
	return cmd
}

// withKong reports whether a Kong was given to ask.
func (o *ValidateOptions) withKong() bool { return len(o.Kong.URLs) > 0 || o.Kong.AdminService != "" }

// Complete takes the source's namespace (the kubeconfig's, for a cluster) and the Kong flags'
// defaults from the environment.
func (o *ValidateOptions) Complete(f Factory) error {
	o.factory = f
	o.Kong.Complete()
	return o.Source.Complete(f)
}

// Validate checks the flags: diff's, except that a Kong is optional.
func (o *ValidateOptions) Validate(cmd *cobra.Command) error {
	if !o.withKong() {
		if err := o.Source.Validate(cmd); err != nil {
			return err
		}
		if o.Output != "" && o.Output != "json" && o.Output != "yaml" {
			return usageErrorf(cmd, "--output must be one of: json, yaml (got %q)", o.Output)
		}
		return nil
	}
	return validatePlanFlags(cmd, &o.Source, &o.Kong, false, o.Output, "json", "yaml")
}

// Run checks and prints; errProblems when there are problems.
func (o *ValidateOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var (
		rep ValidateReport
		err error
	)
	if o.withKong() {
		warnInsecure(o.ErrOut, &o.Kong)
		rep, err = o.checkWithKong(ctx)
	} else {
		rep, err = o.checkTranslation(ctx)
	}
	if err != nil {
		return diffFailed(err)
	}
	validate.Sort(rep.Problems)
	if rep.Problems == nil {
		rep.Problems = []validate.Problem{}
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(o.ErrOut, "note:", n)
	}
	if o.Output != "" {
		err = printData(o.Out, rep, o.Output)
	} else {
		err = printProblems(o.Out, o.ErrOut, rep.Problems)
	}
	if err != nil {
		return diffFailed(err)
	}
	if len(rep.Problems) > 0 {
		return errProblems
	}
	return nil
}

// checkTranslation reads and translates the objects: all there is to check without a Kong.
func (o *ValidateOptions) checkTranslation(ctx context.Context) (ValidateReport, error) {
	snap, err := o.Source.source(o.factory, o.In).Read(ctx)
	if err != nil {
		return ValidateReport{}, err
	}
	_, diags := translate.Translate(snap, translateOptions(&o.Source, &o.Kong))
	printWarnings(o.ErrOut, diags)
	notes := append(slices.Clip(snap.Notes), "no Kong Admin API (--kong-admin-url, KONG_ADMIN_URL or --kong-admin-service): only translation was checked, not Kong's schemas, conflicts or credentials")
	return ValidateReport{Problems: validate.Translation(diags), Notes: notes}, nil
}

// checkWithKong plans as diff does, then asks Kong about every entity the plan would send.
func (o *ValidateOptions) checkWithKong(ctx context.Context) (ValidateReport, error) {
	cfg, err := engineConfig(o.factory, &o.Source, &o.Kong, false, o.In, o.transport)
	if err != nil {
		return ValidateReport{}, err
	}
	ob, err := cfg.Observe(ctx, nil)
	if err != nil {
		return ValidateReport{}, err
	}
	printWarnings(o.ErrOut, ob.Diagnostics)
	apply.FindConflicts(ctx, apply.NewPool(ob.Cluster.Nodes), ob.Plan, 0)
	kong, err := validate.Kong(ctx, ob.Cluster.Nodes, ob.Plan, 0)
	if err != nil {
		return ValidateReport{}, fmt.Errorf("ask kong to validate: %w", err)
	}
	problems := append(validate.Translation(ob.Diagnostics), validate.Planned(ob.Plan, ob.Refused)...)
	return ValidateReport{Problems: append(problems, kong...), KongChecked: true, Notes: ob.Notes}, nil
}

// printWarnings prints the translation warnings; the errors are problems in the report.
func printWarnings(w io.Writer, diags translate.Diagnostics) {
	for _, d := range diags {
		if d.Severity != translate.SeverityError {
			fmt.Fprintln(w, d.String())
		}
	}
}

// printProblems prints the problems as a table on out, or that there are none on errOut.
func printProblems(out, errOut io.Writer, problems []validate.Problem) error {
	if len(problems) == 0 {
		_, err := fmt.Fprintln(errOut, "no problems found")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OBJECT\tFIELD\tPROBLEM")
	for _, p := range problems {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", dash(p.Object), dash(p.Field), p.Problem)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(errOut, "%d problems found\n", len(problems))
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
