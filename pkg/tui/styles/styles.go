// Package styles holds every lipgloss style of the terminal UI, so components never carry
// colour literals and a theme change touches this one file.
package styles

import (
	"github.com/charmbracelet/lipgloss"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
)

// Styles are the styles of the UI. Colours are adaptive so the UI reads on light and dark
// terminals; under an ASCII colour profile (tests, NO_COLOR) they all vanish, which is why
// nothing here carries meaning on colour alone (the cursor also has a marker, states are words).
type Styles struct {
	Title       lipgloss.Style
	TabActive   lipgloss.Style
	TabInactive lipgloss.Style
	Header      lipgloss.Style
	Selected    lipgloss.Style
	Label       lipgloss.Style
	Dim         lipgloss.Style
	Error       lipgloss.Style
	OK          lipgloss.Style
	Warn        lipgloss.Style
	Bad         lipgloss.Style
	Added       lipgloss.Style
	Removed     lipgloss.Style
}

var (
	green  = lipgloss.AdaptiveColor{Light: "#1a7f37", Dark: "#3fb950"}
	yellow = lipgloss.AdaptiveColor{Light: "#9a6700", Dark: "#d29922"}
	red    = lipgloss.AdaptiveColor{Light: "#cf222e", Dark: "#f85149"}
	subtle = lipgloss.AdaptiveColor{Light: "#6e7781", Dark: "#8b949e"}
	accent = lipgloss.AdaptiveColor{Light: "#0550ae", Dark: "#58a6ff"}
)

// Default is the UI's theme.
var Default = Styles{
	Title:       lipgloss.NewStyle().Bold(true).Foreground(accent),
	TabActive:   lipgloss.NewStyle().Bold(true).Reverse(true),
	TabInactive: lipgloss.NewStyle().Foreground(subtle),
	Header:      lipgloss.NewStyle().Bold(true),
	Selected:    lipgloss.NewStyle().Reverse(true),
	Label:       lipgloss.NewStyle().Bold(true),
	Dim:         lipgloss.NewStyle().Foreground(subtle),
	Error:       lipgloss.NewStyle().Foreground(red),
	OK:          lipgloss.NewStyle().Foreground(green),
	Warn:        lipgloss.NewStyle().Foreground(yellow),
	Bad:         lipgloss.NewStyle().Foreground(red).Bold(true),
	Added:       lipgloss.NewStyle().Foreground(green),
	Removed:     lipgloss.NewStyle().Foreground(red),
}

// Health is the style of a row or field of the given health.
func (s Styles) Health(h status.Health) lipgloss.Style {
	switch h {
	case status.HealthOK:
		return s.OK
	case status.HealthWarn:
		return s.Warn
	case status.HealthBad:
		return s.Bad
	}
	return lipgloss.NewStyle()
}
