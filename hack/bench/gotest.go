package main

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// result is one benchmark's measurements: one run's as parsed, or the median over its runs
// after aggregate.
type result struct {
	// suite is the suite that measured it.
	suite string
	// name is the benchmark's name without "Benchmark" and the GOMAXPROCS suffix.
	name string
	// iters are go test's iterations, summed over the runs.
	iters  int
	values []benchfmt.Value
	// runs is how many runs aggregate merged, and samples each unit's value in every run.
	runs    int
	samples map[string][]float64
}

// samples are the unit's values in every run; a result not aggregated has its one value.
func (r result) samplesOf(unit string) []float64 {
	if r.samples != nil {
		return r.samples[unit]
	}
	if v, ok := r.value(unit); ok {
		return []float64{v}
	}
	return nil
}

// value is the measurement in unit, if the result has one.
func (r result) value(unit string) (float64, bool) {
	for _, v := range r.values {
		if v.Unit == unit {
			return v.Value, true
		}
	}
	return 0, false
}

// runSuite runs the suite's benchmarks in the module at root, streaming go test's output to
// progress, and returns their results.
func runSuite(ctx context.Context, root string, s suite, progress io.Writer) ([]result, error) {
	args := []string{"test", "-run", "^$", "-bench", s.bench, "-benchmem", "-count", strconv.Itoa(max(s.count, 1))}
	if s.benchtime != "" {
		args = append(args, "-benchtime", s.benchtime)
	}
	if s.timeout > 0 {
		args = append(args, "-timeout", s.timeout.String())
	}
	args = append(args, s.pkg)
	fmt.Fprintf(progress, "bench: %s: go %s\n", s.name, strings.Join(args, " "))
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	// One writer for both streams, so exec copies them in one goroutine; benchfmt skips the lines
	// that are not results.
	cmd.Stdout = io.MultiWriter(&out, progress)
	cmd.Stderr = cmd.Stdout
	runErr := cmd.Run()
	rs, err := parseResults(s.name, &out)
	if runErr != nil {
		return rs, fmt.Errorf("suite %s: go test %s: %w", s.name, s.pkg, runErr)
	}
	return rs, err
}

// parseResults reads go test's benchmark output in the Go benchmark format.
func parseResults(suiteName string, r io.Reader) ([]result, error) {
	var rs []result
	br := benchfmt.NewReader(r, suiteName)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.Result:
			rs = append(rs, result{suite: suiteName, name: benchName(rec.Name), iters: rec.Iters, values: slices.Clone(rec.Values)})
		case *benchfmt.SyntaxError:
			// Lines a benchmark logs that merely look like results; go test's own are well formed.
			continue
		}
	}
	return rs, br.Err()
}

// benchName is a full benchmark name without "Benchmark" and the GOMAXPROCS suffix:
// BenchmarkSyncVsGDR/full-2 is SyncVsGDR/full.
func benchName(n benchfmt.Name) string {
	base, parts := n.Parts()
	var b strings.Builder
	b.Write(bytes.TrimPrefix(base, []byte("Benchmark")))
	for _, p := range parts {
		if p[0] == '-' { // GOMAXPROCS, always last
			break
		}
		b.Write(p)
	}
	return b.String()
}

// benchmarksOf lists the top-level Benchmark functions of the package in dir that pattern (a
// -bench regexp) selects, without "Benchmark".
func benchmarksOf(dir, pattern string) ([]string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("-bench %q: %w", pattern, err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s has no test files", dir)
	}
	var names []string
	fset := token.NewFileSet()
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Benchmark") || !re.MatchString(fn.Name.Name) {
				continue
			}
			names = append(names, strings.TrimPrefix(fn.Name.Name, "Benchmark"))
		}
	}
	slices.Sort(names)
	return names, nil
}

// missing names what the suites expect and the results lack: every Benchmark function a suite
// selects must have at least one result (itself or a sub-benchmark), and every goal's
// benchmarks their metric. A renamed benchmark cannot silently drop a row.
func missing(root string, ss []suite, gs []goal, rs []result) ([]string, error) {
	have := map[string]bool{}
	for _, r := range rs {
		have[r.suite+" "+r.name] = true
		top, _, _ := strings.Cut(r.name, "/")
		have[r.suite+" "+top] = true
	}
	var out []string
	for _, s := range ss {
		names, err := benchmarksOf(filepath.Join(root, s.pkg), s.bench)
		if err != nil {
			return nil, fmt.Errorf("suite %s: %w", s.name, err)
		}
		if len(names) == 0 {
			out = append(out, fmt.Sprintf("suite %s: no Benchmark function in %s matches %q", s.name, s.pkg, s.bench))
		}
		for _, n := range names {
			if !have[s.name+" "+n] {
				out = append(out, fmt.Sprintf("suite %s: Benchmark%s produced no result", s.name, n))
			}
		}
	}
	for _, g := range gs {
		for _, name := range []string{g.bench, g.over} {
			if name == "" {
				continue
			}
			if _, ok := find(rs, g.suite, name).value(g.unit); !ok {
				out = append(out, fmt.Sprintf("suite %s: goal %q: Benchmark%s produced no %s", g.suite, g.label, name, g.unit))
			}
		}
	}
	return out, nil
}

// find is the suite's result of the benchmark called name; the zero result if there is none.
func find(rs []result, suiteName, name string) result {
	for _, r := range rs {
		if r.suite == suiteName && r.name == name {
			return r
		}
	}
	return result{}
}
