package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kongdb/kubectl-kongdb/pkg/install"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

const installLong = `Print, or apply, the manifests that run kongdb in the cluster: a Deployment of
"sync --watch" (leader-elected replicas, one writer) in the kongdb/kubectl-kongdb image, its
ServiceAccount, least-privilege RBAC and a PodDisruptionBudget, for the Kong its Admin API URL
(--kong-admin-url) or its admin Service (--kong-admin-service NAMESPACE/NAME) names.

The RBAC grants, and nothing more: get, list and watch on every kind sync reads (cluster-wide,
Secrets included: they hold certificates and credentials; they are never written); get and
update on the status of the kinds whose status is written; create and patch on Events; and,
in the installation's namespace only, get, create, update and delete on Leases (the sync lock
and leader election). docs/install.md explains each verb.

Everything namespaced goes into -n (default ` + install.DefaultNamespace + `). With --apply the objects are
applied server-side through the kubeconfig's cluster, with field manager ` + install.FieldManager + `;
the same command run again updates them.`

const installExample = `  # Print the manifests for the Kong whose Admin API is the Service kong/kong-admin
  %[1]s install --kong-admin-service kong/kong-admin > kongdb.yaml

  # Install into the current cluster, for an Admin API URL, in namespace kong
  %[1]s install -n kong --kong-admin-url http://kong-admin.kong:8001 --apply

  # Take over what KIC managed: the same ownership tag, one replica, a pinned image
  %[1]s install --kong-admin-service kong/kong-admin --ownership-tag managed-by-ingress-controller --replicas 1 --image registry.example.com/kongdb/kubectl-kongdb:v1.0.0 -o json`

// InstallOptions holds the flags of install.
type InstallOptions struct {
	Options install.Options
	Output  string
	// Apply server-side applies the objects instead of printing them; ForceConflicts takes
	// over fields another manager set.
	Apply          bool
	ForceConflicts bool

	factory Factory
	genericiooptions.IOStreams
}

// NewInstallOptions returns InstallOptions with the defaults.
func NewInstallOptions(streams genericiooptions.IOStreams) *InstallOptions {
	return &InstallOptions{
		Options: install.Options{Name: install.DefaultName, Replicas: install.DefaultReplicas,
			OwnershipTag: translate.DefaultOptions().OwnershipTag},
		Output:    "yaml",
		IOStreams: streams,
	}
}

// NewCmdInstall builds install. runF replaces the run function in tests of flag parsing.
func NewCmdInstall(f Factory, streams genericiooptions.IOStreams, runF func(*InstallOptions) error) *cobra.Command {
	o := NewInstallOptions(streams)
	cmd := &cobra.Command{
		Use:     "install --kong-admin-url URL | --kong-admin-service NAMESPACE/NAME",
		Short:   "Print or apply the manifests that run sync --watch in the cluster",
		Long:    installLong,
		Example: fmt.Sprintf(installExample, f.CommandName()),
		Args:    cobra.NoArgs,
		RunE:    runOptions(f, o, runF),
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Options.KongAdminURLs, "kong-admin-url", nil, "Admin API URL of a Kong node, as the pods reach it; repeat for every node.")
	fl.StringVar(&o.Options.KongAdminService, "kong-admin-service", "", "NAMESPACE/NAME of the Service whose ready endpoints are the Admin APIs, reached directly from the pods.")
	fl.StringVar(&o.Options.KongAdminTokenSecret, "kong-admin-token-secret", "", "NAME or NAME:KEY (key "+install.DefaultTokenKey+
		" by default) of a Secret in the installation's namespace holding the Admin API's RBAC token, given to the pods as KONG_ADMIN_TOKEN.")
	fl.StringVar(&o.Options.OwnershipTag, "ownership-tag", o.Options.OwnershipTag, "Tag that marks the entities the installation owns in Kong (KIC's is managed-by-ingress-controller).")
	fl.StringVar(&o.Options.Image, "image", "", "Image of the container (default "+install.ImageRepository+":<this version's tag, or "+install.DevTag+" for a build from source>).")
	fl.Int32Var(&o.Options.Replicas, "replicas", o.Options.Replicas, "Replicas of the Deployment; leader election keeps one writer, the others stand by.")
	fl.StringVar(&o.Options.Name, "name", o.Options.Name, "Name of the objects; the cluster-scoped ones are NAME-NAMESPACE.")
	fl.StringVarP(&o.Output, "output", "o", o.Output, "Output format. One of: (yaml, json).")
	fl.BoolVar(&o.Apply, "apply", false, "If true, apply the objects server-side through the kubeconfig's cluster instead of printing them.")
	fl.BoolVar(&o.ForceConflicts, "force-conflicts", false, "If true, with --apply take over fields another field manager set (kubectl apply --server-side's flag).")
	return cmd
}

// Complete takes the namespace from -n (the kubeconfig's namespace is not used: the default
// is kongdb's own) and the version for the default image.
func (o *InstallOptions) Complete(f Factory) error {
	o.factory = f
	o.Options.Namespace = install.DefaultNamespace
	if ns := f.ConfigFlags().Namespace; ns != nil && *ns != "" {
		o.Options.Namespace = *ns
	}
	o.Options.Version = CurrentVersion().Version
	if o.Options.Image == "" {
		o.Options.Image = install.ImageRepository + ":" + install.ImageTag(o.Options.Version)
	}
	// Not Options.Defaults: it would take an explicit --replicas 0 for unset.
	return nil
}

// installFlags names the flag of each install.Options option.
var installFlags = map[string]string{"namespace": "--namespace (-n)"}

// Validate checks the flags, wording pkg/install's refusals with the flag's name.
func (o *InstallOptions) Validate(cmd *cobra.Command) error {
	if o.Output != "yaml" && o.Output != "json" {
		return usageErrorf(cmd, "--output %q: want yaml or json", o.Output)
	}
	if o.ForceConflicts && !o.Apply {
		return usageErrorf(cmd, "--force-conflicts only applies with --apply")
	}
	if err := o.Options.Validate(); err != nil {
		var oe *install.OptionError
		if errors.As(err, &oe) {
			flag := installFlags[oe.Option]
			if flag == "" {
				flag = "--" + oe.Option
			}
			return usageErrorf(cmd, "%s", oe.Worded(flag))
		}
		return usageErrorf(cmd, "%v", err)
	}
	return nil
}

// Run prints the manifests, or applies them.
func (o *InstallOptions) Run(ctx context.Context) error {
	objs, err := install.Objects(o.Options)
	if err != nil {
		return err
	}
	if o.Apply {
		return o.apply(ctx, objs)
	}
	var out []byte
	if o.Output == "json" {
		out, err = install.JSON(objs)
	} else {
		out, err = install.YAML(objs)
	}
	if err != nil {
		return err
	}
	_, err = o.Out.Write(out)
	return err
}

// apply server-side applies every object in order, printing one line each as kubectl does.
// It stops at the first refusal: a Deployment applied without its RBAC would only crash.
func (o *InstallOptions) apply(ctx context.Context, objs []client.Object) error {
	getter := o.factory.RESTClientGetter()
	cfg, err := getter.ToRESTConfig()
	if err != nil {
		return fmt.Errorf("install --apply: kubeconfig: %w", err)
	}
	mapper, err := getter.ToRESTMapper()
	if err != nil {
		return fmt.Errorf("install --apply: discovery: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("install --apply: %w", err)
	}
	us, err := install.Unstructured(objs)
	if err != nil {
		return err
	}
	for _, u := range us {
		gvk := u.GroupVersionKind()
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("install --apply: %s: %w", gvk.Kind, err)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = dyn.Resource(mapping.Resource).Namespace(u.GetNamespace())
		}
		if _, err := ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: install.FieldManager, Force: o.ForceConflicts}); err != nil {
			return fmt.Errorf("install --apply: %s %s: %w", gvk.Kind, u.GetName(), err)
		}
		fmt.Fprintf(o.Out, "%s/%s serverside-applied\n", strings.ToLower(gvk.GroupKind().String()), u.GetName())
	}
	return nil
}
