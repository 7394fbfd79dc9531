// Package cli holds one file per command of kubectl-kongdb. Every command follows kubectl's
// Options pattern: flags are bound to an Options struct, then Complete, Validate and a run
// function; IO streams are injected so tests never touch the process's stdout.
package cli

import (
	"context"
	"fmt"
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
	if base == "" || base == "." {
		return "kongdb"
	}
	return base
}

// Tagline is what kongdb is for, in one line: the root command's short help and krew's
// shortDescription, so the two never tell different stories.
const Tagline = "Make Kubernetes the source of truth for a database-backed Kong"

// Purpose is the two lines the root help opens with; krew's description is the same text.
const Purpose = `Kubernetes as the source of truth for a database-backed Kong, traditional or hybrid: sync
Ingress, Gateway API routes and Kong's CRDs into it, and prove that every node serves them.`

// quickStart is the root command's example: the four commands a newcomer runs first, printed
// under "Quick start" and run as written by the examples test against a simulated cluster.
const quickStart = `  # A Kong on PostgreSQL on this machine (Docker, or local processes), and its addresses
  %[1]s sim up -d && eval "$(%[1]s sim env)"

  # Make Kong serve the manifests (drop -f to read the cluster), and wait until every node does
  %[1]s sync -f ./manifests --wait=1m --kong-proxy-url "$KONG_PROXY_URL"

  # Whether every node serves the last sync, and what differs (a live view on a terminal)
  %[1]s status -f ./manifests --kong-proxy-url "$KONG_PROXY_URL"

  # What the next sync would change
  %[1]s diff -f ./manifests`

// The command groups of the root help, after kubectl's own.
const (
	groupBasic   = "basic"
	groupCluster = "cluster"
	groupDebug   = "troubleshooting"
	groupOther   = "other"
)

// rootUsage is the root command's help, in kubectl's shape: what the tool is for, the quick
// start, the commands by group, and where the flags are (every command shares kubectl's
// kubeconfig flags, which would otherwise fill the first screen). Commands below the root,
// help and completion included, inherit the template and take cobra's own branch of it.
var rootUsage = `{{if .HasParent}}` + (&cobra.Command{}).UsageTemplate() + `{{else}}Quick start:
{{.Example}}
{{range $group := .Groups}}
{{$group.Title}}{{range $.Commands}}{{if and (eq .GroupID $group.ID) (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding}} {{.Short}}{{end}}{{end}}
{{end}}
Usage:
  {{.CommandPath}} [flags] [command]

Use "{{.CommandPath}} <command> --help" for more information about a command.
Every command takes kubectl's kubeconfig flags (--kubeconfig, --context, -n, ...); "{{.CommandPath}} <command> --help" lists them.
{{end}}`

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
	validate  func(*ValidateOptions) error
	status    func(*StatusOptions) error
	version   func(*VersionOptions) error
	install   func(*InstallOptions) error
}

func newRootCmd(name string, streams genericiooptions.IOStreams, seams runSeams) *cobra.Command {
	configFlags := genericclioptions.NewConfigFlags(true)
	f := NewFactory(configFlags, name)
	// Commands are listed in the order they are added, the main job first, as kubectl lists its
	// own (cobra's default is alphabetical, which would open with diff).
	cobra.EnableCommandSorting = false

	root := &cobra.Command{
		Use:           "kongdb",
		Short:         Tagline,
		Long:          Purpose,
		Example:       fmt.Sprintf(quickStart, name),
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations: map[string]string{
			// cobra renders usage lines and completion scripts with this name.
			cobra.CommandDisplayNameAnnotation: name,
		},
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
		// No command defines its own PersistentPreRun, so this one runs before every command.
		PersistentPreRun: func(cmd *cobra.Command, _ []string) { tuneGC(cmd) },
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf(c, "%v", err)
	})
	configFlags.AddFlags(root.PersistentFlags())

	// Every command is listed here, by group, so the whole tree reads in one place.
	root.AddGroup(
		&cobra.Group{ID: groupBasic, Title: "Basic Commands:"},
		&cobra.Group{ID: groupDebug, Title: "Troubleshooting and Debugging Commands:"},
		&cobra.Group{ID: groupCluster, Title: "Cluster Management Commands (a simulated Kong on this machine):"},
		&cobra.Group{ID: groupOther, Title: "Other Commands:"},
	)
	for _, c := range []struct {
		group string
		cmd   *cobra.Command
	}{
		{groupBasic, NewCmdSync(f, streams, seams.sync)},
		{groupBasic, NewCmdDiff(f, streams, seams.diff)},
		{groupBasic, NewCmdValidate(f, streams, seams.validate)},
		{groupBasic, NewCmdTranslate(f, streams, seams.translate)},
		{groupBasic, NewCmdInstall(f, streams, seams.install)},
		{groupDebug, NewCmdStatus(f, streams, seams.status)},
		{groupCluster, NewCmdSim(f, streams)},
		{groupOther, NewCmdVersion(f, streams, seams.version)},
	} {
		c.cmd.GroupID = c.group
		root.AddCommand(c.cmd)
	}
	root.SetHelpCommandGroupID(groupOther)
	root.SetCompletionCommandGroupID(groupOther)
	root.SetUsageTemplate(rootUsage)
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
	return runCommand(f, o, runF, func(err error) error { return err })
}

// runCheck is runOptions for the commands whose exit code says what they found (diff,
// validate): flags that cannot be completed or are invalid exit 2, "could not check".
func runCheck[O commandOptions](f Factory, o O, runF func(O) error) func(*cobra.Command, []string) error {
	return runCommand(f, o, runF, diffFailed)
}

// runCommand is runOptions with early, which wraps a failure before the run.
func runCommand[O commandOptions](f Factory, o O, runF func(O) error, early func(error) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if err := o.Complete(f); err != nil {
			return early(err)
		}
		if err := o.Validate(cmd); err != nil {
			return early(err)
		}
		if runF != nil {
			return runF(o)
		}
		return o.Run(cmd.Context())
	}
}
