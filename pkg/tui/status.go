// Package tui holds the terminal UIs of kongdb, built with bubbletea. Status is the live view of
// `kubectl kongdb status`: four pages (Cluster, Drift, Problems, Sync) over the last Report a
// status.Collector returned. The root model only routes keys and messages; the pages live in
// components, the styles in styles, the bindings (and so the help) in keys.
//
// All I/O is a tea.Cmd that calls the Collector and returns a typed message, so a slow Kong or
// Kubernetes never blocks a key press; one collect runs at a time.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/components/page"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/keys"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/styles"
)

// StatusOptions tune the live view.
type StatusOptions struct {
	// Refresh is the time between the end of one collect and the start of the next.
	Refresh time.Duration
	// Timeout bounds one collect; a collect that runs out shows as a failed refresh.
	Timeout time.Duration
}

// DefaultStatusOptions refresh every 2 s, as k9s does, and give a collect 30 s.
func DefaultStatusOptions() StatusOptions {
	return StatusOptions{Refresh: 2 * time.Second, Timeout: 30 * time.Second}
}

var viewNames = []string{"Cluster", "Drift", "Problems", "Sync"}

// views build the pages' content, in the order of viewNames.
var views = []page.Build{clusterView, driftView, problemsView, syncView}

// collectedMsg carries one collect's result, with every page's content already prepared.
type collectedMsg struct {
	report *status.Report
	pages  []page.Prepared
	err    error
}

// prepare lays out r for every page; collect runs it off the UI goroutine.
func prepare(r *status.Report) collectedMsg {
	msg := collectedMsg{report: r, pages: make([]page.Prepared, len(views))}
	for i, build := range views {
		msg.pages[i] = page.Prepare(build, r)
	}
	return msg
}

// tickMsg asks for the next refresh; seq tells a current tick from one a manual refresh
// superseded, so the refresh loop never forks.
type tickMsg struct{ seq int }

// Status is the root model of the live view.
type Status struct {
	ctx       context.Context
	collector status.Collector
	opts      StatusOptions

	pages  []*page.Model
	active int

	report     *status.Report // the last good observation
	err        error          // the last refresh's error, nil after a good one
	collecting bool
	tickSeq    int

	filtering bool
	showHelp  bool
	help      help.Model

	width, height int
}

// NewStatus returns the live view over collector. ctx bounds every collect.
func NewStatus(ctx context.Context, collector status.Collector, opts StatusOptions) *Status {
	def := DefaultStatusOptions()
	if opts.Refresh <= 0 {
		opts.Refresh = def.Refresh
	}
	if opts.Timeout <= 0 {
		opts.Timeout = def.Timeout
	}
	m := &Status{ctx: ctx, collector: collector, opts: opts, help: help.New(), width: 80, height: 24}
	for range views {
		m.pages = append(m.pages, page.New())
	}
	m.resize()
	return m
}

// Report is the last good observation, nil before the first; --exit-code reads it on quit.
func (m *Status) Report() *status.Report { return m.report }

// Init starts the first collect.
func (m *Status) Init() tea.Cmd { return m.collect() }

// collect starts a collect unless one is running.
func (m *Status) collect() tea.Cmd {
	if m.collecting {
		return nil
	}
	m.collecting = true
	ctx, c, timeout := m.ctx, m.collector, m.opts.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		r, err := c.Collect(ctx)
		if err == nil && r == nil {
			err = errors.New("the collector returned no report")
		}
		if err != nil {
			return collectedMsg{err: err}
		}
		return prepare(r)
	}
}

// Update routes messages: data to the pages, keys to the filter, the root's own bindings, or
// the active page.
func (m *Status) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
	case collectedMsg:
		m.collecting = false
		m.err = msg.err
		if msg.err == nil {
			m.report = msg.report
			for i, p := range m.pages {
				p.SetPrepared(msg.pages[i])
			}
		}
		m.tickSeq++
		seq := m.tickSeq
		return m, tea.Tick(m.opts.Refresh, func(time.Time) tea.Msg { return tickMsg{seq: seq} })
	case tickMsg:
		if msg.seq == m.tickSeq {
			return m, m.collect()
		}
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Status) key(msg tea.KeyMsg) tea.Cmd {
	k := keys.Default
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	if m.filtering {
		m.editFilter(msg)
		return nil
	}
	if m.showHelp {
		if key.Matches(msg, k.Help, k.Back) {
			m.showHelp = false
		} else if key.Matches(msg, k.Quit) {
			return tea.Quit
		}
		return nil
	}
	p := m.pages[m.active]
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.NextView):
		m.show((m.active + 1) % len(m.pages))
	case key.Matches(msg, k.PrevView):
		m.show((m.active + len(m.pages) - 1) % len(m.pages))
	case key.Matches(msg, k.Refresh):
		return m.collect()
	case key.Matches(msg, k.Filter) && !p.InDetail():
		m.filtering = true
	case key.Matches(msg, k.Back):
		if !p.Back() {
			p.SetFilter("")
		}
	default:
		for i, b := range k.Views {
			if key.Matches(msg, b) {
				m.show(i)
				return nil
			}
		}
		p.Update(msg)
	}
	return nil
}

// show makes view i active and shows its list: a view key (or tab) leaves the drill-down of
// the page it was pressed on, its own page's included, so no Esc is needed first.
func (m *Status) show(i int) {
	m.pages[m.active].Back()
	m.active = i
}

// editFilter edits the active page's filter as the user types: enter keeps it, esc drops it.
func (m *Status) editFilter(msg tea.KeyMsg) {
	p := m.pages[m.active]
	f := p.Filter()
	switch msg.Type {
	case tea.KeyEnter:
		m.filtering = false
		return
	case tea.KeyEsc:
		m.filtering = false
		f = ""
	case tea.KeyBackspace:
		if r := []rune(f); len(r) > 0 {
			f = string(r[:len(r)-1])
		}
	case tea.KeyCtrlU:
		f = ""
	case tea.KeyRunes, tea.KeySpace:
		f += string(msg.Runes)
	default:
		return
	}
	p.SetFilter(f)
}

// chrome is the lines around a page: the tab bar above, the status and help lines below.
const chrome = 3

func (m *Status) resize() {
	m.help.Width = m.width
	for _, p := range m.pages {
		p.SetSize(m.width, max(m.height-chrome, 1))
	}
}

// View draws exactly the terminal's height in lines, none wider than the terminal, so resizes
// never leave torn or wrapped lines behind.
func (m *Status) View() string {
	st := styles.Default
	body := ""
	switch {
	case m.showHelp:
		body = st.Title.Render("Keys") + "\n\n" + m.help.FullHelpView(keys.Default.FullHelp())
	case m.report == nil && m.err == nil:
		body = st.Dim.Render("Collecting the first observation…")
	case m.report == nil:
		body = st.Dim.Render("No observation yet; the next refresh will try again.")
	default:
		body = m.pages[m.active].View()
	}
	lines := []string{m.tabs()}
	lines = append(lines, fit(strings.Split(body, "\n"), m.height-chrome)...)
	lines = append(lines, m.statusLine(), m.help.ShortHelpView(keys.Default.ShortHelp()))
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, m.width, "…")
	}
	return strings.Join(fit(lines, m.height), "\n")
}

// fit cuts or pads lines to exactly n.
func fit(lines []string, n int) []string {
	n = max(n, 0)
	if len(lines) > n {
		return lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

func (m *Status) tabs() string {
	st := styles.Default
	parts := []string{st.Title.Render("kongdb status")}
	for i, name := range viewNames {
		label := fmt.Sprintf(" %d %s ", i+1, name)
		if i == m.active {
			parts = append(parts, st.TabActive.Render("["+strings.TrimSpace(label)+"]"))
			continue
		}
		parts = append(parts, st.TabInactive.Render(label))
	}
	return strings.Join(parts, " ")
}

// statusLine is the filter being typed, else the last refresh's error over the data still
// shown, else where the data is from and where the cursor is.
func (m *Status) statusLine() string {
	st := styles.Default
	p := m.pages[m.active]
	if m.filtering {
		return "/" + p.Filter() + "█"
	}
	var parts []string
	if m.err != nil {
		msg := "refresh failed: " + oneLine(m.err.Error())
		if m.report != nil {
			msg += "; showing " + observed(m.report)
		}
		return st.Error.Render(msg)
	}
	if m.report != nil {
		parts = append(parts, observed(m.report))
	}
	if m.collecting {
		parts = append(parts, "refreshing…")
	}
	if pos := p.Position(); pos != "" {
		parts = append(parts, pos)
	}
	return st.Dim.Render(strings.Join(parts, " · "))
}

func observed(r *status.Report) string {
	return "observed " + r.ObservedAt.UTC().Format("15:04:05") + " UTC"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// RunStatus runs the live view on in/out until the user quits or ctx ends, and returns the last
// good Report (nil if none arrived).
func RunStatus(ctx context.Context, collector status.Collector, opts StatusOptions, in io.Reader, out io.Writer) (*status.Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends a collect still running when the user quits
	m := NewStatus(ctx, collector, opts)
	final, err := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithAltScreen()).Run()
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return nil, fmt.Errorf("status view: %w", err)
	}
	if s, ok := final.(*Status); ok {
		return s.Report(), nil
	}
	return m.Report(), nil
}
