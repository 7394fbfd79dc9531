package tui

import (
	"fmt"
	"strings"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/components/detail"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/components/page"
	"github.com/kongdb/kubectl-kongdb/pkg/tui/styles"
)

// The four views of status are four page Builds; the page component gives each the same
// navigation, filtering and drill-down.

// clusterView: the mode, then traditional nodes, or the CPs above their DPs.
func clusterView(r *status.Report) page.Content {
	c := page.Content{Fields: status.SummaryFields(r)}
	switch {
	case !r.Kong.Reachable:
		c.Note = "Kong's nodes are unknown: its Admin API could not be read."
		return c
	case r.Kong.Mode == status.ModeHybrid:
		cps := status.ControlPlanesTable(r)
		c.Static = &cps
		c.Main = status.DataPlanesTable(r)
		c.Empty = "the control plane knows no data planes"
	default:
		c.Main = status.NodesTable(r)
		c.Empty = "no nodes found"
	}
	c.Detail = rowDetail(c.Main, 0)
	return c
}

// driftView: counts per entity type above the entities that differ.
func driftView(r *status.Report) page.Content {
	if r.Drift == nil {
		return page.Content{Note: "No drift to show: " + r.DriftUnavailable() + "."}
	}
	c := page.Content{Main: status.DriftEntitiesTable(r.Drift)}
	types := status.DriftTypesTable(r.Drift)
	c.Static = &types
	c.Empty = "every entity is as desired"
	c.Detail = func(i int) (string, detail.Render) {
		e := r.Drift.Entities[i]
		return fmt.Sprintf("%s %s: %s", e.Type, e.Name, e.Change), func(width int) string { return entityDiff(e, width) }
	}
	return c
}

// problemsView: translation diagnostics and the last sync's failures; each side that could not
// be read is named, since its problems are then unknown rather than absent.
func problemsView(r *status.Report) page.Content {
	c := page.Content{Main: status.ProblemsTable(r)}
	var unknown []string
	if !r.Source.Reachable {
		unknown = append(unknown, "translation diagnostics are unknown: Kubernetes could not be read")
	}
	if !r.Kong.Reachable {
		unknown = append(unknown, "the last sync's failures are unknown: Kong could not be read")
	}
	if len(unknown) > 0 {
		c.Note = strings.Join(unknown, "; ") + "."
	}
	c.Empty = "no problems: every object translated and the last sync wrote everything"
	c.Detail = rowDetail(c.Main, 1)
	return c
}

// syncView: the last sync's record and how long each node took to serve it.
func syncView(r *status.Report) page.Content {
	c := page.Content{Fields: status.SyncFields(r)}
	if r.LastSync == nil {
		return c // the fields say why there is no record
	}
	c.Main = status.SyncNodesTable(r.LastSync)
	c.Empty = "the sync recorded no nodes"
	c.Detail = rowDetail(c.Main, 0)
	return c
}

// rowDetail shows every column of a row, values wrapped, including the columns the table had
// no room for; the cell of column title names it.
func rowDetail(t status.Table, title int) func(i int) (string, detail.Render) {
	return func(i int) (string, detail.Render) {
		row := t.Rows[i]
		return row.Cells[title], func(width int) string {
			fields := make([]status.Field, len(t.Columns))
			for j, col := range t.Columns {
				fields[j] = status.Field{Name: col.Name, Value: row.Cells[j]}
			}
			return fieldLines(fields, width)
		}
	}
}

// fieldLines lays out "NAME  value" pairs, values wrapped under themselves.
func fieldLines(fields []status.Field, width int) string {
	st := styles.Default
	nameWidth := 0
	for _, f := range fields {
		nameWidth = max(nameWidth, len(f.Name))
	}
	indent := strings.Repeat(" ", nameWidth+2)
	var b strings.Builder
	for _, f := range fields {
		if f.Value == "" {
			continue
		}
		value := strings.TrimPrefix(detail.Wrap(f.Value, width, indent), indent)
		fmt.Fprintf(&b, "%s  %s\n", st.Label.Render(fmt.Sprintf("%-*s", nameWidth, f.Name)), value)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// entityDiff is the field-by-field drill-down of one drifted entity: what Kong has (-) and what
// Kubernetes wants (+), as the producer rendered them, secrets already redacted.
func entityDiff(e status.EntityDrift, width int) string {
	st := styles.Default
	var b strings.Builder
	b.WriteString(fieldLines([]status.Field{
		{Name: "Type", Value: e.Type}, {Name: "Name", Value: e.Name}, {Name: "Change", Value: string(e.Change)},
		{Name: "Object", Value: e.Object}, {Name: "ID", Value: e.ID}, {Name: "Reason", Value: e.Reason},
	}, width))
	b.WriteString("\n\n")
	if len(e.Fields) == 0 {
		b.WriteString(st.Dim.Render("no field differences recorded"))
		return b.String()
	}
	b.WriteString(st.Dim.Render("- Kong has   + Kubernetes wants"))
	for _, f := range e.Fields {
		b.WriteString("\n" + st.Label.Render(f.Path))
		if f.Actual != nil {
			b.WriteString("\n" + st.Removed.Render(diffValue("- ", *f.Actual, width)))
		}
		if f.Desired != nil {
			b.WriteString("\n" + st.Added.Render(diffValue("+ ", *f.Desired, width)))
		}
	}
	return b.String()
}

func diffValue(sign, v string, width int) string {
	return "  " + sign + strings.TrimPrefix(detail.Wrap(v, width, "    "), "    ")
}
