package cli

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// rootHelp runs the command tree as the binary does and returns what it printed.
func rootHelp(t *testing.T, name string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}
	if code := Main(append([]string{name}, args...), streams); code != 0 {
		t.Fatalf("%s %v: exit %d\n%s", name, args, code, out.String())
	}
	return out.String()
}

// TestRootHelpIsTheFrontDoor checks what a newcomer reads first: what the tool is for, the four
// quick-start commands, and the commands grouped as kubectl groups its own. Fails on the old
// main, whose root help described translate only and listed the commands in one block.
func TestRootHelpIsTheFrontDoor(t *testing.T) {
	help := rootHelp(t, "kubectl-kongdb", "--help")
	if bare := rootHelp(t, "kubectl-kongdb"); bare != help {
		t.Errorf("with no arguments the plugin prints something other than its help:\n%s", bare)
	}
	if !strings.HasPrefix(help, Purpose+"\n\nQuick start:\n") {
		t.Errorf("help does not open with the purpose and the quick start:\n%s", help)
	}
	for _, want := range []string{
		"kubectl kongdb sim up -d", "kubectl kongdb sync -f ./manifests --wait=1m", "kubectl kongdb status", "kubectl kongdb diff",
		"Basic Commands:\n  sync ", "  diff ", "  translate ",
		"Troubleshooting and Debugging Commands:\n  status ",
		"Cluster Management Commands (a simulated Kong on this machine):\n  sim ",
		"Other Commands:\n  version ", "  help ", "  completion ",
		"Usage:\n  kubectl kongdb [flags] [command]",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("root help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "--kubeconfig string") {
		t.Errorf("root help lists the kubeconfig flags, which every command's own help shows:\n%s", help)
	}
	// Below the root, cobra's own usage stays, with the shared flags.
	for _, args := range [][]string{{"version", "--help"}, {"help", "sync"}, {"completion", "--help"}} {
		if sub := rootHelp(t, "kongdb", args...); !strings.Contains(sub, "Global Flags:") || strings.Contains(sub, "Quick start:") {
			t.Errorf("%v prints the root's help instead of its own:\n%s", args, sub)
		}
	}
}

// shortVoice is kubectl's voice for a short help: a capitalised verb, one line, no final period.
var shortVoice = regexp.MustCompile(`^[A-Z][a-z]+ [^\n]*[^.\n ]$`)

func TestEveryShortHelpIsOneLineInKubectlsVoice(t *testing.T) {
	root := NewRootCmd("kongdb", genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		if !shortVoice.MatchString(c.Short) || len(c.Short) > 100 {
			t.Errorf("%s: short help %q is not one line of at most 100 characters starting with a verb, without a final period", c.CommandPath(), c.Short)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestCommandNameIsHowTheUserInvokedUs(t *testing.T) {
	tests := []struct{ argv0, want string }{
		{"/usr/local/bin/kubectl-kongdb", "kubectl kongdb"},
		{"kongdb", "kongdb"},
		{"/home/me/bin/kdb", "kdb"},
		// A test binary is no longer taken for kongdb: tests run the built program.
		{"/tmp/go-build1/cli.test", "cli.test"},
	}
	for _, tt := range tests {
		if got := CommandName(tt.argv0); got != tt.want {
			t.Errorf("CommandName(%q) = %q, want %q", tt.argv0, got, tt.want)
		}
	}
}
