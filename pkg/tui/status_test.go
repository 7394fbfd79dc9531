package tui_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/status/statustest"
	"github.com/kongdb/kubectl-kongdb/pkg/tui"
)

func init() {
	// Goldens hold text only: no colour, no attributes.
	lipgloss.SetColorProfile(termenv.Ascii)
}

// wait is how long a test waits for the UI to show something; generous, for a loaded machine.
const wait = 10 * time.Second

// start runs the live view at w×h over a collector that always returns report, and waits
// until the first observation is on screen. Refresh is an hour: goldens must not race a tick.
func start(t *testing.T, report func() *status.Report, w, h int) *teatest.TestModel {
	t.Helper()
	c := status.CollectorFunc(func(context.Context) (*status.Report, error) { return report(), nil })
	tm := run(t, c, time.Hour, w, h)
	waitFor(t, tm, "observed 14:00:00 UTC")
	return tm
}

// run runs the live view over c, refreshing every refresh, at 80×24 unless a size is given.
func run(t *testing.T, c status.Collector, refresh time.Duration, size ...int) *teatest.TestModel {
	t.Helper()
	w, h := 80, 24
	if len(size) == 2 {
		w, h = size[0], size[1]
	}
	return teatest.NewTestModel(t, tui.NewStatus(t.Context(), c, tui.StatusOptions{Refresh: refresh}),
		teatest.WithInitialTermSize(w, h))
}

// called waits until the UI has begun a collect.
func called(t *testing.T, c *statustest.Collector) {
	t.Helper()
	select {
	case <-c.Calls:
	case <-time.After(wait):
		t.Fatal("no collect began")
	}
}

// waitFor waits until the screen has shown s.
func waitFor(t *testing.T, tm *teatest.TestModel, s string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(s)) },
		teatest.WithDuration(wait), teatest.WithCheckInterval(10*time.Millisecond))
}

// final quits after every message sent so far and returns the last frame, checked to be
// exactly w×h at most.
func final(t *testing.T, tm *teatest.TestModel, w, h int) string {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	view := tm.FinalModel(t, teatest.WithFinalTimeout(wait)).View()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want the terminal's %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d wide, wider than the terminal's %d: %q", i, lw, w, l)
		}
	}
	return view
}

// input is one thing a test does to the UI: type runes, press a key, or resize.
type input struct {
	runes  string
	key    tea.KeyType
	resize *tea.WindowSizeMsg
}

func typed(s string) input        { return input{runes: s} }
func pressed(k tea.KeyType) input { return input{key: k} }
func resized(w, h int) input      { return input{resize: &tea.WindowSizeMsg{Width: w, Height: h}} }
func (in input) send(tm *teatest.TestModel) {
	switch {
	case in.resize != nil:
		tm.Send(*in.resize)
	case in.runes != "":
		tm.Type(in.runes)
	default:
		tm.Send(tea.KeyMsg{Type: in.key})
	}
}

// TestViews drives the live view over a fixed world and compares the last frame with
// testdata/TestViews/<name>.golden; want and absent say what the frame must and must not show,
// so a golden regenerated with -update cannot silently lose the point of the case.
func TestViews(t *testing.T) {
	tests := []struct {
		name   string
		world  func() *status.Report
		size   [2]int
		inputs []input
		want   []string
		absent []string
		// noGolden cases check behaviour only; their frame equals another case's.
		noGolden bool
	}{
		{name: "cluster_hybrid_80x24", world: statustest.Hybrid,
			want: []string{"[1 Cluster]", "kong-cp-0", "kong-dp-0", "kong-dp-2", "42s", "1/3 rows"}},
		{name: "cluster_node_down", world: statustest.Traditional, size: [2]int{100, 24},
			want: []string{"kong-0", "kong-1", "kong-2", "down", "unknown"}},
		{name: "drift", world: statustest.Hybrid, inputs: []input{typed("2")},
			want: []string{"[2 Drift]", "CONFLICTING", "total      41", "conflicting", "HTTPRoute shop/c"}},
		{name: "drift_drill_down", world: statustest.Hybrid, inputs: []input{typed("2j"), pressed(tea.KeyEnter)},
			want: []string{"routes shop.cart.api.shop.example.com.443: missing", "HTTPRoute shop/cart", `+ ["/cart"]`}},
		{name: "drift_drill_down_esc", world: statustest.Hybrid, noGolden: true,
			inputs: []input{typed("2j"), pressed(tea.KeyEnter), pressed(tea.KeyEsc)},
			want:   []string{"> routes   shop.cart", "2/4 rows"}, absent: []string{"Kubernetes wants"}},
		{name: "drift_drill_down_view_key", world: statustest.Hybrid,
			inputs: []input{typed("2j"), pressed(tea.KeyEnter), typed("2")},
			want:   []string{"[2 Drift]", "> routes   shop.cart", "2/4 rows"}, absent: []string{"Kubernetes wants"}},
		{name: "drill_down_other_view_key_and_back", world: statustest.Hybrid, noGolden: true,
			inputs: []input{typed("2j"), pressed(tea.KeyEnter), typed("1")},
			want:   []string{"[1 Cluster]", "kong-dp-0"}, absent: []string{"Kubernetes wants"}},
		{name: "drill_down_left_by_a_view_key_stays_closed", world: statustest.Hybrid, noGolden: true,
			inputs: []input{typed("2j"), pressed(tea.KeyEnter), typed("12")},
			want:   []string{"[2 Drift]", "> routes   shop.cart"}, absent: []string{"Kubernetes wants"}},
		{name: "drill_down_left_by_tab", world: statustest.Hybrid, noGolden: true,
			inputs: []input{typed("2j"), pressed(tea.KeyEnter), pressed(tea.KeyTab), pressed(tea.KeyShiftTab)},
			want:   []string{"[2 Drift]", "> routes   shop.cart"}, absent: []string{"Kubernetes wants"}},
		{name: "drift_filter", world: statustest.Hybrid, inputs: []input{typed("2/PLUGIN"), pressed(tea.KeyEnter)},
			want: []string{"key-auth", "2 of 4 rows match /PLUGIN"}, absent: []string{"default.echo.e"}},
		{name: "drift_filter_esc_clears", world: statustest.Hybrid, noGolden: true,
			inputs: []input{typed("2/plugin"), pressed(tea.KeyEsc)},
			want:   []string{"default.echo.e", "1/4 rows"}, absent: []string{"match"}},
		{name: "problems", world: statustest.Hybrid, inputs: []input{pressed(tea.KeyTab), pressed(tea.KeyTab)},
			want: []string{"[3 Problems]", "Ingress default/broken", "KongPlugin shop/auth", "plugin key-auth"}},
		{name: "problems_detail_60x24", world: statustest.Hybrid, size: [2]int{60, 24},
			inputs: []input{typed("3j"), pressed(tea.KeyEnter)},
			want:   []string{"HTTP 409: unique constraint violation: plugins", `{id="9a0c"} already exists`}},
		{name: "sync", world: statustest.Hybrid, inputs: []input{typed("4")},
			want: []string{"[4 Sync]", "alice@laptop", "partial", "kong-dp-2", "hash still"}},
		{name: "sync_not_waited", world: statustest.HybridNotWaited, inputs: []input{typed("4")},
			want:   []string{"[4 Sync]", "not measured (no --wait); below, whether each node serves it now", "SERVES IT NOW", "kong-dp-2"},
			absent: []string{"CONVERGED", " 0s"}},
		{name: "help", world: statustest.Hybrid, inputs: []input{typed("?")},
			want: []string{"Keys", "view back", "filter", "refresh", "quit", "Problems"}},
		{name: "help_esc_closes", world: statustest.Hybrid, noGolden: true, inputs: []input{typed("?"), pressed(tea.KeyEsc)},
			want: []string{"kong-dp-0"}, absent: []string{"Keys"}},
		{name: "narrow_resize_44x14", world: statustest.Hybrid, inputs: []input{resized(44, 14)},
			want: []string{"kong-dp-0", "1/3 rows"}},
		{name: "wide_resize_180x20", world: statustest.Traditional, inputs: []input{resized(180, 20)},
			want: []string{"ADMIN URL", "dial tcp 127.0.0.1:8021: connect: connection refused"}},
		{name: "kong_only_drift_says_why", world: statustest.KongOnly, inputs: []input{typed("2")},
			want: []string{"No drift to show: Kubernetes could not be read"}, absent: []string{"TYPE"}},
		{name: "kong_only_cluster", world: statustest.KongOnly,
			want: []string{"unreachable (Get", "kong-0", "down"}},
		{name: "cluster_only_cluster", world: statustest.ClusterOnly,
			want: []string{"unreachable", "Kong's nodes are unknown"}, absent: []string{"NODE"}},
		{name: "cluster_only_problems", world: statustest.ClusterOnly, inputs: []input{typed("3")},
			want: []string{"the last sync's failures are unknown", "Ingress default/legacy"}},
		{name: "cluster_only_sync", world: statustest.ClusterOnly, inputs: []input{typed("4")},
			want: []string{"unknown: Kong could not be read"}, absent: []string{"NODE", "recorded no nodes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h := 80, 24
			if tt.size != [2]int{} {
				w, h = tt.size[0], tt.size[1]
			}
			tm := start(t, tt.world, w, h)
			for _, in := range tt.inputs {
				in.send(tm)
				if in.resize != nil {
					w, h = in.resize.Width, in.resize.Height
				}
			}
			view := final(t, tm, w, h)
			if !tt.noGolden {
				teatest.RequireEqualOutput(t, []byte(view))
			}
			flat := strings.Join(strings.Fields(view), " ")
			for _, want := range tt.want {
				if !strings.Contains(view, want) && !strings.Contains(flat, want) {
					t.Errorf("frame misses %q:\n%s", want, view)
				}
			}
			for _, absent := range tt.absent {
				if strings.Contains(view, absent) {
					t.Errorf("frame shows %q:\n%s", absent, view)
				}
			}
		})
	}
}

// A collect that does not return must not stop the keys: the UI switches views, opens help
// and quits while the collector still blocks.
func TestBlockedCollectDoesNotBlockKeys(t *testing.T) {
	c := statustest.NewCollector()
	tm := run(t, c, time.Hour)
	called(t, c)
	waitFor(t, tm, "Collecting the first observation")
	tm.Type("3")
	waitFor(t, tm, "[3 Problems]")
	tm.Type("?")
	waitFor(t, tm, "view back")
	view := final(t, tm, 80, 24)
	if !strings.Contains(view, "Keys") {
		t.Errorf("help not shown while the collect blocks:\n%s", view)
	}
}

// Pressing r while a collect runs starts no second one.
func TestRefreshWhileCollectingStartsNoSecondCollect(t *testing.T) {
	c := statustest.NewCollector()
	tm := run(t, c, time.Hour)
	called(t, c)
	tm.Type("rrrr4")
	waitFor(t, tm, "[4 Sync]")
	if n := len(c.Calls); n != 0 {
		t.Errorf("r while collecting started %d more collects, want none", n)
	}
	c.Answers <- statustest.Answer{Report: statustest.Hybrid()}
	waitFor(t, tm, "alice@laptop")
	tm.Type("r")
	called(t, c)
	final(t, tm, 80, 24)
}

// A failed refresh keeps the last good data on screen and says what failed.
func TestFailedRefreshShowsLastGoodData(t *testing.T) {
	c := statustest.NewCollector()
	tm := run(t, c, time.Hour)
	called(t, c)
	c.Answers <- statustest.Answer{Report: statustest.Hybrid()}
	waitFor(t, tm, "observed 14:00:00 UTC")
	tm.Type("r")
	called(t, c)
	c.Answers <- statustest.Answer{Err: errors.New("read kong: context deadline exceeded")}
	waitFor(t, tm, "refresh failed")
	view := final(t, tm, 80, 24)
	teatest.RequireEqualOutput(t, []byte(view))
	if !strings.Contains(view, "kong-dp-2") {
		t.Errorf("last good data not shown after a failed refresh:\n%s", view)
	}
}

// The view refreshes by itself, one collect after another.
func TestRefreshesEveryInterval(t *testing.T) {
	c := statustest.NewCollector()
	tm := run(t, c, time.Millisecond)
	for range 3 {
		called(t, c)
		c.Answers <- statustest.Answer{Report: statustest.Hybrid()}
	}
	final(t, tm, 80, 24)
}

// A first collect that fails says so, and the view waits for the next refresh.
func TestFirstCollectFails(t *testing.T) {
	c := statustest.NewCollector()
	tm := run(t, c, time.Hour)
	called(t, c)
	c.Answers <- statustest.Answer{Err: errors.New("read kubeconfig: no context named prod")}
	waitFor(t, tm, "refresh failed")
	view := final(t, tm, 80, 24)
	for _, want := range []string{"No observation yet", "refresh failed: read kubeconfig: no context named prod"} {
		if !strings.Contains(view, want) {
			t.Errorf("frame misses %q:\n%s", want, view)
		}
	}
}

// A collect that outlives --refresh's timeout ends as a failed refresh; the last good data
// stays on screen.
func TestCollectTimeoutKeepsLastGoodData(t *testing.T) {
	c := statustest.NewCollector()
	m := tui.NewStatus(t.Context(), c, tui.StatusOptions{Refresh: time.Hour, Timeout: time.Second})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	called(t, c)
	c.Answers <- statustest.Answer{Report: statustest.Hybrid()}
	waitFor(t, tm, "observed 14:00:00 UTC")
	tm.Type("r")
	called(t, c) // and never answered
	waitFor(t, tm, "deadline exceeded")
	view := final(t, tm, 80, 24)
	if !strings.Contains(view, "kong-dp-2") || !strings.Contains(view, "showing observed 14:00:00") {
		t.Errorf("a timed-out refresh lost the last good data:\n%s", view)
	}
}
