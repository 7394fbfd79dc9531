package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/kongdb/kubectl-kongdb/internal/gencluster"
)

// scaling measures `kubectl-kongdb translate -f` end to end on the benchmark cluster of
// internal/gencluster at several sizes: wall time and peak resident memory of the whole
// process, per output format, over a few runs (rounds). With kic set it runs KIC's golden-test
// binary on the same files in the same rounds, so the two are compared under the same load.
type scaling struct {
	sizes   []float64
	formats []string
	runs    int
	// bin is the kubectl-kongdb binary; built from ./cmd/kubectl-kongdb under root when empty.
	bin string
	// kic is KIC's golden-test binary (go test -c ./internal/dataplane of KIC v3.5.13).
	kic string
}

// measure builds the plugin if need be and measures every size, one result per size and
// target named "<size>×/<target>".
func (o scaling) measure(root string, progress io.Writer) ([]result, error) {
	if o.runs < 1 {
		return nil, errors.New("-runs must be at least 1")
	}
	dir, err := os.MkdirTemp("", "kongdb-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if o.bin == "" {
		o.bin = filepath.Join(dir, "kubectl-kongdb")
		build := exec.Command("go", "build", "-o", o.bin, "./cmd/kubectl-kongdb")
		build.Dir = root
		build.Stdout, build.Stderr = progress, progress
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build kubectl-kongdb: %w", err)
		}
	}
	var rs []result
	for _, size := range o.sizes {
		r, err := o.measureSize(dir, size, progress)
		if err != nil {
			return rs, err
		}
		rs = append(rs, r...)
	}
	return rs, nil
}

// measureSize generates the cluster of one size and measures every run on it, round after
// round, so that the load of the machine falls on all of them alike.
func (o scaling) measureSize(dir string, size float64, progress io.Writer) ([]result, error) {
	cluster := gencluster.Default().Scaled(size)
	fail := func(err error) ([]result, error) { return nil, fmt.Errorf("translate -f, size %g: %w", size, err) }
	caseDir := filepath.Join(dir, fmt.Sprintf("size-%g", size))
	// KIC's golden test reads testdata/golden/<case>/in.yaml under its working directory.
	in := filepath.Join(caseDir, "testdata", "golden", "bench", "in.yaml")
	if err := os.MkdirAll(filepath.Dir(in), 0o755); err != nil {
		return fail(err)
	}
	f, err := os.Create(in)
	if err != nil {
		return fail(err)
	}
	if err := cluster.WriteYAML(f); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	st, err := os.Stat(in)
	if err != nil {
		return fail(err)
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
				return fail(fmt.Errorf("%s, run %d: %w", t.name, round+1, err))
			}
			fmt.Fprintf(progress, "bench: translate-f: size %g %s: %s, %s\n", size, t.name, m.wall.Round(time.Millisecond), mib(m.rss))
			t.runs = append(t.runs, m)
		}
	}
	c := cluster.Count()
	var rs []result
	// One result per round, aggregated like go test's runs: the median and spread over the
	// rounds, KIC's ratios paired with KIC's run of the same round.
	for round := range o.runs {
		var kic measurement
		if o.kic != "" {
			kic = targets[len(targets)-1].runs[round]
		}
		for _, t := range targets {
			m := t.runs[round]
			r := result{suite: translateScaling, name: fmt.Sprintf("%g×/%s", size, t.name), iters: 1, values: []benchfmt.Value{
				{Value: m.wall.Seconds(), Unit: "sec/op"},
				{Value: float64(m.rss), Unit: "peak-RSS-B"},
				{Value: float64(c.Objects), Unit: "objects"},
				{Value: float64(c.Entities), Unit: "entities"},
				{Value: float64(st.Size()), Unit: "manifest-B"},
			}}
			if o.kic != "" {
				r.values = append(r.values, benchfmt.Value{Value: m.wall.Seconds() / kic.wall.Seconds(), Unit: "×KIC-wall"},
					benchfmt.Value{Value: float64(m.rss) / float64(kic.rss), Unit: "×KIC-RSS"})
			}
			rs = append(rs, r)
		}
	}
	return rs, nil
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

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
