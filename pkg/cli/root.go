// Package cli holds one file per command of kubectl-kongdb. Every command follows kubectl's
// Options pattern: flags are bound to an Options struct, then Complete, Validate and a run
// function; IO streams are injected so tests never touch the process's stdout.
package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// StdStreams returns the process's standard streams; only main should need them.
func StdStreams() genericiooptions.IOStreams {
	return genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}

// Main runs the command line args (args[0] is the program name) and returns the process exit
// code, so that main stays a one-liner and the whole flow is testable.
func Main(args []string, streams genericiooptions.IOStreams) int {
	root := NewRootCmd(CommandName(args[0]), streams)
	root.SetArgs(args[1:])
	err := root.Execute()
	if err != nil && !isSilentError(err) {
		// Commands return errors instead of printing them, so each is printed once, here.
		root.PrintErrln("error:", err)
	}
	return ExitCode(err)
}

// CommandName is how the user invoked us: "kubectl kongdb" when run as the kubectl plugin
// (binary named kubectl-kongdb), otherwise the binary's own name, normally "kongdb".
// Help, usage and examples use it so what we print is what the user can type.
func CommandName(argv0 string) string {
	base := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	if strings.HasPrefix(base, "kubectl-") {
		return "kubectl " + strings.ReplaceAll(strings.TrimPrefix(base, "kubectl-"), "_", "-")
	}
	if base == "" || base == "." || strings.HasSuffix(base, ".test") {
		return "kongdb"
	}
	return base
}

// NewRootCmd builds the whole command tree. name is what CommandName returned; the
// kubeconfig flags are registered once here and shared by every command through f.
func NewRootCmd(name string, streams genericiooptions.IOStreams) *cobra.Command {
	configFlags := genericclioptions.NewConfigFlags(true)
	f := NewFactory(configFlags, name)

	root := &cobra.Command{
		Use:   "kongdb",
		Short: "Sync Kubernetes into a database-backed Kong Gateway and prove every node serves it",
		Long: `kongdb translates Ingress, Gateway API routes and Kong's CRDs exactly as the Kong Ingress
Controller does, pushes the result through the Admin API of a database-backed Kong
(traditional or hybrid mode), and shows whether every node serves what Kubernetes says.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations: map[string]string{
			// cobra renders usage lines and completion scripts with this name.
			cobra.CommandDisplayNameAnnotation: name,
		},
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf(c, "%v", err)
	})
	configFlags.AddFlags(root.PersistentFlags())

	root.AddCommand(
		NewCmdVersion(f, streams, nil),
		NewCmdSync(f, streams, nil),
		NewCmdDiff(f, streams, nil),
	)
	for _, add := range extraCommands {
		root.AddCommand(add(f, streams))
	}
	return root
}

// extraCommands lets each command file register itself (see translate.go), so that adding a
// command touches only its own file.
var extraCommands []func(Factory, genericiooptions.IOStreams) *cobra.Command

func registerCommand(newCmd func(Factory, genericiooptions.IOStreams) *cobra.Command) {
	extraCommands = append(extraCommands, newCmd)
}
