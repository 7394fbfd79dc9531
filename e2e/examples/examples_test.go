// Package examples_test runs every example the commands' help prints, as written, the way a
// newcomer would paste them: in one shell session per command, in a folder holding the
// ./manifests and ./overlays/prod they name, with the kongdb program built from this tree on
// PATH, a real Kubernetes API server (envtest) as the current cluster, and the simulator's
// cluster that the root help's quick start brings up (local runtime: Docker is made
// unreachable, so `sim up` falls back to it as it does for users without Docker).
package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/internal/testenv"
	"github.com/kongdb/kubectl-kongdb/pkg/cli"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// TestMain keeps the simulator's state in a folder of this run and removes the built program.
func TestMain(m *testing.M) { simtest.Main(m) }

// example is one command's Example text, as its help prints it for `kongdb`.
type example struct {
	command string
	text    string
}

// examples walks the command tree the binary runs, root first, in help order.
func examples() []example {
	root := cli.NewRootCmd("kongdb", genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	var out []example
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example != "" {
			out = append(out, example{c.CommandPath(), c.Example})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// script turns an Example into a bash session that announces each step before running it,
// so a failure names the step; comments stay comments.
func script(text string) string {
	var b strings.Builder
	b.WriteString("set -eo pipefail\n")
	for _, block := range strings.Split(text, "\n\n") {
		var title string
		var lines []string
		for _, l := range strings.Split(block, "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "#") {
				title = l
			} else if l != "" {
				lines = append(lines, l)
			}
		}
		fmt.Fprintf(&b, "echo %s >&2\n", quote("=== "+title))
		for _, l := range lines {
			fmt.Fprintf(&b, "echo %s >&2\n%s\n", quote("$ "+l), l)
		}
	}
	return b.String()
}

// quote makes s one literal shell word: the announcement of a step must not run it.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func TestEveryHelpExampleRuns(t *testing.T) {
	bin := kongdbtest.Dir(t)
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is not installed: %v", err)
	}
	kube, err := testenv.Start(context.Background())
	if err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = kube.Stop() })

	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS("testdata")); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"PATH="+strings.Join([]string{bin, filepath.Dir(kubectl), "/usr/bin", "/bin"}, string(os.PathListSeparator)),
		"KUBECONFIG="+kube.Kubeconfig,
		// No Docker: `sim up` says so once and runs the cluster as local processes.
		"DOCKER_HOST=unix://"+filepath.Join(work, "no-docker.sock"),
		"KONG_ADMIN_URL=", "KONG_PROXY_URL=",
	)
	shell := func(t *testing.T, env []string, text string) (string, string, error) {
		t.Helper()
		cmd := exec.Command("bash", "-c", text)
		cmd.Dir, cmd.Env = work, env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
	// The cluster's objects are the manifests' own, so that reading the cluster and reading
	// the files agree, as they do for a user who applied them.
	if out, errOut, err := shell(t, env, "kubectl apply -f manifests/"); err != nil {
		t.Fatalf("kubectl apply: %v\n%s%s", err, out, errOut)
	}
	t.Cleanup(func() { _, _, _ = shell(t, env, "kongdb sim down --all") })

	all := examples()
	if len(all) == 0 || all[0].command != "kongdb" {
		t.Fatalf("the root command has no example (its quick start): %+v", all)
	}
	for i, ex := range all {
		ok := t.Run(strings.ReplaceAll(ex.command, " ", "_"), func(t *testing.T) {
			out, errOut, err := shell(t, env, script(ex.text))
			if err != nil {
				t.Fatalf("an example of %s fails: %v\nstderr (each step announced):\n%s\nstdout:\n%.4000s", ex.command, err, errOut, out)
			}
			var steps []string
			for _, l := range strings.Split(errOut, "\n") {
				if strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "$ ") {
					steps = append(steps, l)
				}
			}
			t.Logf("ran:\n%s", strings.Join(steps, "\n"))
		})
		if i == 0 {
			if !ok {
				t.Fatal("the quick start failed; the other examples need its cluster")
			}
			// The rest run in the shell the quick start left: its `eval "$(kongdb sim env)"`.
			exports, errOut, err := shell(t, env, "kongdb sim env")
			if err != nil {
				t.Fatalf("sim env: %v\n%s", err, errOut)
			}
			for _, l := range strings.Split(strings.TrimSpace(exports), "\n") {
				kv := strings.TrimPrefix(l, "export ")
				k, v, _ := strings.Cut(kv, "=")
				env = append(env, k+"="+strings.Trim(v, `"`))
			}
		}
	}

	// With a cluster and a Kong to ask, version names both; the unit tests cover neither answering.
	out, errOut, err := shell(t, env, "kongdb version -o json")
	if err != nil {
		t.Fatalf("version -o json: %v\n%s", err, errOut)
	}
	var v cli.VersionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	if v.Server == nil || v.Server.Kubernetes != cli.TestedKubernetes || v.Server.Kong != v.TestedWith.Kong || v.Server.KongURL == "" {
		t.Errorf("version with a reachable cluster and Kong: server %+v, tested with %+v", v.Server, v.TestedWith)
	}
}
