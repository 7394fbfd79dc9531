// Package keys holds every key binding of the terminal UI in one KeyMap, which also feeds
// the help view, so what `?` shows is what the keys do.
package keys

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the UI's bindings, k9s-style.
type KeyMap struct {
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding

	NextView key.Binding
	PrevView key.Binding
	// Views jump straight to view i+1 (keys 1–4).
	Views []key.Binding

	Filter  key.Binding
	Enter   key.Binding
	Back    key.Binding
	Refresh key.Binding
	Help    key.Binding
	Quit    key.Binding
}

// Default is the UI's key map; views are named in the order of the tabs.
var Default = New("Cluster", "Drift", "Problems", "Sync")

// New returns the key map for tabs of the given names.
func New(views ...string) KeyMap {
	k := KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", " "), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
		NextView: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "view")),
		PrevView: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "view back")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Enter:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
	for i, name := range views {
		n := string(rune('1' + i))
		k.Views = append(k.Views, key.NewBinding(key.WithKeys(n), key.WithHelp(n, name)))
	}
	return k
}

// ShortHelp is the one-line help under every view.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.NextView, k.Filter, k.Enter, k.Back, k.Refresh, k.Help, k.Quit}
}

// FullHelp is what `?` shows, one column per group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		append([]key.Binding{k.NextView, k.PrevView}, k.Views...),
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Filter, k.Enter, k.Back, k.Refresh, k.Help, k.Quit},
	}
}
