package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

const versionExample = `  # Print the plugin's version
  %[1]s version

  # Print it as JSON, with the Go version and the versions of go-kong and client-go
  %[1]s version -o json`

// Version is set at link time by `make dist` (-X .../pkg/cli.Version=v1.2.3); builds from
// source report the module version recorded by the Go toolchain, or "dev".
var Version = ""

// VersionInfo is what `version -o json|yaml` prints.
type VersionInfo struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	GoKong    string `json:"goKong"`
	ClientGo  string `json:"clientGo"`
}

// VersionOptions holds the flags of `version`.
type VersionOptions struct {
	Output string

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
		Short:   "Print the version of kongdb and of the libraries it speaks to Kong and Kubernetes with",
		Example: fmt.Sprintf(versionExample, f.CommandName()),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format. One of: (json, yaml).")
	return cmd
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
func (o *VersionOptions) Run() error {
	info := CurrentVersion()
	return printVersion(o.Out, o.Output, info)
}

// CurrentVersion reads the version facts from the binary's build information.
func CurrentVersion() VersionInfo {
	info := VersionInfo{
		Version:   Version,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
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

func printVersion(w io.Writer, format string, info VersionInfo) error {
	if format == "json" || format == "yaml" {
		return printData(w, info, format)
	}
	_, err := fmt.Fprintf(w, "kongdb %s (%s, %s)\ngo-kong %s, client-go %s\n",
		info.Version, info.GoVersion, info.Platform, info.GoKong, info.ClientGo)
	return err
}
