// Package plugin_test runs the built binary the way users do: discovered by the real kubectl
// on PATH as a plugin, completed through the kubectl_complete-kongdb shim, and run standalone
// under the name kongdb.
package plugin_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
)

// TestMain removes the program kongdbtest built (kubectl-kongdb, kongdb and the completion
// shim, in one folder) when the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	kongdbtest.Remove()
	os.Exit(code)
}

// run runs name with args, with only binDir and the system folders on PATH, and an empty
// kubeconfig so no test depends on the machine's clusters.
func run(t *testing.T, name string, args ...string) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil && name == "kubectl" {
		t.Fatalf("kubectl is not installed: %v", err)
	}
	binDir := kongdbtest.Dir(t)
	path := name
	if name != "kubectl" {
		path = filepath.Join(binDir, name)
	}
	cmd := exec.Command(path, args...)
	kubectl, _ := exec.LookPath("kubectl")
	cmd.Env = append(os.Environ(),
		"PATH="+binDir+string(os.PathListSeparator)+filepath.Dir(kubectl)+string(os.PathListSeparator)+"/usr/bin:/bin",
		"KUBECONFIG="+filepath.Join(t.TempDir(), "none"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

func TestKubectlDiscoversThePlugin(t *testing.T) {
	out, _ := run(t, "kubectl", "plugin", "list", "--name-only")
	if !strings.Contains(out, "kubectl-kongdb") {
		t.Fatalf("kubectl plugin list does not list kubectl-kongdb:\n%s", out)
	}
}

func TestKubectlKongdbVersion(t *testing.T) {
	out, _ := run(t, "kubectl", "kongdb", "version", "-o", "json")
	var v struct {
		Version, GoVersion, GoKong, ClientGo, Platform string
		TestedWith                                     struct{ Kong, Kubernetes string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version -o json is not JSON: %v\n%s", err, out)
	}
	if v.GoVersion != runtime.Version() {
		t.Errorf("goVersion = %q, want %q", v.GoVersion, runtime.Version())
	}
	if !strings.HasPrefix(v.ClientGo, "v0.") {
		t.Errorf("clientGo = %q, want client-go's module version", v.ClientGo)
	}
	if !strings.HasPrefix(v.GoKong, "v0.") || !strings.HasPrefix(v.TestedWith.Kong, "3.") || !strings.HasPrefix(v.TestedWith.Kubernetes, "v1.") {
		t.Errorf("goKong %q, tested with Kong %q and Kubernetes %q", v.GoKong, v.TestedWith.Kong, v.TestedWith.Kubernetes)
	}
	if v.Version == "" || v.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version %q, platform %q", v.Version, v.Platform)
	}
}

func TestHelpNamesTheCommandAsInvoked(t *testing.T) {
	tests := []struct {
		name, bin string
		args      []string
		want      string
	}{
		{"as kubectl plugin", "kubectl", []string{"kongdb", "--help"}, "kubectl kongdb [flags] [command]"},
		{"standalone", "kongdb", []string{"--help"}, "kongdb [flags] [command]"},
		{"version example as plugin", "kubectl", []string{"kongdb", "version", "--help"}, "kubectl kongdb version -o json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := run(t, tt.bin, tt.args...)
			if !strings.Contains(out, tt.want) {
				t.Errorf("help does not contain %q:\n%s", tt.want, out)
			}
			if tt.bin == "kongdb" && strings.Contains(out, "kubectl kongdb") {
				t.Errorf("standalone help mentions kubectl kongdb:\n%s", out)
			}
		})
	}
}

func TestKubectlCompletesThroughTheShim(t *testing.T) {
	// What kubectl runs on `kubectl kongdb <TAB>`: it finds kubectl_complete-kongdb on PATH.
	out, _ := run(t, "kubectl", "__complete", "kongdb", "")
	for _, want := range []string{"version", "completion"} {
		if !strings.Contains(out, want+"\t") && !strings.Contains(out, want+"\n") {
			t.Errorf("completion of `kubectl kongdb ` lacks %q:\n%s", want, out)
		}
	}
	out, _ = run(t, "kubectl", "__complete", "kongdb", "version", "--out")
	if !strings.Contains(out, "--output") {
		t.Errorf("flag completion lacks --output:\n%s", out)
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			out, _ := run(t, "kongdb", "completion", shell)
			if !strings.Contains(out, "__complete") {
				t.Errorf("%s completion script does not call __complete:\n%.300s", shell, out)
			}
		})
	}
}

func TestUnknownFlagIsAUsageErrorWithHint(t *testing.T) {
	cmd := exec.Command(kongdbtest.Binary(t), "version", "--bogus")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit = %v, want exit code 1", err)
	}
	if !strings.Contains(stderr.String(), "unknown flag: --bogus") || !strings.Contains(stderr.String(), "See 'kongdb version -h'") {
		t.Errorf("stderr lacks the error and the hint:\n%s", stderr.String())
	}
}
