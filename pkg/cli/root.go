// Package cli holds one file per command of kubectl-kongdb. Every command follows kubectl's
// Options pattern: flags are bound to an Options struct, then Complete, Validate and a run
// function; IO streams are injected so tests never touch the process's stdout.
package cli

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// StdStreams returns the process's standard streams; only main should need them.
func StdStreams() genericiooptions.IOStreams {
	return genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}

// Main runs the command line args (args[0] is the program name) and returns the process exit
// code, so that main stays a one-liner and the whole flow is testable. The commands' context
// is cancelled on SIGINT or SIGTERM, so Ctrl-C stops a cluster read where it is and the
// command returns its error like any other. The first signal also restores the default
// handling, so a second Ctrl-C kills a process stuck in a call that ignores its context.
func Main(args []string, streams genericiooptions.IOStreams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)
	root := NewRootCmd(CommandName(args[0]), streams)
	root.SetArgs(args[1:])
	err := root.ExecuteContext(ctx)
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
	return newRootCmd(name, streams, runSeams{})
}

// runSeams replace commands' run functions (nil: the real one), so that tests of flag parsing
// build the very tree the binary runs and stop just before the work.
type runSeams struct {
	translate func(*TranslateOptions) error
	sync      func(*SyncOptions) error
	diff      func(*DiffOptions) error
	status    func(*StatusOptions) error
	version   func(*VersionOptions) error
}

func newRootCmd(name string, streams genericiooptions.IOStreams, seams runSeams) *cobra.Command {
	configFlags := genericclioptions.NewConfigFlags(true)
	f := NewFactory(configFlags, name)

	root := &cobra.Command{
		Use:   "kongdb",
		Short: "Translate Kubernetes objects into Kong configuration exactly as the Kong Ingress Controller does",
		Long: `kongdb translates Ingress, Gateway API routes and Kong's CRDs into the Kong configuration the
Kong Ingress Controller 3.5 would build (the same names, IDs and tags), from a live cluster or
from manifests, without talking to Kong.`,
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

	// Every command is listed here, so the whole tree reads in one place.
	root.AddCommand(
		NewCmdTranslate(f, streams, seams.translate),
		NewCmdSync(f, streams, seams.sync),
		NewCmdDiff(f, streams, seams.diff),
		NewCmdStatus(f, streams, seams.status),
		NewCmdVersion(f, streams, seams.version),
		NewCmdSim(f, streams),
	)
	return root
}

// commandOptions is kubectl's Options shape that translate, sync and status share.
type commandOptions interface {
	Complete(f Factory) error
	Validate(cmd *cobra.Command) error
	Run(ctx context.Context) error
}

// runOptions is the RunE of a command in kubectl's Options shape: Complete, Validate, then the
// run function, or runF when a test of flag parsing stands in for it.
func runOptions[O commandOptions](f Factory, o O, runF func(O) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
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
	}
}
