package status

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// Format is a non-interactive output of status.
type Format string

// The formats of Print. FormatTable is what status prints when stdout is not a terminal.
const (
	FormatTable Format = ""
	FormatWide  Format = "wide"
	FormatJSON  Format = "json"
	FormatYAML  Format = "yaml"
)

// Formats are the values -o accepts.
var Formats = []Format{FormatWide, FormatJSON, FormatYAML}

// PrintOptions says how Print writes a Report.
type PrintOptions struct {
	Format Format
	// Aligned pads table columns with spaces, for a terminal; otherwise cells are separated
	// by one tab, for scripts.
	Aligned bool
}

// Print writes r in the given format: JSON and YAML print the Report as is; the table prints
// the same Tables the terminal UI shows, one section after another.
func Print(w io.Writer, r *Report, opts PrintOptions) error {
	switch opts.Format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("print status as json: %w", err)
		}
		return nil
	case FormatYAML:
		b, err := yaml.Marshal(r)
		if err != nil {
			return fmt.Errorf("print status as yaml: %w", err)
		}
		_, err = w.Write(b)
		return err
	case FormatTable, FormatWide:
		return printTables(w, r, opts)
	}
	return fmt.Errorf("unknown status output format %q", opts.Format)
}

func printTables(w io.Writer, r *Report, opts PrintOptions) error {
	p := &tablePrinter{wide: opts.Format == FormatWide}
	if opts.Aligned {
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		p.w = tw
		defer tw.Flush()
	} else {
		p.w = w
	}

	p.fields(SummaryFields(r))
	switch {
	case len(r.Nodes) > 0:
		p.table(NodesTable(r))
	case len(r.ControlPlanes) > 0 || len(r.DataPlanes) > 0:
		p.table(ControlPlanesTable(r))
		p.table(DataPlanesTable(r))
	}
	if r.Drift != nil {
		p.table(DriftTypesTable(r.Drift))
		p.table(DriftEntitiesTable(r.Drift))
	}
	p.table(ProblemsTable(r))
	p.fields(SyncFields(r))
	if r.LastSync != nil {
		p.table(SyncNodesTable(r.LastSync))
	}
	return p.err
}

// tablePrinter writes sections separated by blank lines and remembers the first write error,
// so the layout code above reads without an error check per line.
type tablePrinter struct {
	w        io.Writer
	wide     bool
	sections int
	err      error
}

func (p *tablePrinter) line(cells []string) {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, strings.Join(cells, "\t")+"\n")
	}
}

func (p *tablePrinter) section() {
	if p.sections > 0 {
		p.line(nil)
	}
	p.sections++
}

func (p *tablePrinter) fields(fs []Field) {
	p.section()
	for _, f := range fs {
		p.line([]string{f.Name + ":", f.Value})
	}
}

// table prints t's header and rows; a table without rows is left out.
func (p *tablePrinter) table(t Table) {
	if len(t.Rows) == 0 {
		return
	}
	p.section()
	var keep []int
	header := make([]string, 0, len(t.Columns))
	for i, c := range t.Columns {
		if c.Wide && !p.wide {
			continue
		}
		keep = append(keep, i)
		header = append(header, c.Name)
	}
	p.line(header)
	cells := make([]string, len(keep))
	for _, row := range t.Rows {
		for j, i := range keep {
			// A tab or newline inside a cell (an error message) would break the columns.
			cells[j] = strings.NewReplacer("\t", " ", "\n", " ").Replace(row.Cells[i])
		}
		p.line(cells)
	}
}
