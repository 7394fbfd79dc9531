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
	tm := teatest.NewTestModel(t, tui.NewStatus(t.Context(), c, tui.StatusOptions{Refresh: time.Hour}),
		teatest.WithInitialTermSize(w, h))
	waitFor(t, tm, "observed 14:00:00 UTC")
	return tm
}

// waitFor waits until the screen has shown s.
func waitFor(t *testing.T, tm *teatest.TestModel, s string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(s)) },
		teatest.WithDuration(wait), teatest.WithCheckInterval(10*time.Millisecond))
}

func keys(tm *teatest.TestModel, ks ...tea.KeyType) {
	for _, k := range ks {
		tm.Send(tea.KeyMsg{Type: k})
	}
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

func golden(t *testing.T, tm *teatest.TestModel, w, h int) string {
	t.Helper()
	view := final(t, tm, w, h)
	teatest.RequireEqualOutput(t, []byte(view))
	return view
}

func TestClusterViewHybridAt80x24(t *testing.T) {
	view := golden(t, start(t, statustest.Hybrid, 80, 24), 80, 24)
	for _, want := range []string{"kong-cp-0", "kong-dp-0", "kong-dp-2", "[1 Cluster]"} {
		if !strings.Contains(view, want) {
			t.Errorf("cluster view misses %q", want)
		}
	}
}

func TestClusterViewShowsNodesDown(t *testing.T) {
	view := golden(t, start(t, statustest.Traditional, 100, 24), 100, 24)
	if !strings.Contains(view, "kong-2") || !strings.Contains(view, "down") {
		t.Errorf("the down node is not shown as down:\n%s", view)
	}
	if !strings.Contains(view, "kong-0") || !strings.Contains(view, "kong-1") {
		t.Errorf("the nodes still up are not shown:\n%s", view)
	}
}

func TestDriftView(t *testing.T) {
	tm := start(t, statustest.Hybrid, 80, 24)
	tm.Type("2")
	view := golden(t, tm, 80, 24)
	if !strings.Contains(view, "[2 Drift]") || !strings.Contains(view, "conflicting") {
		t.Errorf("drift view not shown:\n%s", view)
	}
}

func TestDriftDrillDownShowsFieldDiff(t *testing.T) {
	tm := start(t, statustest.Hybrid, 80, 24)
	tm.Type("2j")
	keys(tm, tea.KeyEnter)
	view := golden(t, tm, 80, 24)
	for _, want := range []string{"routes shop.cart.api.shop.example.com.443: missing", "HTTPRoute shop/cart", `+ ["/cart"]`} {
		if !strings.Contains(view, want) {
			t.Errorf("drill-down misses %q:\n%s", want, view)
		}
	}
}

func TestDriftDrillDownEscGoesBack(t *testing.T) {
	tm := start(t, statustest.Hybrid, 80, 24)
	tm.Type("2j")
	keys(tm, tea.KeyEnter, tea.KeyEsc)
	view := final(t, tm, 80, 24)
	if strings.Contains(view, "Kubernetes wants") || !strings.Contains(view, "> routes   shop.cart") {
		t.Errorf("esc did not return to the list with the cursor kept:\n%s", view)
	}
}

func TestDriftFilter(t *testing.T) {
	tm := start(t, statustest.Hybrid, 80, 24)
	tm.Type("2/PLUGIN")
	keys(tm, tea.KeyEnter)
	view := golden(t, tm, 80, 24)
	if strings.Contains(view, "default.echo.echo") || !strings.Contains(view, "key-auth") {
		t.Errorf("filter /PLUGIN did not keep only plugins:\n%s", view)
	}
	if !strings.Contains(view, "2 of 4 rows match /PLUGIN") {
		t.Errorf("status line does not say how many rows match:\n%s", view)
	}
}

func TestFilterEscClears(t *testing.T) {
	tm := start(t, statustest.Hybrid, 80, 24)
	tm.Type("2/plugin")
	keys(tm, tea.KeyEsc)
	view := final(t, tm, 80, 24)
	if !strings.Contains(view, "default.echo.echo") || strings.Contains(view, "match") {
		t.Errorf("esc did not clear the filter:\n%s", view)
	}
}

func TestProblemsView(t *testing.T) {
	tm := start(t, statustest.Hybrid, 80, 24)
	keys(tm, tea.KeyTab, tea.KeyTab)
	view := golden(t, tm, 80, 24)
	if !strings.Contains(view, "[3 Problems]") || !strings.Contains(view, "KongPlugin shop/auth") {
		t.Errorf("problems view not shown:\n%s", view)
	}
}

func TestProblemsDetailShowsWholeError(t *testing.T) {
	tm := start(t, statustest.Hybrid, 60, 24)
	tm.Type("3j")
	keys(tm, tea.KeyEnter)
	view := golden(t, tm, 60, 24)
	if !strings.Contains(strings.Join(strings.Fields(view), " "), `plugins {id="9a0c"} already exists`) {
		t.Errorf("detail does not show Kong's whole error:\n%s", view)
	}
}

func TestSyncView(t *testing.T) {
	tm := start(t, statustest.Hybrid, 80, 24)
	tm.Type("4")
	view := golden(t, tm, 80, 24)
	for _, want := range []string{"alice@laptop", "partial", "kong-dp-2", "hash still"} {
		if !strings.Contains(view, want) {
			t.Errorf("sync view misses %q:\n%s", want, view)
		}
	}
}

func TestHelp(t *testing.T) {
	tm := start(t, statustest.Hybrid, 80, 24)
	tm.Type("?")
	view := golden(t, tm, 80, 24)
	for _, want := range []string{"view back", "filter", "refresh", "quit", "Problems"} {
		if !strings.Contains(view, want) {
			t.Errorf("help misses %q:\n%s", want, view)
		}
	}
}

func TestNarrowResize(t *testing.T) {
	tm := start(t, statustest.Hybrid, 80, 24)
	tm.Send(tea.WindowSizeMsg{Width: 44, Height: 14})
	view := golden(t, tm, 44, 14)
	if !strings.Contains(view, "kong-dp-0") || !strings.Contains(view, "1/3 rows") {
		t.Errorf("narrow view lost the data planes:\n%s", view)
	}
}

func TestWideResizeShowsMoreColumns(t *testing.T) {
	tm := start(t, statustest.Traditional, 80, 24)
	tm.Send(tea.WindowSizeMsg{Width: 180, Height: 20})
	view := golden(t, tm, 180, 20)
	if !strings.Contains(view, "connection refused") {
		t.Errorf("a wide terminal does not show the down node's error:\n%s", view)
	}
}

func TestKongOnlyDriftSaysWhyEmpty(t *testing.T) {
	tm := start(t, statustest.KongOnly, 80, 24)
	tm.Type("2")
	view := golden(t, tm, 80, 24)
	if !strings.Contains(view, "Kubernetes could not be read") {
		t.Errorf("drift view does not say why it is empty:\n%s", view)
	}
}

func TestClusterOnlyShowsKongUnreachable(t *testing.T) {
	tm := start(t, statustest.ClusterOnly, 80, 24)
	view := golden(t, tm, 80, 24)
	if !strings.Contains(view, "unreachable") || !strings.Contains(view, "nodes are unknown") {
		t.Errorf("cluster view does not say Kong is unreachable:\n%s", view)
	}
}

func TestClusterOnlyProblemsNameWhatIsUnknown(t *testing.T) {
	tm := start(t, statustest.ClusterOnly, 80, 24)
	tm.Type("3")
	view := golden(t, tm, 80, 24)
	if !strings.Contains(view, "the last sync's failures are unknown") || !strings.Contains(view, "Ingress default/legacy") {
		t.Errorf("problems view does not show diagnostics and what is unknown:\n%s", view)
	}
}

// A collect that does not return must not stop the keys: the UI switches views, opens help
// and quits while the collector still blocks.
func TestBlockedCollectDoesNotBlockKeys(t *testing.T) {
	c := statustest.NewCollector()
	tm := teatest.NewTestModel(t, tui.NewStatus(t.Context(), c, tui.StatusOptions{Refresh: time.Hour}),
		teatest.WithInitialTermSize(80, 24))
	<-c.Calls
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
	tm := teatest.NewTestModel(t, tui.NewStatus(t.Context(), c, tui.StatusOptions{Refresh: time.Hour}),
		teatest.WithInitialTermSize(80, 24))
	<-c.Calls
	tm.Type("rrrr4")
	waitFor(t, tm, "[4 Sync]")
	if n := len(c.Calls); n != 0 {
		t.Errorf("r while collecting started %d more collects, want none", n)
	}
	c.Answers <- statustest.Answer{Report: statustest.Hybrid()}
	waitFor(t, tm, "alice@laptop")
	tm.Type("r")
	select {
	case <-c.Calls:
	case <-time.After(wait):
		t.Fatal("r after the collect ended started no new one")
	}
	final(t, tm, 80, 24)
}

// A failed refresh keeps the last good data on screen and says what failed.
func TestFailedRefreshShowsLastGoodData(t *testing.T) {
	c := statustest.NewCollector()
	tm := teatest.NewTestModel(t, tui.NewStatus(t.Context(), c, tui.StatusOptions{Refresh: time.Hour}),
		teatest.WithInitialTermSize(80, 24))
	<-c.Calls
	c.Answers <- statustest.Answer{Report: statustest.Hybrid()}
	waitFor(t, tm, "observed 14:00:00 UTC")
	tm.Type("r")
	<-c.Calls
	c.Answers <- statustest.Answer{Err: errors.New("read kong: context deadline exceeded")}
	waitFor(t, tm, "refresh failed")
	view := golden(t, tm, 80, 24)
	if !strings.Contains(view, "kong-dp-2") {
		t.Errorf("last good data not shown after a failed refresh:\n%s", view)
	}
}

// The view refreshes by itself, one collect after another.
func TestRefreshesEveryInterval(t *testing.T) {
	c := statustest.NewCollector()
	tm := teatest.NewTestModel(t, tui.NewStatus(t.Context(), c, tui.StatusOptions{Refresh: time.Millisecond}),
		teatest.WithInitialTermSize(80, 24))
	for i := range 3 {
		select {
		case <-c.Calls:
		case <-time.After(wait):
			t.Fatalf("collect %d did not start", i+1)
		}
		c.Answers <- statustest.Answer{Report: statustest.Hybrid()}
	}
	final(t, tm, 80, 24)
}
