// Command bench measures `kubectl-kongdb translate -f` end to end on the benchmark cluster of
// internal/gencluster at several sizes: wall time and peak resident memory of the whole
// process, per output format, the median of a few runs. With -kic it runs KIC's golden-test
// binary on the same files in the same rounds, so the two are compared under the same load.
// It prints a markdown table.
package main

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/gencluster"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	sizes   []float64
	formats []string
	runs    int
	bin     string
	kic     string
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("sizes", "0.1,1,5", "Cluster sizes as multiples of the default cluster (2,000 Ingresses, 1,000 consumers).")
	formats := fs.String("formats", "deck,yaml,json", "Output formats to measure.")
	runs := fs.Int("runs", 3, "Runs per measurement; the median is reported.")
	bin := fs.String("bin", "", "kubectl-kongdb binary to measure; built from ./cmd/kubectl-kongdb when empty.")
	kic := fs.String("kic", os.Getenv("KIC_GOLDEN_TEST"), "KIC's golden-test binary (go test -c ./internal/dataplane of KIC v3.5.13), run with -update on the same files; empty skips KIC.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := options{formats: strings.Split(*formats, ","), runs: *runs, bin: *bin, kic: *kic}
	for _, s := range strings.Split(*sizes, ",") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f <= 0 {
			return fmt.Errorf("-sizes: %q is not a positive number", s)
		}
		o.sizes = append(o.sizes, f)
	}
	if o.runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	dir, err := os.MkdirTemp("", "kongdb-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.bin == "" {
		o.bin = filepath.Join(dir, "kubectl-kongdb")
		build := exec.Command("go", "build", "-o", o.bin, "./cmd/kubectl-kongdb")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build kubectl-kongdb: %w", err)
		}
	}
	fmt.Fprintln(stdout, "| size | objects | entities | manifest | run | wall (median) | peak RSS (median) | × KIC wall | × KIC RSS |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|---|---|")
	for _, size := range o.sizes {
		if err := o.measureSize(dir, size, stdout, stderr); err != nil {
			return err
		}
	}
	return nil
}

// measureSize generates the cluster of one size and measures every run on it, round after
// round, so that the load of the machine falls on all of them alike.
func (o options) measureSize(dir string, size float64, stdout, stderr io.Writer) error {
	cluster := gencluster.Default().Scaled(size)
	caseDir := filepath.Join(dir, fmt.Sprintf("size-%g", size))
	// KIC's golden test reads testdata/golden/<case>/in.yaml under its working directory.
	in := filepath.Join(caseDir, "testdata", "golden", "bench", "in.yaml")
	if err := os.MkdirAll(filepath.Dir(in), 0o755); err != nil {
		return err
	}
	f, err := os.Create(in)
	if err != nil {
		return err
	}
	if err := cluster.WriteYAML(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, err := os.Stat(in)
	if err != nil {
		return err
	}

	type target struct {
		name string
		cmd  func() *exec.Cmd
		test bool
		runs []measurement
	}
	var targets []*target
	for _, format := range o.formats {
		targets = append(targets, &target{name: "translate -o " + format, cmd: func() *exec.Cmd {
			return exec.Command(o.bin, "translate", "-f", in, "-o", format)
		}})
	}
	if o.kic != "" {
		targets = append(targets, &target{name: "KIC golden test -update", test: true, cmd: func() *exec.Cmd {
			c := exec.Command(o.kic, "-test.run", "^TestKongClient_GoldenTests$", "-update")
			c.Dir = caseDir
			return c
		}})
	}
	for round := range o.runs {
		for _, t := range targets {
			m, err := measure(t.cmd(), t.test)
			if err != nil {
				return fmt.Errorf("size %g, %s, run %d: %w", size, t.name, round+1, err)
			}
			fmt.Fprintf(stderr, "size %g %s: %s, %s\n", size, t.name, m.wall.Round(time.Millisecond), mib(m.rss))
			t.runs = append(t.runs, m)
		}
	}
	var kic measurement
	if o.kic != "" {
		kic = median(targets[len(targets)-1].runs)
	}
	c := cluster.Count()
	for _, t := range targets {
		m := median(t.runs)
		ratioWall, ratioRSS := "", ""
		if o.kic != "" {
			ratioWall = fmt.Sprintf("%.2f", m.wall.Seconds()/kic.wall.Seconds())
			ratioRSS = fmt.Sprintf("%.2f", float64(m.rss)/float64(kic.rss))
		}
		fmt.Fprintf(stdout, "| %g× | %d | %d | %.1f MB | %s | %.2f s | %s | %s | %s |\n", size, c.Objects, c.Entities,
			float64(st.Size())/1e6, t.name, m.wall.Seconds(), mib(m.rss), ratioWall, ratioRSS)
	}
	return nil
}

type measurement struct {
	wall time.Duration
	rss  int64 // bytes
}

// measure runs cmd to completion and returns its wall time and the peak resident set size
// the kernel recorded for it. A translate's output is discarded; the output of a test binary
// (keepStdout) is small and kept for its error.
func measure(cmd *exec.Cmd, keepStdout bool) (measurement, error) {
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	if keepStdout {
		cmd.Stdout = &stderr
	}
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return measurement{}, fmt.Errorf("%w: %s", err, lastLines(stderr.String(), 5))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return measurement{}, errors.New("no resource usage for the process on this platform")
	}
	return measurement{wall: wall, rss: ru.Maxrss * 1024}, nil // Maxrss is in KiB on Linux
}

// median is the run of median wall time, and the median peak memory on its own.
func median(ms []measurement) measurement {
	walls := slices.SortedFunc(slices.Values(ms), func(a, b measurement) int { return cmp.Compare(a.wall, b.wall) })
	rss := slices.SortedFunc(slices.Values(ms), func(a, b measurement) int { return cmp.Compare(a.rss, b.rss) })
	return measurement{wall: walls[len(walls)/2].wall, rss: rss[len(rss)/2].rss}
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
