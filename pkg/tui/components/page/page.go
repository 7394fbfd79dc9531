// Package page is one view of the status UI: a few summary fields, an optional note, an
// optional small table shown whole, and a main table that scrolls, filters and drills down
// into one row. Every view (Cluster, Drift, Problems, Sync) is a page; they differ only in the
// Content they build from a Report, so navigation, filtering and drill-down behave the same
// everywhere.
package page

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/components/detail"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/components/table"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/keys"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/styles"
)

// Content is what a page shows of one Report.
type Content struct {
	Fields []status.Field
	// Note is a sentence shown in full (wrapped), such as why the main table is empty.
	Note string
	// Static is a small table shown whole above the main one (CPs above DPs, per-type counts
	// above the drifted entities); nil for none.
	Static *status.Table
	// Main is the table the cursor, the filter and enter work on; none when it has no columns
	// (what it would list is unknown, and Note says why).
	Main status.Table
	// Empty is shown in place of Main's rows when it has none.
	Empty string
	// Detail is the drill-down of row i of Main; nil when rows have none.
	Detail func(i int) (title string, body detail.Render)
}

// Build turns a Report into a page's Content.
type Build func(r *status.Report) Content

// Prepared is a page's Content with its tables measured: everything SetPrepared needs, built by
// Prepare where the Report is collected so the UI goroutine only swaps it in.
type Prepared struct {
	content      Content
	static, main table.Data
}

// Prepare builds and measures what a page shows of r. It is pure and may run on any goroutine.
func Prepare(build Build, r *status.Report) Prepared {
	p := Prepared{content: build(r)}
	p.main = table.Measure(p.content.Main)
	if p.content.Static != nil {
		p.static = table.Measure(*p.content.Static)
	}
	return p
}

// Model is a page.
type Model struct {
	content Content
	static  table.Model
	main    table.Model
	detail  *detail.Model
	filter  string
	width   int
	height  int
}

// New returns an empty page.
func New() *Model {
	return &Model{static: table.New(false), main: table.New(true)}
}

// SetPrepared shows a new observation. An open drill-down stays as it was opened, so a refresh
// does not move what the user is reading; esc and enter show the new data.
func (m *Model) SetPrepared(p Prepared) {
	m.content = p.content
	m.static.SetData(p.static)
	m.main.SetData(p.main)
	m.main.Empty = m.content.Empty
	m.main.SetFilter(m.filter)
	m.layout()
}

// SetSize sets the space the page draws in.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.layout()
	if m.detail != nil {
		m.detail.SetSize(width, height)
	}
}

// SetFilter filters the main table.
func (m *Model) SetFilter(f string) {
	m.filter = f
	m.main.SetFilter(f)
	m.layout()
}

// Filter is the main table's filter.
func (m *Model) Filter() string { return m.filter }

// InDetail reports whether a drill-down is open.
func (m *Model) InDetail() bool { return m.detail != nil }

// Back closes the drill-down; false when there was none, so the caller can treat esc further.
func (m *Model) Back() bool {
	if m.detail == nil {
		return false
	}
	m.detail = nil
	return true
}

// Update handles navigation and enter.
func (m *Model) Update(msg tea.KeyMsg) {
	if m.detail != nil {
		m.detail.Update(msg)
		return
	}
	if key.Matches(msg, keys.Default.Enter) {
		if i := m.main.Selected(); i >= 0 && m.content.Detail != nil {
			title, body := m.content.Detail(i)
			d := detail.New(title, body, m.width, m.height)
			m.detail = &d
		}
		return
	}
	m.main.Update(msg)
}

// Position says where the cursor is, for the status line.
func (m *Model) Position() string {
	switch {
	case m.detail != nil || m.main.Total() == 0:
		return ""
	case m.filter != "":
		return fmt.Sprintf("%d/%d of %d rows match /%s", min(m.main.Cursor()+1, m.main.Len()), m.main.Len(), m.main.Total(), m.filter)
	}
	return fmt.Sprintf("%d/%d rows", m.main.Cursor()+1, m.main.Len())
}

// head is what sits above the tables: the fields and the wrapped note.
func (m *Model) head() []string {
	st := styles.Default
	var lines []string
	nameWidth := 0
	for _, f := range m.content.Fields {
		nameWidth = max(nameWidth, len(f.Name))
	}
	for _, f := range m.content.Fields {
		name := st.Label.Render(fmt.Sprintf("%-*s", nameWidth+1, f.Name+":"))
		lines = append(lines, name+" "+st.Health(f.Health).Render(f.Value))
	}
	if m.content.Note != "" {
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		for _, l := range strings.Split(ansi.Wordwrap(m.content.Note, max(m.width, 10), " "), "\n") {
			lines = append(lines, st.Warn.Render(l))
		}
	}
	return lines
}

// layout shares the height: the head first, then the static table up to half of what is
// left, then the main table.
func (m *Model) layout() {
	rest := m.height - len(m.head())
	if len(m.content.Fields) > 0 || m.content.Note != "" {
		rest-- // blank line after the head
	}
	if m.content.Static != nil {
		h := min(m.static.Height(), max(rest/2, 2))
		m.static.SetSize(m.width, h)
		rest -= h + 1
	}
	m.main.SetSize(m.width, max(rest, 2))
}

// View draws the page.
func (m *Model) View() string {
	if m.detail != nil {
		return m.detail.View()
	}
	parts := m.head()
	if len(parts) > 0 {
		parts = append(parts, "")
	}
	if m.content.Static != nil {
		parts = append(parts, m.static.View(), "")
	}
	if len(m.content.Main.Columns) > 0 {
		parts = append(parts, m.main.View())
	}
	return strings.Join(parts, "\n")
}
