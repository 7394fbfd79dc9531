package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/status/statustest"
)

// loaded returns the live view at w×h with r taken in, without a running program: the tests
// and benchmarks here look at one frame.
func loaded(r *status.Report, w, h int) *Status {
	m := NewStatus(context.Background(), status.CollectorFunc(func(context.Context) (*status.Report, error) {
		return nil, fmt.Errorf("not called")
	}), StatusOptions{})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(prepare(r))
	return m
}

// Every view of every world, at every size from tiny to huge, draws exactly the terminal's
// height with no line wider than the terminal: nothing wraps, so nothing tears.
func TestEveryFrameFitsTheTerminal(t *testing.T) {
	worlds := map[string]func() *status.Report{
		"hybrid": statustest.Hybrid, "traditional": statustest.Traditional,
		"kongonly": statustest.KongOnly, "clusteronly": statustest.ClusterOnly,
		"large": func() *status.Report { return statustest.Large(50, 200) },
	}
	sizes := [][2]int{{10, 3}, {20, 5}, {44, 14}, {80, 24}, {120, 40}, {250, 60}}
	for name, world := range worlds {
		for _, size := range sizes {
			w, h := size[0], size[1]
			m := loaded(world(), w, h)
			for view := range viewNames {
				m.active = view
				for _, step := range []string{"", "enter", "?"} {
					if step != "" {
						m.Update(tea.KeyMsg(tea.Key{Type: keyType(step), Runes: []rune(step)}))
					}
					lines := strings.Split(m.View(), "\n")
					if len(lines) != h {
						t.Errorf("%s %dx%d view %d after %q: %d lines", name, w, h, view, step, len(lines))
					}
					for i, l := range lines {
						if ansi.StringWidth(l) > w {
							t.Errorf("%s %dx%d view %d after %q: line %d is %d wide: %q", name, w, h, view, step, i, ansi.StringWidth(l), l)
						}
					}
				}
				m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("?")})
				m.Update(tea.KeyMsg{Type: tea.KeyEsc})
			}
		}
	}
}

func keyType(s string) tea.KeyType {
	if s == "enter" {
		return tea.KeyEnter
	}
	return tea.KeyRunes
}

// A refresh that arrives while a drill-down is open leaves it open, and esc then shows the
// new data.
func TestRefreshKeepsDrillDownOpen(t *testing.T) {
	m := loaded(statustest.Hybrid(), 80, 24)
	m.active = 1
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	next := statustest.Hybrid()
	next.Drift.Entities = next.Drift.Entities[1:]
	m.Update(prepare(next))
	if !strings.Contains(m.View(), "Kubernetes wants") {
		t.Fatalf("refresh closed the drill-down:\n%s", m.View())
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if strings.Contains(m.View(), "default.echo.echo") {
		t.Errorf("after esc the list still shows the entity the refresh removed:\n%s", m.View())
	}
}

// A tick from before a manual refresh starts nothing: only the newest tick drives the loop.
func TestStaleTickIsIgnored(t *testing.T) {
	m := loaded(statustest.Hybrid(), 80, 24)
	stale := m.tickSeq
	m.Update(prepare(statustest.Hybrid()))
	if _, cmd := m.Update(tickMsg{seq: stale}); cmd != nil || m.collecting {
		t.Errorf("a superseded tick started a collect")
	}
	if _, cmd := m.Update(tickMsg{seq: m.tickSeq}); cmd == nil || !m.collecting {
		t.Errorf("the current tick started no collect")
	}
}

// benchRender measures one frame of a view of a cluster of 50 DPs with 10,000 drifted entities.
func benchRender(b *testing.B, view int) {
	m := loaded(statustest.Large(50, 10000), 120, 40)
	m.active = view
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

func BenchmarkRenderCluster50DPs(b *testing.B)       { benchRender(b, 0) }
func BenchmarkRenderDrift10000Entities(b *testing.B) { benchRender(b, 1) }

// BenchmarkRenderDriftFilterKey is one key typed into the filter and the frame after it: the
// filter runs over all 10,000 rows on every key.
func BenchmarkRenderDriftFilterKey(b *testing.B) {
	m := loaded(statustest.Large(50, 10000), 120, 40)
	m.active = 1
	m.filtering = true
	b.ReportAllocs()
	for b.Loop() {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("7")})
		_ = m.View()
		m.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	}
}

// BenchmarkPrepareReport is the work one refresh adds besides the collect's I/O: laying out a
// Report of 50 DPs and 10,000 entities for every view. It runs in the collect's tea.Cmd, off
// the UI goroutine.
func BenchmarkPrepareReport(b *testing.B) {
	r := statustest.Large(50, 10000)
	b.ReportAllocs()
	for b.Loop() {
		_ = prepare(r)
	}
}

// BenchmarkTakeReport is the UI goroutine's share of one refresh with 50 DPs and 10,000
// entities: swapping the prepared pages in (the filter re-applied) and drawing a frame.
func BenchmarkTakeReport(b *testing.B) {
	m := loaded(statustest.Large(50, 10000), 120, 40)
	m.active = 1
	msg := prepare(statustest.Large(50, 10000))
	b.ReportAllocs()
	for b.Loop() {
		m.Update(msg)
		_ = m.View()
	}
}
