package status_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

var update = flag.Bool("update", false, "rewrite the golden screens")

// screen is a tmux server of the test's own (its own socket) running one command in a
// fixed-size window.
type screen struct {
	socket string
}

func (s *screen) tmux(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// capture is the window's text as the terminal shows it.
func (s *screen) capture(t *testing.T) string { return s.tmux(t, "capture-pane", "-p", "-t", "status") }

// waitFor polls the screen until ok holds, or fails the test with the last screen after a minute.
func (s *screen) waitFor(t *testing.T, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		text := s.capture(t)
		if ok(text) {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not on screen after a minute:\n%s", what, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The end-to-end test: the real binary's live view under tmux against a hybrid
// simulator cluster. The DP table appears, an entity edited in Kong shows in the drift view
// within two refreshes, and each view's screen matches its golden.
func TestStatusLiveViewUnderTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: run hack/deps.sh")
	}
	bin := filepath.Join(kongdbtest.Dir(t), "kubectl-kongdb")
	spec := simtest.Spec(sim.Hybrid)
	spec.ControlPlanes, spec.DataPlanes = 1, 2
	w := up(t, spec)
	w.sync(t)

	s := &screen{socket: filepath.Join(t.TempDir(), "tmux.sock")}
	cmd := append([]string{bin, "status", "--refresh", "1s"}, w.flags...)
	s.tmux(t, "new-session", "-d", "-s", "status", "-x", "100", "-y", "30", shellJoin(cmd))
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", s.socket, "kill-server").Run() })

	cluster := s.waitFor(t, "the data plane table with both DPs converged", func(text string) bool {
		return strings.Contains(text, "DATA PLANE") && strings.Count(text, " yes") >= 2 && strings.Contains(text, "Drift:    0 of")
	})
	golden(t, "cluster", cluster)

	s.tmux(t, "send-keys", "-t", "status", "2")
	s.waitFor(t, "the drift view", func(text string) bool { return strings.Contains(text, "[2 Drift]") && strings.Contains(text, "total") })

	name := editRoute(t, w.admin)
	edited := observedAt(t, s.capture(t))
	var refreshes []string
	drift := s.waitFor(t, "the edited route in the drift view", func(text string) bool {
		if at := observedAt(t, text); at != edited && (len(refreshes) == 0 || refreshes[len(refreshes)-1] != at) {
			refreshes = append(refreshes, at)
		}
		return strings.Contains(text, "changed") && strings.Contains(text, name[:min(len(name), 12)])
	})
	if len(refreshes) > 2 {
		t.Errorf("the edit showed after %d refreshes (%v), want at most two", len(refreshes), refreshes)
	}
	golden(t, "drift", drift)
	s.tmux(t, "send-keys", "-t", "status", "Enter")
	golden(t, "drift_entity", s.waitFor(t, "the route's field diff", func(text string) bool {
		return strings.Contains(text, "/edited-by-hand") && strings.Contains(text, "/cart")
	}))
	s.tmux(t, "send-keys", "-t", "status", "Escape")
	s.waitFor(t, "the drift table again", func(text string) bool { return strings.Contains(text, "CONFLICTING") })

	s.tmux(t, "send-keys", "-t", "status", "3")
	golden(t, "problems", s.waitFor(t, "the problems view", func(text string) bool { return strings.Contains(text, "[3 Problems]") }))
	s.tmux(t, "send-keys", "-t", "status", "4")
	golden(t, "sync", s.waitFor(t, "the sync view", func(text string) bool { return strings.Contains(text, "[4 Sync]") }))

	s.tmux(t, "send-keys", "-t", "status", "q")
	deadline := time.Now().Add(30 * time.Second)
	for exec.Command("tmux", "-S", s.socket, "has-session", "-t", "status").Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("status did not quit on q:\n%s", s.capture(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var observedRE = regexp.MustCompile(`observed (\d\d:\d\d:\d\d)`)

// observedAt is the time of the observation on screen, from the footer.
func observedAt(t *testing.T, text string) string {
	m := observedRE.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// normalisers make a screen stable across runs: addresses, IDs, hashes, times, ages and the
// machine's host name and user vary; the layout, the labels and the counts do not. Runs of spaces are
// collapsed because column widths follow the varying values.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`https?://127\.[0-9.]+:\d+`), "URL"},
	{regexp.MustCompile(`127\.[0-9.]+(:\d+)?`), "IP"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z?`), "TIME"},
	{regexp.MustCompile(`\d\d:\d\d:\d\d( UTC)?`), "TIME"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]*…?`), "ID"},
	{regexp.MustCompile(`\b[0-9a-f]{8,}…?`), "HASH"},
	{regexp.MustCompile(`\b(\d+(\.\d+)?(ns|µs|ms|s|m|h|d))+\b`), "AGE"},
	{regexp.MustCompile(`[ \t]{2,}`), "  "},
	{regexp.MustCompile(`(?m)[ \t]+$`), ""},
}

// golden compares a normalised screen with testdata/screens/NAME.golden (-update rewrites it).
func golden(t *testing.T, name, text string) {
	t.Helper()
	if host, err := os.Hostname(); err == nil && host != "" {
		text = regexp.MustCompile(`\b`+regexp.QuoteMeta(host)+`\b`).ReplaceAllString(text, "HOST")
	}
	// Who synced: the user running the test and the binary's version.
	text = regexp.MustCompile(`\S+@HOST \(kongdb [^)]*\)`).ReplaceAllString(text, "USER@HOST (kongdb VERSION)")
	for _, n := range normalisers {
		text = n.re.ReplaceAllString(text, n.with)
	}
	text = strings.TrimRight(text, "\n") + "\n"
	path := filepath.Join("testdata", "screens", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(want, []byte(text)) {
		t.Errorf("screen %s differs from %s:\n--- want\n%s\n--- got\n%s", name, path, want, text)
	}
}
