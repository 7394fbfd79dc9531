// Package detail is the drill-down of one row: a scrolling page whose content is laid out
// again for every width, so long values (an error message, a JSON field) wrap inside it
// instead of tearing the terminal.
package detail

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kongdb/kubectl-kongdb/pkg/tui/keys"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/styles"
)

// Render lays out a detail's body for a width.
type Render func(width int) string

// Model is a detail page.
type Model struct {
	title  string
	render Render
	vp     viewport.Model
}

// New returns a detail titled title whose body render draws.
func New(title string, render Render, width, height int) Model {
	k := keys.Default
	vp := viewport.New(width, max(height-2, 1))
	vp.KeyMap = viewport.KeyMap{Up: k.Up, Down: k.Down, PageUp: k.PageUp, PageDown: k.PageDown}
	m := Model{title: title, render: render, vp: vp}
	m.SetSize(width, height)
	return m
}

// SetSize lays the body out again for the new width.
func (m *Model) SetSize(width, height int) {
	m.vp.Width, m.vp.Height = width, max(height-2, 1)
	m.vp.SetContent(m.render(width))
}

// Update scrolls.
func (m *Model) Update(msg tea.KeyMsg) {
	switch k := keys.Default; {
	case key.Matches(msg, k.Top):
		m.vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		m.vp.GotoBottom()
	default:
		m.vp, _ = m.vp.Update(msg)
	}
}

// View draws the title, a blank line and the visible part of the body.
func (m Model) View() string {
	title := ansi.Truncate(styles.Default.Title.Render(m.title), m.vp.Width, "…")
	return title + "\n\n" + m.vp.View()
}

// Wrap wraps s to width at spaces (hard where a word is too long), indenting continuation lines by indent, for values that must be
// read in full.
func Wrap(s string, width int, indent string) string {
	w := max(width-ansi.StringWidth(indent), 10)
	lines := strings.Split(ansi.Wrap(s, w, ""), "\n")
	return indent + strings.Join(lines, "\n"+indent)
}
