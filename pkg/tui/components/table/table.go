// Package table is a scrolling, filterable view of a status.Table. It fits its columns to the
// terminal's width (dropping the least useful ones first, then truncating the flexible ones),
// so a narrow terminal shows fewer columns instead of wrapped, torn lines; and it renders only
// the rows on screen, so ten thousand rows cost what twenty do.
package table

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/keys"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/styles"
)

const (
	gap = "  "
	// marker shows the cursor's row without colour (ASCII terminals, golden files).
	marker      = "> "
	noMarker    = "  "
	maxNatural  = 60
	minFlexible = 8
)

// Model is the table. The zero value is not usable; call New.
type Model struct {
	src     status.Table
	search  []string
	natural []int

	filter string
	rows   []int // indexes into src.Rows that pass the filter

	cursor, offset int
	width, height  int
	// Interactive tables show the cursor and take navigation keys; static ones do neither.
	Interactive bool
	// Empty is shown under the header when there are no rows at all.
	Empty string

	cols   []int // indexes of the columns that fit
	widths []int // width of each of cols
}

// New returns an empty table.
func New(interactive bool) Model { return Model{Interactive: interactive} }

// Data is a status.Table measured for display. Measuring 10,000 rows takes milliseconds, so
// it is done with Measure where the Report is collected, off the UI goroutine, and SetData
// only takes the result in.
type Data struct {
	src status.Table
	// search holds each row's cells lower-cased and joined, so that filtering on every
	// keystroke does not allocate per row.
	search []string
	// natural is each column's widest cell (capped).
	natural []int
}

// Measure prepares t for SetData.
func Measure(t status.Table) Data {
	d := Data{src: t, search: make([]string, len(t.Rows)), natural: make([]int, len(t.Columns))}
	for i, c := range t.Columns {
		d.natural[i] = width(c.Name)
	}
	var b strings.Builder
	for r, row := range t.Rows {
		b.Reset()
		for i, cell := range row.Cells {
			if w := width(cell); w > d.natural[i] {
				d.natural[i] = min(w, maxNatural)
			}
			b.WriteString(cell)
			b.WriteByte(0)
		}
		d.search[r] = strings.ToLower(b.String())
	}
	return d
}

// SetData replaces the rows, keeping the cursor where it was (clamped) so that a refresh does
// not throw the user back to the top.
func (m *Model) SetData(d Data) {
	m.src, m.search, m.natural = d.src, d.search, d.natural
	m.applyFilter()
	m.layout()
}

// SetTable measures t and shows it.
func (m *Model) SetTable(t status.Table) { m.SetData(Measure(t)) }

// SetFilter keeps only the rows containing f (case-insensitive, any column).
func (m *Model) SetFilter(f string) {
	m.filter = strings.ToLower(f)
	m.applyFilter()
}

func (m *Model) applyFilter() {
	m.rows = m.rows[:0]
	for i, s := range m.search {
		if m.filter == "" || strings.Contains(s, m.filter) {
			m.rows = append(m.rows, i)
		}
	}
	m.clamp()
}

// SetSize sets the space the table draws in, header included.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.layout()
	m.clamp()
}

// Height is how many lines the table needs to show every row, header included.
func (m Model) Height() int { return max(len(m.rows), 1) + 1 }

// Len is the number of rows that pass the filter; Total the number of rows.
func (m Model) Len() int { return len(m.rows) }

// Total is the number of rows before filtering.
func (m Model) Total() int { return len(m.src.Rows) }

// Cursor is the position of the cursor among the filtered rows.
func (m Model) Cursor() int { return m.cursor }

// Selected is the index in the status.Table of the row under the cursor, or -1.
func (m Model) Selected() int {
	if !m.Interactive || len(m.rows) == 0 {
		return -1
	}
	return m.rows[m.cursor]
}

// Columns are the table's columns, for a detail view of the selected row.
func (m Model) Columns() []status.Column { return m.src.Columns }

// Row is the row at index i of the status.Table.
func (m Model) Row(i int) status.Row { return m.src.Rows[i] }

// Update moves the cursor.
func (m *Model) Update(msg tea.KeyMsg) {
	if !m.Interactive {
		return
	}
	k, page := keys.Default, max(m.height-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		m.cursor--
	case key.Matches(msg, k.Down):
		m.cursor++
	case key.Matches(msg, k.PageUp):
		m.cursor -= page
	case key.Matches(msg, k.PageDown):
		m.cursor += page
	case key.Matches(msg, k.Top):
		m.cursor = 0
	case key.Matches(msg, k.Bottom):
		m.cursor = len(m.rows) - 1
	}
	m.clamp()
}

// clamp keeps the cursor on a row and the cursor's row on screen.
func (m *Model) clamp() {
	m.cursor = max(min(m.cursor, len(m.rows)-1), 0)
	visible := max(m.height-1, 1)
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+visible {
		m.offset = m.cursor - visible + 1
	}
	m.offset = max(min(m.offset, len(m.rows)-visible), 0)
}

// layout picks the columns that fit the width and their widths. Columns go, highest Drop
// first, until the rest fit at their minimum; the columns only -o wide prints come back when
// everything else fits at its natural width; then flexible columns share what is left.
func (m *Model) layout() {
	avail := m.width - len(marker)
	var cols, wide []int
	for i, c := range m.src.Columns {
		if c.Wide {
			wide = append(wide, i)
		} else {
			cols = append(cols, i)
		}
	}
	for m.need(cols, m.minWidth) > avail {
		drop := -1
		for j, i := range cols {
			if m.src.Columns[i].Drop > 0 && (drop < 0 || m.src.Columns[i].Drop > m.src.Columns[cols[drop]].Drop) {
				drop = j
			}
		}
		if drop < 0 {
			break // nothing left to drop; the line is truncated at the edge instead
		}
		cols = slices.Delete(cols, drop, drop+1)
	}
	natural := func(i int) int { return m.natural[i] }
	for _, i := range wide {
		if m.need(append(slices.Clone(cols), i), natural) <= avail {
			cols = append(cols, i)
		}
	}
	slices.Sort(cols)

	widths := make([]int, len(cols))
	spare := avail - m.need(cols, m.minWidth)
	for j, i := range cols {
		widths[j] = m.minWidth(i)
	}
	// Flexible columns share what is spare evenly, each up to its natural width, so one long
	// column (an error message) does not starve the others.
	for spare > 0 {
		var growing []int
		for j, i := range cols {
			if m.src.Columns[i].Flex && widths[j] < m.natural[i] {
				growing = append(growing, j)
			}
		}
		if len(growing) == 0 {
			break
		}
		share := max(spare/len(growing), 1)
		for _, j := range growing {
			grow := min(share, m.natural[cols[j]]-widths[j], spare)
			widths[j] += grow
			spare -= grow
		}
	}
	m.cols, m.widths = cols, widths
}

// minWidth is the narrowest column i may be: flexible columns truncate to a few characters,
// the others (states, counts, versions) are shown whole.
func (m *Model) minWidth(i int) int {
	if m.src.Columns[i].Flex {
		return min(m.natural[i], max(minFlexible, ansi.StringWidth(m.src.Columns[i].Name)))
	}
	return m.natural[i]
}

// need is the width cols take at the given column widths, gaps included.
func (m *Model) need(cols []int, width func(int) int) int {
	total := len(gap) * max(len(cols)-1, 0)
	for _, i := range cols {
		total += width(i)
	}
	return total
}

// View draws the header and the rows on screen, each line exactly the table's width or less.
func (m Model) View() string {
	st := styles.Default
	var b strings.Builder
	header := make([]string, len(m.cols))
	for j, i := range m.cols {
		header[j] = m.src.Columns[i].Name
	}
	b.WriteString(st.Header.Render(m.line(noMarker, header)))
	if len(m.rows) == 0 {
		empty := m.Empty
		if m.filter != "" && len(m.src.Rows) > 0 {
			empty = "no rows match the filter"
		}
		b.WriteString("\n" + st.Dim.Render(ansi.Truncate(noMarker+empty, m.width, "…")))
		return b.String()
	}
	visible := max(m.height-1, 1)
	cells := make([]string, len(m.cols))
	for r := m.offset; r < min(m.offset+visible, len(m.rows)); r++ {
		row := m.src.Rows[m.rows[r]]
		for j, i := range m.cols {
			cells[j] = row.Cells[i]
		}
		b.WriteByte('\n')
		if m.Interactive && r == m.cursor {
			b.WriteString(st.Selected.Render(m.line(marker, cells)))
			continue
		}
		b.WriteString(st.Health(row.Health).Render(m.line(noMarker, cells)))
	}
	return b.String()
}

// line lays out one row: each cell truncated or padded to its column's width.
func (m Model) line(lead string, cells []string) string {
	var b strings.Builder
	b.WriteString(lead)
	for j, cell := range cells {
		if j > 0 {
			b.WriteString(gap)
		}
		w := m.widths[j]
		cell = truncate(cell, w)
		b.WriteString(cell)
		if j < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", max(w-width(cell), 0)))
		}
	}
	return truncate(b.String(), m.width)
}

// width is the cell's width on screen. Most cells are printable ASCII, whose width is their
// length; measuring grapheme clusters only for the others makes measuring 10,000 rows, and
// drawing a frame, several times cheaper.
func width(s string) int {
	if plain(s) {
		return len(s)
	}
	return ansi.StringWidth(s)
}

// truncate cuts s to w columns, ending with "…" when it cut.
func truncate(s string, w int) string {
	switch {
	case w <= 0:
		return ""
	case !plain(s):
		return ansi.Truncate(s, w, "…")
	case len(s) <= w:
		return s
	}
	return s[:w-1] + "…"
}

func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
