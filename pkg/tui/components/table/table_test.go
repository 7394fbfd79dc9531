package table

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

func sample(rows int) status.Table {
	t := status.Table{Columns: []status.Column{
		{Name: "NAME"}, {Name: "STATE", Drop: 1}, {Name: "VERSION", Drop: 2},
		{Name: "MESSAGE", Flex: true}, {Name: "URL", Wide: true, Drop: 3},
	}}
	for i := range rows {
		name := "node-" + string(rune('a'+i%26))
		t.Rows = append(t.Rows, status.Row{Cells: []string{name, "up", "3.9.1", "a fairly long message about " + name, "http://" + name}})
	}
	return t
}

func columns(m Model) []string {
	var names []string
	for _, i := range m.cols {
		names = append(names, m.src.Columns[i].Name)
	}
	return names
}

func TestLayoutDropsColumnsByDropThenShowsWideOnlyWithRoom(t *testing.T) {
	tests := []struct {
		width int
		want  string
	}{
		{200, "NAME STATE VERSION MESSAGE URL"},
		{70, "NAME STATE VERSION MESSAGE"},
		{34, "NAME STATE VERSION MESSAGE"},
		{30, "NAME STATE MESSAGE"},
		{25, "NAME STATE MESSAGE"},
		{18, "NAME MESSAGE"},
		{5, "NAME MESSAGE"},
	}
	for _, tt := range tests {
		m := New(true)
		m.SetTable(sample(3))
		m.SetSize(tt.width, 10)
		if got := strings.Join(columns(m), " "); got != tt.want {
			t.Errorf("width %d: columns %q, want %q", tt.width, got, tt.want)
		}
		for i, l := range strings.Split(m.View(), "\n") {
			if w := width(l); w > tt.width {
				t.Errorf("width %d: line %d is %d wide: %q", tt.width, i, w, l)
			}
		}
	}
}

func TestFilterIsCaseInsensitiveOverAllColumns(t *testing.T) {
	m := New(true)
	m.SetTable(sample(26))
	m.SetSize(100, 40)
	m.SetFilter("HTTP://NODE-C")
	if m.Len() != 1 || m.Total() != 26 {
		t.Fatalf("filter kept %d of %d rows, want 1 of 26", m.Len(), m.Total())
	}
	if got := m.Row(m.Selected()).Cells[0]; got != "node-c" {
		t.Errorf("selected %q, want node-c", got)
	}
	m.SetFilter("nothing like this")
	if m.Selected() != -1 || !strings.Contains(m.View(), "no rows match the filter") {
		t.Errorf("an empty filter result does not say so:\n%s", m.View())
	}
}

func TestCursorScrollsAndStaysOnScreen(t *testing.T) {
	m := New(true)
	m.SetTable(sample(26))
	m.SetSize(100, 6) // header and five rows
	for range 7 {
		m.Update(tea.KeyMsg{Type: tea.KeyDown})
	}
	if m.Cursor() != 7 || !strings.Contains(m.View(), "> node-h") {
		t.Fatalf("cursor %d, view:\n%s", m.Cursor(), m.View())
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("G")})
	if m.Cursor() != 25 || !strings.Contains(m.View(), "> node-z") {
		t.Errorf("G did not go to the last row:\n%s", m.View())
	}
	m.SetTable(sample(4)) // a refresh with fewer rows
	if m.Cursor() != 3 || !strings.Contains(m.View(), "> node-d") {
		t.Errorf("the cursor was not clamped to the new rows:\n%s", m.View())
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("g")})
	if m.Cursor() != 0 {
		t.Errorf("g did not go to the top")
	}
}

func TestStaticTableIgnoresKeysAndHasNoCursor(t *testing.T) {
	m := New(false)
	m.SetTable(sample(3))
	m.SetSize(100, 10)
	m.Update(tea.KeyMsg{Type: tea.KeyDown})
	if m.Selected() != -1 || strings.Contains(m.View(), ">") {
		t.Errorf("a static table selects rows:\n%s", m.View())
	}
}

func TestTruncateKeepsWidth(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"abcdef", 6, "abcdef"},
		{"abcdef", 4, "abc…"},
		{"abcdef", 0, ""},
		{"ünïcödé-wörd", 5, "ünïc…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.w); got != tt.want || width(got) > tt.w {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
}
