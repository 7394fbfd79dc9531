package main

import (
	"bytes"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

// tinySuite runs the benchmarks of testdata/tiny that pattern selects, one iteration per run,
// count runs.
func tinySuite(pattern string, count int) suite {
	return suite{name: "tiny", pkg: "./testdata/tiny", bench: pattern, benchtime: "1x", count: count, timeout: time.Minute}
}

const readmeBefore = "# Title\n\n<!-- bench:begin -->\nold table\n<!-- bench:end -->\n\nAfter.\n"

// writeReadme writes readmeBefore to a file of the test.
func writeReadme(t *testing.T) string {
	t.Helper()
	readme := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(readme, []byte(readmeBefore), 0o644); err != nil {
		t.Fatal(err)
	}
	return readme
}

// TestRunWritesOneTableWithTheGoalsAndEveryBenchmark runs a real package's benchmarks through
// go test and checks the table and the README it writes.
func TestRunWritesOneTableWithTheGoalsAndEveryBenchmark(t *testing.T) {
	readme := writeReadme(t)
	o := &options{root: ".", readme: readme, suites: []suite{tinySuite("^Benchmark(Fast|Sub)$", 1)},
		goals: []goal{{suite: "tiny", label: "fast ratio", bench: "Fast", unit: "ratio", min: 0.5}}}
	var out, progress bytes.Buffer
	if err := o.run(t.Context(), &out, &progress); err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	table := out.String()
	for _, want := range []string{
		"| benchmark | runs · min–median–max | time/op | B/op | allocs/op | metrics | goal | status |",
		"| fast ratio (`Fast`) | 1 · 0.75 |",
		"| ratio ≥ 0.5 | met: 0.75 |",
		"| **tiny** `./testdata/tiny` |",
		"| `Sub/a=1` |",
		"| `Sub/b` |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "| `Fast` |") {
		t.Errorf("a goal's benchmark is listed twice:\n%s", table)
	}
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Title\n\n<!-- bench:begin -->\n" + table + "<!-- bench:end -->\n\nAfter.\n"; string(doc) != want {
		t.Errorf("README:\n%s\nwant:\n%s", doc, want)
	}
}

// TestRunFailsWhenAnExpectedBenchmarkHasNoResult: a benchmark the suite selects that produced
// nothing, and a goal naming a benchmark that does not exist, fail the run and leave the README.
func TestRunFailsWhenAnExpectedBenchmarkHasNoResult(t *testing.T) {
	readme := writeReadme(t)
	o := &options{root: ".", readme: readme, suites: []suite{tinySuite("^Benchmark(Fast|Skipped)$", 1)},
		goals: []goal{{suite: "tiny", label: "renamed", bench: "Renamed", unit: "ratio", max: 1}}}
	var out bytes.Buffer
	err := o.run(t.Context(), &out, io.Discard)
	if err == nil {
		t.Fatalf("run succeeded; want it to name the missing benchmarks\n%s", out.String())
	}
	for _, want := range []string{"suite tiny: BenchmarkSkipped produced no result", `suite tiny: goal "renamed": BenchmarkRenamed produced no ratio`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if !strings.Contains(out.String(), "| renamed (`Renamed`) |") || !strings.Contains(out.String(), "**no result**") {
		t.Errorf("the table does not show the goal without a result:\n%s", out.String())
	}
	if doc, _ := os.ReadFile(readme); string(doc) != readmeBefore {
		t.Errorf("README changed by an incomplete run:\n%s", doc)
	}
}

// TestRunShowsEveryRowsRunsAndSpread runs the tiny benchmarks three times (go test -count 3):
// each row is the median of its three runs with their count and min–median–max, a ratio goal
// divides the medians and bounds them by the extremes, and a goal without a limit is
// information only.
func TestRunShowsEveryRowsRunsAndSpread(t *testing.T) {
	o := &options{root: ".", suites: []suite{tinySuite("^Benchmark(Round|Square|Sub)$", 3)},
		goals: []goal{
			{suite: "tiny", label: "square over round", bench: "Square", unit: "n", over: "Round", max: 2.5},
			{suite: "tiny", label: "round", bench: "Round", unit: "n"},
		}}
	var out, progress bytes.Buffer
	if err := o.run(t.Context(), &out, &progress); err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	if !strings.Contains(progress.String(), "-count 3") {
		t.Errorf("go test ran without -count 3:\n%s", progress.String())
	}
	table := out.String()
	for _, want := range []string{
		// 1, 4, 9 over 1, 2, 3: the medians' ratio 4/2, bounded by 1/3 and 9/1.
		"| square over round (`Square`) | 3 · 0.333×–2×–9× |",
		"| ÷ `Round` ≤ 2.5× | met: 2× |",
		"| round (`Round`) | 3 · 1–2–3 |",
		"| n | information: 2 |",
		"| `Sub/a=1` | 3 · ",
		"| `Sub/b` | 3 · ",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Count(table, "`Sub/b`") != 1 {
		t.Errorf("the runs of Sub/b are not merged into one row:\n%s", table)
	}
}

func TestAggregateTakesEachUnitsMedianOverTheRuns(t *testing.T) {
	run := func(name string, sec, bytes float64) result {
		return result{suite: "s", name: name, iters: 10, values: []benchfmt.Value{{Value: sec, Unit: "sec/op"}, {Value: bytes, Unit: "B/op"}}}
	}
	got := aggregate([]result{run("A", 3, 100), run("B", 1, 1), run("A", 1, 300), run("A", 2, 200), run("A", 10, 100)})
	if len(got) != 2 || got[0].name != "A" || got[1].name != "B" {
		t.Fatalf("aggregate = %+v; want A then B", got)
	}
	a := got[0]
	if v, _ := a.value("sec/op"); v != 2.5 || a.runs != 4 || a.iters != 40 {
		t.Errorf("A: median %v over %d runs of %d iterations; want 2.5 over 4 of 40", v, a.runs, a.iters)
	}
	if v, _ := a.value("B/op"); v != 150 {
		t.Errorf("A's B/op median = %v, want 150 (the unit's own median)", v)
	}
	if s := spreadOf(a.samplesOf("sec/op")); s != (spread{n: 4, min: 1, median: 2.5, max: 10}) {
		t.Errorf("A's spread = %+v", s)
	}
	if got := ratioSpread([]float64{2, 9, 4}, []float64{1, 3, 2}); got != (spread{n: 3, min: 2.0 / 3, median: 2, max: 9}) {
		t.Errorf("ratioSpread = %+v, want the medians' ratio 2 bounded by 2/3 and 9/1", got)
	}
	if got := ratioSpread([]float64{2}, []float64{0}); got.n != 0 {
		t.Errorf("ratioSpread over zero = %+v, want none", got)
	}
}

func TestParseResults(t *testing.T) {
	const out = `goos: linux
pkg: example.com/p
BenchmarkProxyVsReverseProxy-2   	    2806	    364094 ns/op	         1.336 ratio	   60807 B/op	     341 allocs/op
BenchmarkConvergence/docker/hybrid-cp-2-dps-2  	3	5066156657 ns/op	4.995 fastest-node-s
--- BENCH: BenchmarkConvergence/docker/hybrid-cp-2-dps-2
    bench_test.go:10: BenchmarkLogged 12 ns/op is a log line
BenchmarkAdminCreate/concurrency=10-2   	100	1000 ns/op	905.1 creates/s
PASS
`
	rs, err := parseResults("s", strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.name)
	}
	if want := []string{"ProxyVsReverseProxy", "Convergence/docker/hybrid-cp-2-dps", "AdminCreate/concurrency=10"}; !slices.Equal(names, want) {
		t.Fatalf("names %q, want %q", names, want)
	}
	for _, c := range []struct {
		r    result
		unit string
		want float64
	}{
		{rs[0], "sec/op", 364094e-9}, {rs[0], "ratio", 1.336}, {rs[0], "B/op", 60807}, {rs[0], "allocs/op", 341},
		{rs[1], "fastest-node-s", 4.995}, {rs[2], "creates/s", 905.1},
	} {
		if got, ok := c.r.value(c.unit); !ok || math.Abs(got-c.want) > 1e-9*c.want {
			t.Errorf("%s %s = %v (%v), want %v", c.r.name, c.unit, got, ok, c.want)
		}
	}
	if rs[0].iters != 2806 || rs[0].suite != "s" {
		t.Errorf("iterations %d of suite %q, want 2806 of s", rs[0].iters, rs[0].suite)
	}
}

func TestGoalStatus(t *testing.T) {
	rs := []result{
		{suite: "s", name: "Up/hybrid", values: []benchfmt.Value{{Value: 6, Unit: "sec/op"}}},
		{suite: "s", name: "Up/postgres", values: []benchfmt.Value{{Value: 1.5, Unit: "sec/op"}}},
		{suite: "s", name: "Frame", values: []benchfmt.Value{{Value: 0.0005, Unit: "sec/op"}}},
	}
	for _, c := range []struct {
		g    goal
		want string
	}{
		{goal{suite: "s", bench: "Up/hybrid", over: "Up/postgres", unit: "sec/op", max: 3}, "÷ `Up/postgres` ≤ 3× | **not met**: 4×"},
		{goal{suite: "s", bench: "Up/hybrid", over: "Up/postgres", unit: "sec/op", max: 5}, "÷ `Up/postgres` ≤ 5× | met: 4×"},
		{goal{suite: "s", bench: "Frame", unit: "sec/op", max: 0.016}, "time/op ≤ 16ms | met: 500.0µs"},
		{goal{suite: "s", bench: "Gone", unit: "ratio", min: 0.5}, "ratio ≥ 0.5 | **no result**"},
	} {
		if got := c.g.status(rs); !strings.HasPrefix(got, c.want) {
			t.Errorf("status of %+v = %q, want %q", c.g, got, c.want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{0.0123, "sec/op", "12.30ms"}, {5.06, "sync-s", "5.060s"}, {60807, "B/op", "59.38KiB"}, {1.5 * (1 << 20), "peak-RSS-B", "1.500MiB"},
		{341, "allocs/op", "341"}, {214563, "allocs/op", "214.6k"}, {1.336, "ratio", "1.34"}, {0.75, "ratio", "0.75"},
		{0, "B/op", "0"}, {0, "gdr-writes", "0"},
	} {
		if got := formatValue(c.v, c.unit); got != c.want {
			t.Errorf("formatValue(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
	if got := formatLimit(0.016, "sec/op"); got != "16ms" {
		t.Errorf("formatLimit(0.016 s) = %q, want 16ms", got)
	}
}

func TestRewriteBetween(t *testing.T) {
	got, err := rewriteBetween(readmeBefore, "| new |\n")
	if err != nil || got != "# Title\n\n<!-- bench:begin -->\n| new |\n<!-- bench:end -->\n\nAfter.\n" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := rewriteBetween("# no markers\n", "x"); err == nil {
		t.Error("a document without markers was rewritten")
	}
}

// TestEveryBenchmarkBelongsToOneSuite: a benchmark added anywhere in the module must be run by
// exactly one suite, or the table would silently lack it.
func TestEveryBenchmarkBelongsToOneSuite(t *testing.T) {
	root := filepath.Join("..", "..")
	dirs := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	claimed := map[string]string{}
	for _, s := range suites {
		names, err := benchmarksOf(filepath.Join(root, s.pkg), s.bench)
		if err != nil {
			t.Fatalf("suite %s: %v", s.name, err)
		}
		if len(names) == 0 {
			t.Errorf("suite %s selects no benchmark of %s", s.name, s.pkg)
		}
		for _, n := range names {
			key := filepath.Join(root, s.pkg) + " " + n
			if other, ok := claimed[key]; ok {
				t.Errorf("Benchmark%s of %s is run by suites %s and %s", n, s.pkg, other, s.name)
			}
			claimed[key] = s.name
		}
	}
	for dir := range dirs {
		names, err := benchmarksOf(dir, ".")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if _, ok := claimed[dir+" "+n]; !ok {
				t.Errorf("Benchmark%s of %s is in no suite of suites.go", n, dir)
			}
		}
	}
	for _, g := range goals {
		if !slices.Contains(suiteNames(suites), g.suite) {
			t.Errorf("goal %q reads suite %q, which does not exist", g.label, g.suite)
		}
	}
}

func TestOnlySelectsSuitesAndTheirGoals(t *testing.T) {
	o, err := parseFlags([]string{"-only", "proxy,tui"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := suiteNames(o.suites); !slices.Equal(got, []string{"tui", "proxy"}) || o.scaling != nil {
		t.Errorf("suites %q, translate-f %v; want tui and proxy alone", got, o.scaling != nil)
	}
	for _, g := range o.goals {
		if g.suite != "proxy" && g.suite != "tui" {
			t.Errorf("goal %q of suite %s selected", g.label, g.suite)
		}
	}
	if _, err := parseFlags([]string{"-only", "nope"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), `no suite "nope"`) {
		t.Errorf("got %v, want an error naming the unknown suite", err)
	}
}
