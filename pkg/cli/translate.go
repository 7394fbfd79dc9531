package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
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
  kustomize build . | %[1]s translate -f -`

// TranslateOptions holds the flags of translate.
type TranslateOptions struct {
	Filenames     []string
	Kustomize     string
	Recursive     bool
	AllNamespaces bool
	Selector      string

	IngressClass           string
	GatewayClassController string
	OwnershipTag           string
	Output                 string
	Strict                 bool
	// ShowSecrets prints credential secrets and private keys instead of redacting them.
	ShowSecrets bool
	// CombinedServices is KIC's --combined-services-from-different-httproutes (default false).
	CombinedServices bool

	// namespace and explicitNamespace come from the root's -n (Complete).
	namespace         string
	explicitNamespace bool
	factory           Factory
	genericiooptions.IOStreams
}

// NewTranslateOptions returns TranslateOptions with KIC's defaults.
func NewTranslateOptions(streams genericiooptions.IOStreams) *TranslateOptions {
	return &TranslateOptions{
		IngressClass:           source.DefaultIngressClass,
		GatewayClassController: source.DefaultGatewayClassController,
		OwnershipTag:           translate.DefaultOptions().OwnershipTag,
		Output:                 string(kongstate.FormatDeck),
		IOStreams:              streams,
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(f); err != nil {
				return err
			}
			if err := o.Validate(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVarP(&o.Filenames, "filename", "f", nil, "Files, directories or URLs of manifests to translate instead of the cluster; - reads stdin.")
	fl.StringVarP(&o.Kustomize, "kustomize", "k", "", "Kustomization directory to render and translate instead of the cluster.")
	fl.BoolVarP(&o.Recursive, "recursive", "R", false, "If true, process the directories given with -f recursively.")
	fl.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "If true, read objects of every namespace instead of the current one.")
	fl.StringVarP(&o.Selector, "selector", "l", "", "Label selector for the objects that make routes and consumers (Ingress, Gateway API routes, TCP/UDPIngress, KongConsumer, KongConsumerGroup).")
	fl.StringVar(&o.IngressClass, "ingress-class", o.IngressClass, "Ingress class served, as KIC's --ingress-class.")
	fl.StringVar(&o.GatewayClassController, "gateway-class-controller", o.GatewayClassController, "GatewayClass controllerName served; routes of Gateways of other classes are left out.")
	fl.StringVar(&o.OwnershipTag, "ownership-tag", o.OwnershipTag, "Tag added to every entity and to _info.select_tags (KIC's is managed-by-ingress-controller).")
	fl.StringVarP(&o.Output, "output", "o", o.Output, "Output format. One of: (deck, yaml, json). deck is decK's declarative file; yaml and json are kongdb's own state shape, not a decK file.")
	fl.BoolVar(&o.CombinedServices, "combined-services-from-different-httproutes", false, "If true, rules of different HTTPRoutes in one namespace with the same backends share one Kong service, as KIC's flag of that name.")
	fl.BoolVar(&o.ShowSecrets, "show-secrets", false, "If true, print credential secrets and private keys instead of redacting them.")
	fl.BoolVar(&o.Strict, "strict", false, "If true, exit with code 2 when some objects were left out or the cluster could not be read in full.")
	return cmd
}

// Complete takes the namespace from the root's -n flag, or from the kubeconfig when reading
// a cluster.
func (o *TranslateOptions) Complete(f Factory) error {
	o.factory = f
	if ns := f.ConfigFlags().Namespace; ns != nil && *ns != "" {
		o.namespace, o.explicitNamespace = *ns, true
		return nil
	}
	if o.fromManifests() {
		// Manifests need no cluster, so the kubeconfig is not read for them.
		o.namespace = "default"
		return nil
	}
	ns, _, err := f.ConfigFlags().ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return fmt.Errorf("find the current namespace in the kubeconfig: %w", err)
	}
	o.namespace = ns
	return nil
}

func (o *TranslateOptions) fromManifests() bool { return len(o.Filenames) > 0 || o.Kustomize != "" }

// Validate checks the flags.
func (o *TranslateOptions) Validate(cmd *cobra.Command) error {
	switch kongstate.Format(o.Output) {
	case kongstate.FormatDeck, kongstate.FormatYAML, kongstate.FormatJSON:
	default:
		return usageErrorf(cmd, "--output must be one of: deck, yaml, json (got %q)", o.Output)
	}
	if len(o.Filenames) > 0 && o.Kustomize != "" {
		return usageErrorf(cmd, "-f and -k cannot be used together")
	}
	if o.Recursive && len(o.Filenames) == 0 {
		return usageErrorf(cmd, "-R needs -f")
	}
	if o.AllNamespaces && o.fromManifests() {
		return usageErrorf(cmd, "-A reads a cluster; it cannot be used with -f or -k")
	}
	if o.AllNamespaces && o.explicitNamespace {
		return usageErrorf(cmd, "-A and -n cannot be used together")
	}
	if o.IngressClass == "" {
		return usageErrorf(cmd, "--ingress-class must not be empty")
	}
	if o.GatewayClassController == "" {
		return usageErrorf(cmd, "--gateway-class-controller must not be empty")
	}
	return nil
}

// Run reads, translates and prints.
func (o *TranslateOptions) Run(ctx context.Context) error {
	filter := source.Options{IngressClass: o.IngressClass, GatewayClassController: o.GatewayClassController}
	var (
		snap *source.Snapshot
		err  error
	)
	if o.fromManifests() {
		snap, err = source.ReadManifests(ctx, source.ManifestInput{
			Filenames: o.Filenames, Kustomize: o.Kustomize, Recursive: o.Recursive,
			Namespace: o.namespace, Stdin: o.In, Selector: o.Selector,
		}, filter)
	} else {
		ns := o.namespace
		if o.AllNamespaces {
			ns = ""
		}
		snap, err = source.ReadCluster(ctx, o.factory.RESTClientGetter(), source.ClusterInput{
			Namespace: ns, Selector: o.Selector,
		}, filter)
	}
	if err != nil {
		return err
	}
	for _, n := range snap.Notes {
		fmt.Fprintln(o.ErrOut, "note:", n)
	}

	topts := translate.DefaultOptions()
	topts.IngressClass = o.IngressClass
	topts.ControllerName = o.GatewayClassController
	topts.OwnershipTag = o.OwnershipTag
	topts.CombinedServicesFromDifferentHTTPRoutes = o.CombinedServices
	topts.Now = time.Now()
	state, diags := translate.Translate(snap, topts)
	for _, d := range diags {
		fmt.Fprintln(o.ErrOut, d.String())
	}

	var selectTags []string
	if o.OwnershipTag != "" {
		selectTags = []string{o.OwnershipTag}
	}
	wopts := kongstate.WriteOptions{DeckOptions: kongstate.DeckOptions{SelectTags: selectTags}, ShowSecrets: o.ShowSecrets}
	if err := kongstate.Write(o.Out, state, kongstate.Format(o.Output), wopts); err != nil {
		return err
	}
	printSummary(o.ErrOut, state.Count(), diags, snap.Complete)
	if o.Strict && (diags.HasErrors() || !snap.Complete) {
		return ErrPartial
	}
	return nil
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
