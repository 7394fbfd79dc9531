package status

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Table is one section of a Report laid out as rows of cells. The printers and the terminal
// UI both draw these, so a column means the same in every output.
type Table struct {
	Columns []Column
	Rows    []Row
}

// Column is a table column.
type Column struct {
	Name string
	// Wide columns are printed only by -o wide; the terminal UI shows them when there is room.
	Wide bool
	// Drop orders what a narrow terminal gives up first: the highest Drop goes first, 0 never.
	Drop int
	// Flex columns take the width left over, and are truncated first.
	Flex bool
}

// Row is one line of a Table.
type Row struct {
	Cells []string
	// Health colours the row in the terminal UI; the printers do not use it.
	Health Health
}

// Health is how good a row's news is.
type Health int

// The values of Health.
const (
	HealthNone Health = iota
	HealthOK
	HealthWarn
	HealthBad
)

const none = "-"

// NodesTable lays out the nodes of a traditional-mode cluster.
func NodesTable(r *Report) Table {
	t := Table{Columns: []Column{
		{Name: "NODE"}, {Name: "HOSTNAME", Drop: 3}, {Name: "VERSION", Drop: 4}, {Name: "DATABASE", Drop: 2},
		{Name: "LATENCY", Drop: 5}, {Name: "MARKER"}, {Name: "STATE"},
		{Name: "ADMIN URL", Wide: true, Drop: 6}, {Name: "ERROR", Wide: true, Flex: true, Drop: 1},
	}}
	for _, n := range r.Nodes {
		row := Row{Health: HealthOK}
		state := "up"
		switch {
		case n.Down:
			state, row.Health = "down", HealthBad
		case !n.DatabaseReachable:
			row.Health = HealthBad
		case n.ServesMarker != ServingYes:
			row.Health = HealthWarn
		}
		row.Cells = []string{n.Name, or(n.Hostname), or(n.Version), reachable(n.DatabaseReachable, n.Down),
			latency(n.AdminLatency, n.Down), string(orServing(n.ServesMarker)), state, or(n.AdminURL), or(n.Error)}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// ControlPlanesTable lays out the control planes of a hybrid-mode cluster.
func ControlPlanesTable(r *Report) Table {
	t := Table{Columns: []Column{
		{Name: "CONTROL PLANE"}, {Name: "VERSION", Drop: 3}, {Name: "CONFIG HASH", Drop: 2},
		{Name: "LATENCY", Drop: 4}, {Name: "STATE"},
		{Name: "ADMIN URL", Wide: true, Drop: 5}, {Name: "ERROR", Wide: true, Flex: true, Drop: 1},
	}}
	for _, cp := range r.ControlPlanes {
		row := Row{Health: HealthOK}
		state := "up"
		if cp.Down {
			state, row.Health = "down", HealthBad
		}
		name := cp.Hostname
		if name == "" {
			name = cp.AdminURL
		}
		row.Cells = []string{or(name), or(cp.Version), or(ShortHash(cp.ConfigHash)), latency(cp.Latency, cp.Down), state,
			or(cp.AdminURL), or(cp.Error)}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// DataPlanesTable lays out the data planes of a hybrid-mode cluster.
func DataPlanesTable(r *Report) Table {
	t := Table{Columns: []Column{
		{Name: "DATA PLANE", Flex: true}, {Name: "IP", Drop: 4}, {Name: "VERSION", Drop: 5}, {Name: "SYNC STATUS", Drop: 3},
		{Name: "CONFIG HASH", Drop: 6}, {Name: "LAG", Drop: 2}, {Name: "LAST SEEN", Drop: 1},
		{Name: "CERT EXPIRY", Drop: 7}, {Name: "CONVERGED"},
		{Name: "ID", Wide: true, Drop: 8},
	}}
	for _, dp := range r.DataPlanes {
		row := Row{Health: HealthOK}
		switch {
		case dp.SyncStatus != "" && dp.SyncStatus != "normal":
			row.Health = HealthBad
		case !dp.Converged || !dp.MatchesCP:
			row.Health = HealthWarn
		}
		lag := "in sync"
		if !dp.MatchesCP {
			lag = "lagging"
			if dp.LaggingSince != nil {
				lag = Age(r.ObservedAt.Sub(*dp.LaggingSince))
			}
		}
		name := dp.Hostname
		if name == "" {
			name = dp.ID
		}
		row.Cells = []string{name, or(dp.IP), or(dp.Version), or(dp.SyncStatus), or(ShortHash(dp.ConfigHash)), lag,
			ago(r.ObservedAt, dp.LastSeen), expiry(r.ObservedAt, dp.CertExpiry), yesNo(dp.Converged), dp.ID}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// DriftTypesTable counts the drift per entity type, with a total line.
func DriftTypesTable(d *Drift) Table {
	t := Table{Columns: []Column{
		{Name: "TYPE", Flex: true}, {Name: "DESIRED"}, {Name: "ACTUAL"}, {Name: "MISSING"}, {Name: "CHANGED"},
		{Name: "EXTRA"}, {Name: "CONFLICTING"},
	}}
	if d == nil {
		return t
	}
	for _, ty := range append(d.Types[:len(d.Types):len(d.Types)], d.Total()) {
		row := Row{Health: HealthOK}
		if ty.Drifted() > 0 {
			row.Health = HealthWarn
		}
		if ty.Conflicting > 0 {
			row.Health = HealthBad
		}
		row.Cells = []string{ty.Type, itoa(ty.Desired), itoa(ty.Actual), itoa(ty.Missing), itoa(ty.Changed),
			itoa(ty.Extra), itoa(ty.Conflicting)}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// DriftEntitiesTable lists the entities that differ.
func DriftEntitiesTable(d *Drift) Table {
	t := Table{Columns: []Column{
		{Name: "TYPE"}, {Name: "NAME", Flex: true}, {Name: "CHANGE"}, {Name: "FIELDS", Drop: 2, Flex: true},
		{Name: "OBJECT", Drop: 1, Flex: true},
		{Name: "ID", Wide: true, Drop: 4}, {Name: "REASON", Wide: true, Drop: 3, Flex: true},
	}}
	if d == nil {
		return t
	}
	t.Rows = make([]Row, 0, len(d.Entities))
	for _, e := range d.Entities {
		row := Row{Health: HealthWarn}
		if e.Change == ChangeConflicting {
			row.Health = HealthBad
		}
		row.Cells = []string{e.Type, e.Name, string(e.Change), fieldPaths(e), or(e.Object), or(e.ID), or(e.Reason)}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// ProblemsTable lists translation diagnostics and sync failures.
func ProblemsTable(r *Report) Table {
	t := Table{Columns: []Column{
		{Name: "PHASE", Drop: 3}, {Name: "OBJECT", Flex: true}, {Name: "ENTITY", Drop: 2, Flex: true},
		{Name: "ERROR", Flex: true},
		{Name: "SEVERITY", Wide: true, Drop: 4}, {Name: "FIELD", Wide: true, Flex: true, Drop: 1},
	}}
	for _, p := range r.Problems {
		row := Row{Health: HealthBad}
		if p.Severity == "warning" {
			row.Health = HealthWarn
		}
		row.Cells = []string{string(p.Phase), or(p.Object), or(p.Entity), p.Error, or(p.Severity), or(p.Field)}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// SyncNodesTable lists how long each node took to serve the last sync; for a sync that did
// not wait, whether each node serves it now, since no time was measured.
func SyncNodesTable(s *SyncRecord) Table {
	t := Table{Columns: []Column{
		{Name: "NODE", Flex: true}, {Name: "CONVERGED"}, {Name: "AFTER"}, {Name: "ERROR", Flex: true, Drop: 1},
	}}
	if s != nil && !s.Waited {
		t.Columns[1].Name, t.Columns[2].Name = "SERVES IT NOW", "TIME TO SERVE"
	}
	if s == nil {
		return t
	}
	for _, n := range s.Nodes {
		row := Row{Health: HealthOK}
		after := n.After.String()
		switch {
		case !s.Waited:
			after = notMeasured
			if !n.Converged {
				row.Health = HealthWarn
			}
		case !n.Converged:
			row.Health, after = HealthWarn, none
		}
		row.Cells = []string{n.Node, yesNo(n.Converged), after, or(n.Error)}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// notMeasured stands for a node's time to serve a sync that ran without --wait.
const notMeasured = "not measured"

// Field is one "name: value" line of a Report's summary.
type Field struct {
	Name, Value string
	Health      Health
}

// SummaryFields is the head of every output: where the desired state came from, which Kong,
// and whether each could be read.
func SummaryFields(r *Report) []Field {
	src := Field{Name: "Source", Value: r.Source.Name() + ": reachable", Health: HealthOK}
	if !r.Source.Reachable {
		src.Value, src.Health = r.Source.Name()+": unreachable"+because(r.Source.Error), HealthBad
	}
	mode := string(r.Kong.Mode)
	if mode == "" {
		mode = "mode unknown"
	}
	kong := Field{Name: "Kong", Value: mode + " " + or(r.Kong.AdminURL) + ": reachable", Health: HealthOK}
	if !r.Kong.Reachable {
		kong.Value, kong.Health = mode+" "+or(r.Kong.AdminURL)+": unreachable"+because(r.Kong.Error), HealthBad
	}
	drift := Field{Name: "Drift", Value: r.DriftUnavailable(), Health: HealthWarn}
	if r.Drift != nil {
		tot := r.Drift.Total()
		drift.Value = fmt.Sprintf("%d of %d entities differ", tot.Drifted(), max(tot.Desired, tot.Actual))
		drift.Health = HealthOK
		if tot.Drifted() > 0 {
			drift.Health = HealthWarn
		}
	}
	return []Field{
		{Name: "Observed", Value: r.ObservedAt.UTC().Format(time.RFC3339)},
		src, kong, drift,
	}
}

// SyncFields is the head of the Sync view: the last sync's record.
func SyncFields(r *Report) []Field {
	s := r.LastSync
	if s == nil {
		why := "Kong holds no sync record: nothing was synced yet"
		if !r.Kong.Reachable {
			why = "unknown: Kong could not be read"
		}
		return []Field{{Name: "Last sync", Value: why, Health: HealthWarn}}
	}
	result := Field{Name: "Result", Value: s.Result, Health: HealthOK}
	if s.Result != "succeeded" {
		result.Health = HealthBad
	}
	return []Field{
		{Name: "Last sync", Value: s.At.UTC().Format(time.RFC3339) + " (" + Age(r.ObservedAt.Sub(s.At)) + " before this observation)"},
		{Name: "From", Value: or(s.From)},
		{Name: "Source", Value: or(s.Source)},
		result,
		{Name: "Changes", Value: changes(s)},
		convergence(s),
	}
}

// convergence says whether the nodes' times to serve the sync were measured.
func convergence(s *SyncRecord) Field {
	if s.Waited {
		return Field{Name: "Convergence", Value: "measured by sync --wait"}
	}
	return Field{Name: "Convergence", Value: "not measured (no --wait); below, whether each node serves it now", Health: HealthWarn}
}

// changes counts a sync's writes, and says how long it took when the record has it.
func changes(s *SyncRecord) string {
	c := fmt.Sprintf("%d created, %d updated, %d deleted, %d failed", s.Created, s.Updated, s.Deleted, s.Failed)
	if s.Duration > 0 {
		c += " in " + s.Duration.String()
	}
	return c
}

// ShortHash is the first 12 characters of a config hash, enough to tell hashes apart.
func ShortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func fieldPaths(e EntityDrift) string {
	if len(e.Fields) == 0 {
		return none
	}
	paths := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		paths[i] = f.Path
	}
	return strings.Join(paths, ",")
}

func or(s string) string {
	if s == "" {
		return none
	}
	return s
}

func orServing(s Serving) Serving {
	if s == "" {
		return ServingUnknown
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func reachable(ok, down bool) string {
	switch {
	case down:
		return "unknown"
	case ok:
		return "reachable"
	}
	return "unreachable"
}

func latency(d Duration, down bool) string {
	if down || d == 0 {
		return none
	}
	return d.String()
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return none
	}
	return Age(now.Sub(t)) + " ago"
}

func expiry(now time.Time, t *time.Time) string {
	switch {
	case t == nil:
		return none
	case !t.After(now):
		return "expired"
	}
	return "in " + Age(t.Sub(now))
}
