package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/hexops/gotextdiff"
	"github.com/hexops/gotextdiff/myers"
	"github.com/hexops/gotextdiff/span"
	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

// ANSI colours of a diff on a terminal, as git colours them.
const (
	red   = "\x1b[31m"
	green = "\x1b[32m"
	cyan  = "\x1b[36m"
	bold  = "\x1b[1m"
	reset = "\x1b[0m"
)

// WriteDiff prints one unified diff per op of p, between the entity as Kong has it and as it
// will be, both as YAML with secrets redacted; colour adds git's colours.
func WriteDiff(w io.Writer, p *plan.Plan, colour bool) error {
	for _, op := range p.Ops {
		body, old := op.Redacted()
		from, err := entityYAML(old)
		if err != nil {
			return err
		}
		to, err := entityYAML(body)
		if err != nil {
			return err
		}
		path := fmt.Sprintf("%s/%s", op.Kind, op.Name)
		a, b := "a/"+path, "b/"+path
		switch op.Action {
		case plan.Create:
			a = "/dev/null"
		case plan.Delete:
			b = "/dev/null"
		}
		edits := myers.ComputeEdits(span.URIFromPath(path), from, to)
		text := fmt.Sprint(gotextdiff.ToUnified(a, b, from, edits))
		if colour {
			text = colourise(text)
		}
		header := fmt.Sprintf("# %s %s %s", op.Action, op.Kind, op.Name)
		if op.Object != nil {
			header += " (" + op.Object.String() + ")"
		}
		if op.Conflict != "" {
			header = "# conflict: " + strings.TrimPrefix(header, "# ") + "\n#   in the way: " + op.Conflict
		}
		if colour {
			header = bold + header + reset
		}
		if _, err := fmt.Fprintf(w, "%s\n%s", header, text); err != nil {
			return err
		}
	}
	return nil
}

func entityYAML(m map[string]any) (string, error) {
	if m == nil {
		return "", nil
	}
	raw, err := yaml.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode entity: %w", err)
	}
	return string(raw), nil
}

func colourise(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
			lines[i] = bold + strings.TrimSuffix(l, "\n") + reset + "\n"
		case strings.HasPrefix(l, "+"):
			lines[i] = green + strings.TrimSuffix(l, "\n") + reset + "\n"
		case strings.HasPrefix(l, "-"):
			lines[i] = red + strings.TrimSuffix(l, "\n") + reset + "\n"
		case strings.HasPrefix(l, "@@"):
			lines[i] = cyan + strings.TrimSuffix(l, "\n") + reset + "\n"
		}
	}
	return strings.Join(lines, "")
}

// planView is a plan as printed: its ops with redacted bodies.
type planView struct {
	Ops       []opView   `json:"ops"`
	Withheld  []*plan.Op `json:"withheld,omitempty"`
	Managed   int        `json:"managed"`
	Unchanged int        `json:"unchanged"`
	Notes     []string   `json:"notes,omitempty"`
}

type opView struct {
	*plan.Op
	Body map[string]any `json:"body,omitempty"`
	Old  map[string]any `json:"old,omitempty"`
}

// WritePlan prints p as json or yaml, secrets redacted.
func WritePlan(w io.Writer, p *plan.Plan, format string) error {
	v := planView{Ops: []opView{}, Withheld: p.Withheld, Managed: p.Managed, Unchanged: p.Unchanged, Notes: p.Notes}
	for _, op := range p.Ops {
		body, old := op.Redacted()
		v.Ops = append(v.Ops, opView{Op: op, Body: body, Old: old})
	}
	return encode(w, v, format, "plan")
}
