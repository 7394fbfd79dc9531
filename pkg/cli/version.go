package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/internal/kongversion"
	"github.com/kongdb/kubectl-kongdb/pkg/admin"
)

const versionLong = `Print the plugin's version, the Go, go-kong and client-go versions it was built with, and
the Kong and Kubernetes versions its tests run against. Unless --client, it also asks the
current Kubernetes cluster (the kubeconfig flags) and the Kong of $KONG_ADMIN_URL for their
versions; what does not answer within --request-timeout (5s by default here) is left out, as
with --client.`

const versionExample = `  # Print the plugin's version and the versions of Kong and Kubernetes it talks to
  %[1]s version

  # Only what the binary knows, without asking any cluster
  %[1]s version --client

  # Everything as JSON, for scripts
  %[1]s version -o json`

// Version is set at link time by `make dist` (-X .../pkg/cli.Version=v1.2.3); builds from
// source report the module version recorded by the Go toolchain, or "dev".
var Version = ""

// TestedKubernetes is the kube-apiserver the end-to-end tests run (hack/kube-assets.sh's
// K8S_VERSION; a unit test keeps the two equal).
const TestedKubernetes = "v1.37.2"

// VersionInfo is what `version -o json|yaml` prints.
type VersionInfo struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	GoKong    string `json:"goKong"`
	ClientGo  string `json:"clientGo"`
	// TestedWith are the versions the tests run against: what this build is known to work with.
	TestedWith TestedVersions `json:"testedWith"`
	// Server holds what the clusters said; nil with --client or when neither answered.
	Server *ServerVersions `json:"server,omitempty"`
}

// TestedVersions are the Kong and Kubernetes versions the project's tests run against.
type TestedVersions struct {
	Kong       string `json:"kong"`
	Kubernetes string `json:"kubernetes"`
}

// ServerVersions are the versions the clusters reported; empty when one did not answer.
type ServerVersions struct {
	Kubernetes string `json:"kubernetes,omitempty"`
	Kong       string `json:"kong,omitempty"`
	KongURL    string `json:"kongURL,omitempty"`
}

// VersionOptions holds the flags of `version`.
type VersionOptions struct {
	Output string
	// Client skips asking the clusters, as kubectl version --client does.
	Client bool

	// server asks the clusters; nil with --client.
	server func(ctx context.Context) *ServerVersions
	genericiooptions.IOStreams
}

// NewVersionOptions returns VersionOptions with the defaults.
func NewVersionOptions(streams genericiooptions.IOStreams) *VersionOptions {
	return &VersionOptions{IOStreams: streams}
}

// NewCmdVersion builds `version`. runF replaces the run function in tests of flag parsing.
func NewCmdVersion(f Factory, streams genericiooptions.IOStreams, runF func(*VersionOptions) error) *cobra.Command {
	o := NewVersionOptions(streams)
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the version information, and the Kong and Kubernetes versions it works with",
		Long:    versionLong,
		Example: fmt.Sprintf(versionExample, f.CommandName()),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Complete(f)
			if err := o.Validate(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format. One of: (json, yaml).")
	cmd.Flags().BoolVar(&o.Client, "client", false, "If true, print only what the binary knows and ask no cluster.")
	return cmd
}

// Complete sets up asking the clusters, unless --client.
func (o *VersionOptions) Complete(f Factory) {
	if o.Client {
		return
	}
	o.server = func(ctx context.Context) *ServerVersions { return askServers(ctx, f) }
}

// Validate checks the flags.
func (o *VersionOptions) Validate(cmd *cobra.Command) error {
	switch o.Output {
	case "", "json", "yaml":
		return nil
	}
	return usageErrorf(cmd, "--output must be one of: json, yaml (got %q)", o.Output)
}

// Run prints the version.
func (o *VersionOptions) Run(ctx context.Context) error {
	info := CurrentVersion()
	if o.server != nil {
		info.Server = o.server(ctx)
	}
	return printVersion(o.Out, o.Output, info)
}

// CurrentVersion reads the version facts from the binary's build information.
func CurrentVersion() VersionInfo {
	info := VersionInfo{
		Version:    Version,
		GoVersion:  runtime.Version(),
		Platform:   runtime.GOOS + "/" + runtime.GOARCH,
		TestedWith: TestedVersions{Kong: kongversion.Version, Kubernetes: TestedKubernetes},
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, dep := range bi.Deps {
			switch dep.Path {
			case "github.com/kong/go-kong":
				info.GoKong = dep.Version
			case "k8s.io/client-go":
				info.ClientGo = dep.Version
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}

// serverTimeout bounds asking each cluster when --request-timeout is not set: version is what
// users run first when something is wrong, so an unreachable cluster must not hang it.
const serverTimeout = 5 * time.Second

// askServers asks Kubernetes (the kubeconfig flags) and Kong ($KONG_ADMIN_URL, $KONG_ADMIN_TOKEN)
// for their versions, concurrently; what does not answer is left out, and nil means neither did.
func askServers(ctx context.Context, f Factory) *ServerVersions {
	ctx, cancel := context.WithTimeout(ctx, serverTimeout)
	defer cancel()
	var sv ServerVersions
	kube := make(chan string, 1)
	go func() { kube <- kubernetesVersion(f) }()
	if url, _, _ := strings.Cut(os.Getenv("KONG_ADMIN_URL"), ","); url != "" {
		cfg := admin.Config{Token: os.Getenv("KONG_ADMIN_TOKEN"), Timeout: serverTimeout}
		if cl, err := admin.Connect(ctx, cfg, admin.StaticEndpoints{url}); err == nil {
			sv.Kong, sv.KongURL = cl.Nodes[0].Version, url
		}
	}
	select {
	case sv.Kubernetes = <-kube:
	case <-ctx.Done():
	}
	if sv == (ServerVersions{}) {
		return nil
	}
	return &sv
}

// kubernetesVersion is the API server's gitVersion, or "" when there is no reachable cluster.
func kubernetesVersion(f Factory) string {
	flags := f.ConfigFlags()
	if flags.Timeout == nil || *flags.Timeout == "" || *flags.Timeout == "0" {
		timeout := serverTimeout.String()
		flags.Timeout = &timeout
	}
	dc, err := flags.ToDiscoveryClient()
	if err != nil {
		return ""
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return ""
	}
	return v.GitVersion
}

func printVersion(w io.Writer, format string, info VersionInfo) error {
	if format == "json" || format == "yaml" {
		return printData(w, info, format)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Client Version: kongdb %s (%s, %s)\n", info.Version, info.GoVersion, info.Platform)
	fmt.Fprintf(&b, "Libraries: go-kong %s, client-go %s\n", info.GoKong, info.ClientGo)
	fmt.Fprintf(&b, "Tested With: Kong %s, Kubernetes %s\n", info.TestedWith.Kong, info.TestedWith.Kubernetes)
	if s := info.Server; s != nil {
		if s.Kubernetes != "" {
			fmt.Fprintf(&b, "Kubernetes Server Version: %s\n", s.Kubernetes)
		}
		if s.Kong != "" {
			fmt.Fprintf(&b, "Kong Server Version: %s (%s)\n", s.Kong, s.KongURL)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
