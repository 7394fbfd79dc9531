// Command bench runs every benchmark of the project and prints one markdown table: the
// headline comparisons against their goals (met or not), then every other benchmark, under a
// header naming the date, the machine's cores and CPU, the Go version and the commit. Every
// benchmark runs several times (go test -count, as its suite declares); each row is the
// median over its runs, with their count and spread (min–median–max).
//
// Each package's benchmarks run with `go test -run '^$' -bench … -benchmem` and the settings
// its suite declares (suites.go); their output is read with golang.org/x/perf/benchfmt. The
// `translate -f` scaling part runs the plugin end to end at several sizes (-sizes), next to
// KIC's golden-test binary with -kic. A benchmark a suite selects, or a goal names, that
// produced no result fails the run, so a rename cannot silently drop a row.
//
//	go run ./hack/bench                        # everything (the README says how long it took last)
//	go run ./hack/bench -only proxy,translate  # a subset; -list names the suites
//	go run ./hack/bench -readme README.md      # also write the table into README.md
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the flags of bench, ready to run.
type options struct {
	// root is the module root, where the suites' packages are.
	root    string
	suites  []suite
	goals   []goal
	scaling *scaling // nil when translate-f is not selected
	readme  string
}

func parseFlags(args []string, stdout, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("only", "", "Comma-separated suites to run (see -list); empty runs all.")
	list := fs.Bool("list", false, "If true, print the suites and exit.")
	readme := fs.String("readme", "", "Markdown file whose text between "+beginMarker+" and "+endMarker+" is replaced by the table when every expected benchmark produced a result.")
	root := fs.String("root", ".", "The module root.")
	sizes := fs.String("sizes", "0.1,1,5", "translate-f: cluster sizes as multiples of the default cluster (2,000 Ingresses, 1,000 consumers).")
	formats := fs.String("formats", "deck,yaml,json", "translate-f: output formats to measure.")
	runs := fs.Int("runs", 5, "translate-f: runs per measurement; the median and the spread are reported.")
	bin := fs.String("bin", "", "translate-f: kubectl-kongdb binary to measure; built from ./cmd/kubectl-kongdb when empty.")
	kic := fs.String("kic", os.Getenv("KIC_GOLDEN_TEST"), "translate-f: KIC's golden-test binary (go test -c ./internal/dataplane of KIC v3.5.13), run with -update on the same files; empty skips KIC.")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q: see 'go run ./hack/bench -h'", fs.Args())
	}
	names := append([]string{translateScaling}, suiteNames(suites)...)
	if *list {
		fmt.Fprintln(stdout, strings.Join(names, "\n"))
		return nil, nil
	}
	o := &options{root: *root, readme: *readme}
	want := map[string]bool{}
	if *only != "" {
		for _, n := range strings.Split(*only, ",") {
			if !slices.Contains(names, n) {
				return nil, fmt.Errorf("-only: no suite %q; the suites are %s", n, strings.Join(names, ", "))
			}
			want[n] = true
		}
	}
	for _, s := range suites {
		if len(want) == 0 || want[s.name] {
			o.suites = append(o.suites, s)
		}
	}
	for _, g := range goals {
		if len(want) == 0 || want[g.suite] {
			o.goals = append(o.goals, g)
		}
	}
	if len(want) == 0 || want[translateScaling] {
		o.scaling = &scaling{formats: strings.Split(*formats, ","), runs: *runs, bin: *bin, kic: *kic}
		for _, s := range strings.Split(*sizes, ",") {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f <= 0 {
				return nil, fmt.Errorf("-sizes: %q is not a positive number", s)
			}
			o.scaling.sizes = append(o.scaling.sizes, f)
		}
	}
	return o, nil
}

func suiteNames(ss []suite) []string {
	var names []string
	for _, s := range ss {
		names = append(names, s.name)
	}
	return names
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stdout, stderr)
	if err != nil || o == nil {
		return err
	}
	return o.run(ctx, stdout, stderr)
}

// run measures every selected suite, going on after one fails so that a long run still
// reports the rest, then prints the table and fails if anything expected is missing.
func (o *options) run(ctx context.Context, stdout, stderr io.Writer) error {
	m := thisMachine(o.root)
	var rs []result
	var errs []error
	var sections []section
	for _, s := range o.suites {
		if ctx.Err() != nil {
			break
		}
		r, err := runSuite(ctx, o.root, s, stderr)
		rs = append(rs, r...)
		errs = append(errs, err)
		sections = append(sections, section{name: s.name, where: "`" + s.pkg + "`"})
	}
	if o.scaling != nil && ctx.Err() == nil {
		r, err := o.scaling.measure(o.root, stderr)
		rs = append(rs, r...)
		errs = append(errs, err)
		sections = append(sections, section{name: translateScaling,
			where: "`kubectl-kongdb translate -f`, whole process"})
		if len(r) == 0 && err == nil {
			errs = append(errs, errors.New("translate-f: no measurement"))
		}
	}
	rs = aggregate(rs)
	lost, err := missing(o.root, o.suites, o.goals, rs)
	errs = append(errs, err)
	for _, l := range lost {
		errs = append(errs, errors.New(l))
	}
	errs = append(errs, ctx.Err())

	var table bytes.Buffer
	if err := render(&table, m, sections, o.goals, rs); err != nil {
		return err
	}
	if _, err := stdout.Write(table.Bytes()); err != nil {
		return err
	}
	if err := errors.Join(errs...); err != nil {
		if o.readme != "" {
			fmt.Fprintf(stderr, "bench: %s left as it was: the run is incomplete\n", o.readme)
		}
		return err
	}
	if o.readme == "" {
		return nil
	}
	doc, err := os.ReadFile(o.readme)
	if err != nil {
		return err
	}
	out, err := rewriteBetween(string(doc), table.String())
	if err != nil {
		return fmt.Errorf("-readme %s: %w", o.readme, err)
	}
	return os.WriteFile(o.readme, []byte(out), 0o644)
}
