package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/perf/benchunit"
)

// machine is what the header says the numbers were measured on.
type machine struct {
	date      time.Time
	cores     int
	cpu       string
	goVersion string
	commit    string
	// notes are settings that change what is measured, such as KONGDB_SYNC_BENCH_SCALE.
	notes []string
}

// thisMachine describes the machine, the Go toolchain the benchmarks run with and the commit
// of the module at root ("-dirty" when the work tree has changes).
func thisMachine(root string) machine {
	m := machine{date: time.Now().UTC(), cores: runtime.NumCPU(), cpu: cpuModel(), goVersion: runtime.Version()}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		m.goVersion = strings.TrimSpace(string(out))
	}
	git := func(args ...string) string {
		c := exec.Command("git", args...)
		c.Dir = root
		out, err := c.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	m.commit = git("rev-parse", "--short=12", "HEAD")
	if m.commit == "" {
		m.commit = "unknown"
	} else if git("status", "--porcelain", "--untracked-files=no") != "" {
		m.commit += "-dirty"
	}
	if s := os.Getenv("KONGDB_SYNC_BENCH_SCALE"); s != "" {
		m.notes = append(m.notes, "KONGDB_SYNC_BENCH_SCALE="+s)
	}
	return m
}

// cpuModel is the first model name in /proc/cpuinfo, or GOARCH where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// section heads a suite's rows: what it measures and where.
type section struct {
	name, where string
}

// render writes the header lines and the one markdown table: the goals first, met or not,
// then every other result, suite by suite.
func render(w io.Writer, m machine, sections []section, gs []goal, rs []result) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Measured %s on %d cores (%s), %s, commit %s", m.date.Format("2006-01-02 15:04 UTC"), m.cores, m.cpu, m.goVersion, m.commit)
	if len(m.notes) > 0 {
		fmt.Fprintf(&b, ", with %s", strings.Join(m.notes, ", "))
	}
	b.WriteString(". Each row is the median over its runs; *runs · min–median–max* is their count and spread, of\n")
	b.WriteString("the goal's measure on a goal's row (a ratio of two benchmarks: of their medians, bounded by their extremes), of time/op elsewhere.\n\n")
	b.WriteString("| benchmark | runs · min–median–max | time/op | B/op | allocs/op | metrics | goal | status |\n")
	b.WriteString("|---|---|---:|---:|---:|---|---|---|\n")
	inGoals := map[string]bool{}
	for i, g := range gs {
		if i == 0 {
			b.WriteString("| **goals** | | | | | | | |\n")
		}
		inGoals[g.suite+" "+g.bench] = true
		fmt.Fprintf(&b, "| %s (`%s`) | %s | %s | %s\n", g.label, g.bench, g.spread(rs), cells(find(rs, g.suite, g.bench), g.unit), g.status(rs))
	}
	for _, s := range sections {
		var rows []result
		for _, r := range rs {
			if r.suite == s.name && !inGoals[s.name+" "+r.name] {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| **%s** %s | | | | | | | |\n", s.name, s.where)
		for _, r := range rows {
			fmt.Fprintf(&b, "| `%s` | %s | %s | | |\n", r.name, formatSpread(spreadOf(r.samplesOf("sec/op")), "sec/op", ""), cells(r, ""))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// cells are a result's time/op, B/op, allocs/op and other metrics cells, the metric in unit
// first (a goal's) and the others in go test's order.
func cells(r result, first string) string {
	var time, bytes, allocs string
	var metrics []string
	for _, v := range r.values {
		switch v.Unit {
		case "sec/op":
			time = formatValue(v.Value, "sec/op")
		case "B/op":
			bytes = formatValue(v.Value, "B/op")
		case "allocs/op":
			allocs = formatValue(v.Value, "allocs/op")
		case first:
			metrics = append([]string{metricName(v.Unit) + " " + formatValue(v.Value, v.Unit)}, metrics...)
		default:
			metrics = append(metrics, metricName(v.Unit)+" "+formatValue(v.Value, v.Unit))
		}
	}
	return strings.Join([]string{time, bytes, allocs, strings.Join(metrics, " · ")}, " | ")
}

// metricName is how a custom metric is called in the table: its unit, without a trailing
// "-s" or "-B" that formatValue turns into the value's unit.
func metricName(unit string) string {
	for _, suffix := range []string{"-s", "-B"} {
		if strings.HasSuffix(unit, suffix) {
			return strings.TrimSuffix(unit, suffix)
		}
	}
	return unit
}

// formatValue prints v with three significant digits and an SI or binary prefix: seconds
// (sec/op and units ending in -s) as "12.3ms", bytes (B/op and units ending in -B) as "1.20MiB".
func formatValue(v float64, unit string) string {
	switch {
	case v == 0:
		return "0"
	case unit == "sec/op" || strings.HasSuffix(unit, "-s"):
		return benchunit.Scale(v, benchunit.Decimal) + "s"
	case unit == "B/op" || strings.HasSuffix(unit, "-B") || unit == "B/config":
		return benchunit.Scale(v, benchunit.Binary) + "B"
	}
	if math.Abs(v) < 999.5 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return benchunit.Scale(v, benchunit.Decimal)
}

// formatLimit is formatValue without trailing zeros, for round limits: "16ms", not "16.00ms".
func formatLimit(v float64, unit string) string {
	s := formatValue(v, unit)
	num := strings.TrimRightFunc(s, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	if strings.Contains(num, ".") {
		s = strings.TrimRight(strings.TrimRight(num, "0"), ".") + s[len(num):]
	}
	return s
}

// measure is the goal's measure over the runs: the benchmark's metric, or its ratio to the
// other benchmark's (the ratio of their medians, bounded by their extremes).
func (g goal) measure(rs []result) spread {
	v := find(rs, g.suite, g.bench).samplesOf(g.unit)
	if g.over == "" {
		return spreadOf(v)
	}
	return ratioSpread(v, find(rs, g.suite, g.over).samplesOf(g.unit))
}

// value is the goal's measure: its median over the runs.
func (g goal) value(rs []result) (float64, bool) {
	m := g.measure(rs)
	return m.median, m.n > 0
}

// unitAndSuffix are how the goal's measure is printed: a ratio of two benchmarks as "2.1×".
func (g goal) unitAndSuffix() (string, string) {
	if g.over != "" {
		return "", "×"
	}
	return g.unit, ""
}

// spread is the goal's runs · min–median–max cell.
func (g goal) spread(rs []result) string {
	unit, times := g.unitAndSuffix()
	return formatSpread(g.measure(rs), unit, times)
}

// formatSpread is "5 · 1.20s–1.31s–1.52s", or "1 · 1.31s" for a single run.
func formatSpread(s spread, unit, suffix string) string {
	if s.n == 0 {
		return ""
	}
	f := func(x float64) string { return formatValue(x, unit) + suffix }
	if s.n == 1 {
		return "1 · " + f(s.median)
	}
	return fmt.Sprintf("%d · %s–%s–%s", s.n, f(s.min), f(s.median), f(s.max))
}

// met reports whether v is within the goal's limits.
func (g goal) met(v float64) bool {
	return (g.max == 0 || v <= g.max) && (g.min == 0 || v >= g.min)
}

// status is the goal's and its status's cells: "ratio ≤ 0.5 | met: 0.42".
func (g goal) status(rs []result) string {
	what, limit := metricName(g.unit), ""
	unit, times := g.unitAndSuffix()
	if g.over != "" {
		what = "÷ `" + g.over + "`"
	} else if g.unit == "sec/op" {
		what = "time/op"
	}
	format := func(x float64) string { return formatValue(x, unit) + times }
	if g.max != 0 {
		limit = "≤ " + formatLimit(g.max, unit) + times
	}
	if g.min != 0 {
		limit = strings.TrimPrefix(limit+", ", ", ") + "≥ " + formatLimit(g.min, unit) + times
	}
	v, ok := g.value(rs)
	switch {
	case !ok:
		return fmt.Sprintf("%s %s | **no result** |", what, limit)
	case g.max == 0 && g.min == 0:
		return fmt.Sprintf("%s | information: %s |", what, format(v))
	case g.met(v):
		return fmt.Sprintf("%s %s | met: %s |", what, limit, format(v))
	}
	return fmt.Sprintf("%s %s | **not met**: %s |", what, limit, format(v))
}

// README markers between which -readme writes the table.
const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

// rewriteBetween returns doc with the text between its markers replaced by table.
func rewriteBetween(doc, table string) (string, error) {
	i := strings.Index(doc, beginMarker)
	j := strings.Index(doc, endMarker)
	if i < 0 || j < i {
		return "", fmt.Errorf("no %s … %s markers, in that order", beginMarker, endMarker)
	}
	return doc[:i+len(beginMarker)] + "\n" + table + doc[j:], nil
}
