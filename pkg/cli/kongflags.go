package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/discovery"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// KongFlags are how sync and diff reach Kong's Admin API.
type KongFlags struct {
	URLs               []string
	Token              string
	CACert             string
	ClientCert         string
	ClientKey          string
	InsecureSkipVerify bool
	Headers            []string
	Workspace          string
	Timeout            time.Duration
	OwnershipTag       string
	SchemaCacheDir     string
	// AdminService and ProxyService (NAMESPACE/NAME) find the nodes from EndpointSlices;
	// Access says how they are reached (direct, apiserver, auto).
	AdminService, ProxyService string
	Access                     string
}

// AddFlags registers the flags on fs.
func (k *KongFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&k.URLs, "kong-admin-url", nil, "Admin API URL of a Kong node; repeat for every node (default $KONG_ADMIN_URL).")
	fs.StringVar(&k.Token, "kong-admin-token", "", "RBAC token sent as Kong-Admin-Token (default $KONG_ADMIN_TOKEN); never printed.")
	fs.StringVar(&k.CACert, "kong-admin-ca", "", "PEM file of CA certificates to verify the Admin API's certificate.")
	fs.StringVar(&k.ClientCert, "kong-admin-cert", "", "PEM client certificate for mutual TLS with the Admin API.")
	fs.StringVar(&k.ClientKey, "kong-admin-key", "", "PEM private key of --kong-admin-cert.")
	fs.BoolVar(&k.InsecureSkipVerify, "kong-admin-insecure-skip-verify", false, "If true, do not verify the Admin API's TLS certificate (insecure).")
	fs.StringArrayVar(&k.Headers, "kong-admin-header", nil, `Extra header for every Admin API request, as "Name: value"; repeatable.`)
	fs.StringVar(&k.Workspace, "workspace", "", "Kong workspace (Enterprise); also prefixes the generated IDs as KIC's --kong-workspace does.")
	fs.DurationVar(&k.Timeout, "kong-admin-timeout", admin.DefaultTimeout, "Timeout of one Admin API request.")
	fs.StringVar(&k.OwnershipTag, "ownership-tag", translate.DefaultOptions().OwnershipTag,
		"Tag that marks the entities this tool owns; only those are read, updated or deleted (KIC's is managed-by-ingress-controller).")
	fs.StringVar(&k.AdminService, "kong-admin-service", "", "NAMESPACE/NAME of a Service whose ready endpoints are the Admin APIs (ports named "+
		strings.Join(discovery.AdminPortNames, ", ")+"), as KIC's gateway discovery finds them.")
	fs.StringVar(&k.ProxyService, "kong-proxy-service", "", "NAMESPACE/NAME of a Service whose ready endpoints are the proxies --wait polls (ports named "+
		strings.Join(discovery.ProxyPortNames, ", ")+").")
	fs.StringVar(&k.Access, "kong-access", string(discovery.Auto), "How discovered endpoints are reached: direct, apiserver (the API server's pod proxy, "+
		"with the kubeconfig's credentials) or auto (direct when the first endpoint accepts a connection).")
	fs.StringVar(&k.SchemaCacheDir, "schema-cache-dir", admin.DefaultSchemaDir(), "Directory where Kong's schemas are cached per Kong version; empty disables the cache.")
}

// Complete fills unset flags from the environment.
func (k *KongFlags) Complete() {
	if len(k.URLs) == 0 {
		if env := os.Getenv("KONG_ADMIN_URL"); env != "" {
			k.URLs = strings.Split(env, ",")
		}
	}
	if k.Token == "" {
		k.Token = os.Getenv("KONG_ADMIN_TOKEN")
	}
}

// Validate checks the flags.
func (k *KongFlags) Validate(cmd *cobra.Command) error {
	switch {
	case len(k.URLs) == 0 && k.AdminService == "":
		return usageErrorf(cmd, "no Kong Admin API: set --kong-admin-url (or KONG_ADMIN_URL) or --kong-admin-service")
	case len(k.URLs) > 0 && k.AdminService != "":
		return usageErrorf(cmd, "--kong-admin-url and --kong-admin-service cannot be used together")
	}
	for flag, v := range map[string]string{"--kong-admin-service": k.AdminService, "--kong-proxy-service": k.ProxyService} {
		if _, err := discovery.ParseService(flag, v, nil); v != "" && err != nil {
			return usageErrorf(cmd, "%v", err)
		}
	}
	if _, err := discovery.ParseAccess(k.Access); err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	if (k.ClientCert == "") != (k.ClientKey == "") {
		return usageErrorf(cmd, "--kong-admin-cert and --kong-admin-key must be given together")
	}
	if err := admin.ValidateTag(k.OwnershipTag); err != nil {
		return usageErrorf(cmd, "--ownership-tag: %v", err)
	}
	return nil
}

// Config is the admin.Config of the flags.
func (k *KongFlags) Config() admin.Config {
	return admin.Config{Token: k.Token, CACert: k.CACert, ClientCert: k.ClientCert, ClientKey: k.ClientKey,
		InsecureSkipVerify: k.InsecureSkipVerify, Headers: k.Headers, Workspace: k.Workspace, Timeout: k.Timeout}
}

// SourceFlags say where the Kubernetes objects come from, as translate's flags do.
type SourceFlags struct {
	Filenames              []string
	Kustomize              string
	Recursive              bool
	AllNamespaces          bool
	Selector               string
	IngressClass           string
	GatewayClassController string
	CombinedServices       bool

	namespace         string
	explicitNamespace bool
}

// AddFlags registers the flags on fs.
func (s *SourceFlags) AddFlags(fs *pflag.FlagSet) {
	s.IngressClass = source.DefaultIngressClass
	s.GatewayClassController = source.DefaultGatewayClassController
	fs.StringSliceVarP(&s.Filenames, "filename", "f", nil, "Files, directories or URLs of manifests to use instead of the cluster; - reads stdin.")
	fs.StringVarP(&s.Kustomize, "kustomize", "k", "", "Kustomization directory to render and use instead of the cluster.")
	fs.BoolVarP(&s.Recursive, "recursive", "R", false, "If true, process the directories given with -f recursively.")
	fs.BoolVarP(&s.AllNamespaces, "all-namespaces", "A", false, "If true, read objects of every namespace instead of the current one.")
	fs.StringVarP(&s.Selector, "selector", "l", "", "Label selector for the objects that make routes and consumers (Ingress, Gateway API routes, TCP/UDPIngress, KongConsumer, KongConsumerGroup).")
	fs.StringVar(&s.IngressClass, "ingress-class", s.IngressClass, "Ingress class served, as KIC's --ingress-class.")
	fs.StringVar(&s.GatewayClassController, "gateway-class-controller", s.GatewayClassController, "GatewayClass controllerName served.")
	// KIC's flag is --gateway-api-controller-name; the watch loop's docs say --gateway-class-controller-name.
	// Both spell the same setting, so they write the same field.
	fs.StringVar(&s.GatewayClassController, "gateway-class-controller-name", s.GatewayClassController, "Alias of --gateway-class-controller.")
	fs.BoolVar(&s.CombinedServices, "combined-services-from-different-httproutes", false, "If true, rules of different HTTPRoutes in one namespace with the same backends share one Kong service, as KIC's flag of that name.")
}

// translateOptions are translate's options for these flags and ownership tag, at now.
func (s *SourceFlags) translateOptions(tag string) translate.Options {
	o := translate.DefaultOptions()
	o.IngressClass, o.ControllerName, o.OwnershipTag = s.IngressClass, s.GatewayClassController, tag
	o.CombinedServicesFromDifferentHTTPRoutes = s.CombinedServices
	o.Now = time.Now()
	return o
}

func (s *SourceFlags) fromManifests() bool { return len(s.Filenames) > 0 || s.Kustomize != "" }

// Complete takes the namespace from -n or the kubeconfig.
func (s *SourceFlags) Complete(f Factory) error {
	if ns := f.ConfigFlags().Namespace; ns != nil && *ns != "" {
		s.namespace, s.explicitNamespace = *ns, true
		return nil
	}
	if s.fromManifests() {
		s.namespace = "default"
		return nil
	}
	ns, _, err := f.ConfigFlags().ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return fmt.Errorf("find the current namespace in the kubeconfig: %w", err)
	}
	s.namespace = ns
	return nil
}

// Validate checks the flags.
func (s *SourceFlags) Validate(cmd *cobra.Command) error {
	switch {
	case len(s.Filenames) > 0 && s.Kustomize != "":
		return usageErrorf(cmd, "-f and -k cannot be used together")
	case s.Recursive && len(s.Filenames) == 0:
		return usageErrorf(cmd, "-R needs -f")
	case s.AllNamespaces && s.fromManifests():
		return usageErrorf(cmd, "-A reads a cluster; it cannot be used with -f or -k")
	case s.AllNamespaces && s.explicitNamespace:
		return usageErrorf(cmd, "-A and -n cannot be used together")
	case s.IngressClass == "" || s.GatewayClassController == "":
		return usageErrorf(cmd, "--ingress-class and --gateway-class-controller must not be empty")
	}
	return nil
}

// validatePlanFlags checks what sync and diff share: the source and Kong flags, --prune and
// --output (empty or one of formats).
func validatePlanFlags(cmd *cobra.Command, src *SourceFlags, k *KongFlags, prune bool, output string, formats ...string) error {
	if err := src.Validate(cmd); err != nil {
		return err
	}
	if err := k.Validate(cmd); err != nil {
		return err
	}
	if prune && !src.fromManifests() {
		return usageErrorf(cmd, "--prune applies to -f/-k; from a cluster, deletes follow the namespaces read")
	}
	if output != "" && !slices.Contains(formats, output) {
		return usageErrorf(cmd, "--output must be one of: %s (got %q)", strings.Join(formats, ", "), output)
	}
	return nil
}

// warnInsecure says on stderr that TLS verification is off, every time it is.
func warnInsecure(w io.Writer, k *KongFlags) {
	if k.InsecureSkipVerify {
		fmt.Fprintln(w, "warning: --kong-admin-insecure-skip-verify: the Admin API's certificate is not verified")
	}
}
