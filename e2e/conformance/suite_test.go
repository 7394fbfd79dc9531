package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// A published test suite (go-kong's, go-database-reconciler's) runs as a `go test -json`
// subprocess against the emulator; its top-level tests are judged here, the same way for each.

type testEvent struct {
	Action string
	Test   string
	Output string
}

// suiteRun is what one `go test -json` run of a published suite produced.
type suiteRun struct {
	// results are each test's last action (pass, fail or skip), subtests included.
	results map[string]string
	outputs map[string]*strings.Builder
}

// runSuite runs go test -json with args in dir (the module root when empty) under env, and
// writes its raw output to the file $<saveEnv> names, when set.
func runSuite(t *testing.T, dir string, env []string, saveEnv string, args ...string) suiteRun {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", append([]string{"test", "-json"}, args...)...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	runErr := cmd.Run()
	if p := os.Getenv(saveEnv); p != "" {
		if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
			t.Errorf("write %s: %v", p, err)
		}
	}
	r := suiteRun{results: map[string]string{}, outputs: map[string]*strings.Builder{}}
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev testEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Test == "" {
			continue
		}
		switch ev.Action {
		case "pass", "fail", "skip":
			r.results[ev.Test] = ev.Action
		case "output":
			if r.outputs[ev.Test] == nil {
				r.outputs[ev.Test] = &strings.Builder{}
			}
			r.outputs[ev.Test].WriteString(ev.Output)
		}
	}
	if len(r.results) == 0 {
		t.Fatalf("go test produced no results (%v):\n%s", runErr, out.String())
	}
	return r
}

// topLevel is a top-level test's result as judge counts it: a test that passed only because
// every subtest it ran skipped itself (the suites gate subtests on Kong's edition and
// version) is a skip, not a pass.
func (r suiteRun) topLevel(name string) string {
	action := r.results[name]
	if action != "pass" {
		return action
	}
	hasSub := false
	for sub, a := range r.results {
		if !strings.HasPrefix(sub, name+"/") {
			continue
		}
		hasSub = true
		if a == "pass" && !r.hasSubtests(sub) {
			return "pass"
		}
	}
	if hasSub {
		return "skip"
	}
	return "pass"
}

// hasSubtests reports whether name ran subtests of its own.
func (r suiteRun) hasSubtests(name string) bool {
	for sub := range r.results {
		if strings.HasPrefix(sub, name+"/") {
			return true
		}
	}
	return false
}

// judge fails the test for every top-level test that failed outside known (test → reason),
// for every known failure that passed (so the list stays honest), and when fewer than
// minPassed passed: passes only count (topLevel), a known failure counts for nothing. It logs the
// counts, which the README quotes.
func (r suiteRun) judge(t *testing.T, suite string, known map[string]string, minPassed int) {
	t.Helper()
	var passed, failed, skipped []string
	for name := range r.results {
		if strings.Contains(name, "/") {
			continue // subtests are judged through their parent
		}
		switch action := r.topLevel(name); action {
		case "pass":
			passed = append(passed, name)
		case "fail":
			failed = append(failed, name)
		case "skip":
			skipped = append(skipped, name)
		}
	}
	sort.Strings(failed)
	sort.Strings(skipped)
	t.Logf("%s: %d passed, %d failed, %d skipped", suite, len(passed), len(failed), len(skipped))
	t.Logf("skipped: %s", strings.Join(skipped, ", "))
	for _, name := range failed {
		if reason, ok := known[name]; ok {
			t.Logf("known failure %s: %s", name, reason)
			continue
		}
		out := ""
		if b := r.outputs[name]; b != nil {
			out = b.String()
		}
		t.Errorf("%s test %s failed:\n%s", suite, name, out)
	}
	for name := range known {
		if r.results[name] == "pass" {
			t.Errorf("%s test %s is listed as a known failure but passed; remove it from the list", suite, name)
		}
	}
	if len(passed) < minPassed {
		t.Errorf("only %d %s tests passed, want at least %d: the suite skipped tests it ran before", len(passed), suite, minPassed)
	}
}

// TestSuiteCountsAPassOnlyWhereSomethingRan: a published suite's test that passed because all
// its subtests skipped themselves counts as skipped.
func TestSuiteCountsAPassOnlyWhereSomethingRan(t *testing.T) {
	r := suiteRun{results: map[string]string{
		"TestAlone": "pass",
		"TestGated": "pass", "TestGated/enterprise": "skip", "TestGated/konnect": "skip",
		"TestMixed": "pass", "TestMixed/a": "skip", "TestMixed/b": "pass",
		"TestDeep": "pass", "TestDeep/a": "pass", "TestDeep/a/x": "skip",
		"TestSkipped": "skip", "TestFailed": "fail", "TestFailed/a": "pass",
	}}
	for name, want := range map[string]string{
		"TestAlone": "pass", "TestGated": "skip", "TestMixed": "pass", "TestDeep": "skip", "TestSkipped": "skip", "TestFailed": "fail",
	} {
		if got := r.topLevel(name); got != want {
			t.Errorf("%s counts as %s, want %s", name, got, want)
		}
	}
}
