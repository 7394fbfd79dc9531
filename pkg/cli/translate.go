package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

const translateLong = `Print the Kong configuration the Kong Ingress Controller 3.5 would build from Kubernetes
objects, without talking to Kong.

Objects are read from the current cluster (the kubeconfig flags; -n, -A and -l as with
kubectl get), or from manifests with -f/-k without any cluster. They are pre-filtered as
KIC's controllers do: the ingress class (--ingress-class), and Gateway API routes accepted by
a Gateway whose GatewayClass names --gateway-class-controller.

The result goes to stdout. -o deck (the default) prints decK's declarative file (YAML with
_format_version "3.0" and _info.select_tags), which decK can sync. -o yaml and -o json print
kongdb's own state instead: services with their routes nested, plugins at the top level naming
what they attach to, and no _format_version; decK does not read it. In every format, credential
secrets, private keys and plugin configuration taken from Secrets are replaced by <redacted>
(--show-secrets prints them, for a file meant for decK).

Notes about what could not be decided and diagnostics about objects that could not be
translated go to stderr. The exit code is 0 on success, 2 with --strict when some objects were
left out or the cluster could not be read in full, and 1 on errors.`

const translateExample = `  # Translate what the current namespace holds, as decK's declarative file
  %[1]s translate

  # Translate the whole cluster into kongdb's state as JSON, for KIC's own ownership tag
  %[1]s translate -A -o json --ownership-tag managed-by-ingress-controller

  # Translate manifests, without a cluster; fail (exit 2) if anything is left out
  %[1]s translate -f ./manifests -R --strict

  # Write a decK file with the real credentials, to sync with decK
  %[1]s translate -f ./manifests --show-secrets > kong.yaml

  # Translate a kustomization, or manifests piped on stdin
  %[1]s translate -k ./overlays/prod
  cat ./manifests/*.yaml | %[1]s translate -f -`

// TranslateOptions holds the flags of translate.
type TranslateOptions struct {
	// SourceFlags are where the objects come from and which of them are served, shared with
	// sync and diff.
	SourceFlags

	OwnershipTag string
	Output       string
	Strict       bool
	// ShowSecrets prints credential secrets and private keys instead of redacting them.
	ShowSecrets bool
	factory     Factory
	genericiooptions.IOStreams
}

// NewTranslateOptions returns TranslateOptions with KIC's defaults.
func NewTranslateOptions(streams genericiooptions.IOStreams) *TranslateOptions {
	return &TranslateOptions{
		OwnershipTag: translate.DefaultOptions().OwnershipTag,
		Output:       string(kongstate.FormatDeck),
		IOStreams:    streams,
	}
}

// NewCmdTranslate builds translate. runF replaces the run function in tests of flag parsing.
func NewCmdTranslate(f Factory, streams genericiooptions.IOStreams, runF func(*TranslateOptions) error) *cobra.Command {
	o := NewTranslateOptions(streams)
	cmd := &cobra.Command{
		Use:     "translate [-f FILENAME | -k DIR]",
		Short:   "Print the Kong configuration KIC would build from Kubernetes objects",
		Long:    translateLong,
		Example: fmt.Sprintf(translateExample, f.CommandName()),
		Args:    cobra.NoArgs,
		RunE:    runOptions(f, o, runF),
	}
	fl := cmd.Flags()
	o.SourceFlags.AddFlags(fl)
	fl.StringVar(&o.OwnershipTag, "ownership-tag", o.OwnershipTag, "Tag added to every entity and to _info.select_tags (KIC's is managed-by-ingress-controller).")
	fl.StringVarP(&o.Output, "output", "o", o.Output, "Output format. One of: (deck, yaml, json). deck is decK's declarative file; yaml and json are kongdb's own state shape, not a decK file.")
	fl.BoolVar(&o.ShowSecrets, "show-secrets", false, "If true, print credential secrets and private keys instead of redacting them.")
	fl.BoolVar(&o.Strict, "strict", false, "If true, exit with code 2 when some objects were left out or the cluster could not be read in full.")
	return cmd
}

// Complete takes the namespace from the root's -n flag, or from the kubeconfig when reading
// a cluster (manifests need no cluster, so the kubeconfig is not read for them).
func (o *TranslateOptions) Complete(f Factory) error {
	o.factory = f
	return o.SourceFlags.Complete(f)
}

// Validate checks the flags.
func (o *TranslateOptions) Validate(cmd *cobra.Command) error {
	switch kongstate.Format(o.Output) {
	case kongstate.FormatDeck, kongstate.FormatYAML, kongstate.FormatJSON:
	default:
		return usageErrorf(cmd, "--output must be one of: deck, yaml, json (got %q)", o.Output)
	}
	// Empty means no tag here; any other value becomes decK's select_tags, so it must be one tag.
	if o.OwnershipTag != "" {
		if err := admin.ValidateTag(o.OwnershipTag); err != nil {
			return usageErrorf(cmd, "--ownership-tag: %v", err)
		}
	}
	return o.SourceFlags.Validate(cmd)
}

// writeGCPercent is the garbage collector's target while the output is written.
const writeGCPercent = 50

// Run reads, translates and prints.
func (o *TranslateOptions) Run(ctx context.Context) error {
	state, diags, complete, err := o.readAndTranslate(ctx)
	if err != nil {
		return err
	}
	var selectTags []string
	if o.OwnershipTag != "" {
		selectTags = []string{o.OwnershipTag}
	}
	wopts := kongstate.WriteOptions{DeckOptions: kongstate.DeckOptions{SelectTags: selectTags}, ShowSecrets: o.ShowSecrets}
	if os.Getenv("GOGC") == "" {
		// While the output is written the state is all that stays live and every entity's
		// encoding is short-lived garbage: a lower collection target keeps the peak near
		// the state's size for a little CPU (the default lets the heap double first).
		defer debug.SetGCPercent(debug.SetGCPercent(writeGCPercent))
	}
	if err := kongstate.Write(o.Out, state, kongstate.Format(o.Output), wopts); err != nil {
		return err
	}
	printSummary(o.ErrOut, state.Count(), diags, complete)
	if o.Strict && (diags.HasErrors() || !complete) {
		return ErrPartial
	}
	return nil
}

// readAndTranslate reads the objects, prints the reader's notes and the diagnostics, and
// returns the translation and whether the objects were read in full. The objects themselves
// are dropped on return, so that the collector can have them while the output is written.
func (o *TranslateOptions) readAndTranslate(ctx context.Context) (*kongstate.State, translate.Diagnostics, bool, error) {
	snap, err := o.SourceFlags.source(o.factory, o.In).Read(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	for _, n := range snap.Notes {
		fmt.Fprintln(o.ErrOut, "note:", n)
	}

	state, diags := translate.Translate(snap, o.translateOptions(o.OwnershipTag))
	for _, d := range diags {
		fmt.Fprintln(o.ErrOut, d.String())
	}
	return state, diags, snap.Complete, nil
}

func printSummary(w io.Writer, c kongstate.Counts, diags translate.Diagnostics, complete bool) {
	fmt.Fprintf(w, "translated %d services, %d routes, %d upstreams, %d targets, %d plugins, %d consumers, %d certificates",
		c.Services, c.Routes, c.Upstreams, c.Targets, c.Plugins, c.Consumers, c.Certificates)
	if n := len(diags.Errors()); n > 0 {
		fmt.Fprintf(w, "; %d objects or parts left out", n)
	}
	if !complete {
		fmt.Fprint(w, "; the cluster could not be read in full")
	}
	fmt.Fprintln(w)
}
