package stack_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the README's main command as `make demo` does after building (hack/demo.sh,
// default hybrid: a control plane and two data planes on Docker), with the plugin this run
// built first on PATH: every check passes on every data plane, the run ends with the live
// view's and the teardown's instructions, and nothing of it is left behind.
func TestDemo(t *testing.T) {
	kongdb := filepath.Join(binDir, "kongdb")
	if err := os.Symlink("kubectl-kongdb", kongdb); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	name := fmt.Sprintf("demo%d", os.Getpid())
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "hack/demo.sh")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"DEMO_NAME="+name, "DEMO_RUNTIME=docker", "DEMO_MODE=hybrid", "KEEP=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out.String(), "")
	if err != nil {
		t.Fatalf("hack/demo.sh: %v\n%s", err, text)
	}
	const checksPerProxy = 13
	ok, failed := regexp.MustCompile(`(?m)^  ok `).FindAllString(text, -1), regexp.MustCompile(`(?m)^  FAIL `).FindAllString(text, -1)
	if n := len(ok); n != 2*checksPerProxy || len(failed) > 0 {
		t.Errorf("%d checks ok, want %d on each of 2 data planes and none failed:\n%s", n, checksPerProxy, text)
	}
	for _, want := range []string{"dp-1", "dp-2", "CONVERGED", "The live view: kubectl kongdb status", "Tear it all down:", "cluster " + name + " removed"} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, text)
		}
	}
	left, err := exec.Command("docker", "ps", "-aq", "--filter", "name="+name).CombinedOutput()
	if err != nil || strings.TrimSpace(string(left)) != "" {
		t.Errorf("containers of the demo left behind: %q %v", left, err)
	}
}
