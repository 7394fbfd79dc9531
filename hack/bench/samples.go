package main

import (
	"slices"

	"golang.org/x/perf/benchfmt"
)

// A benchmark runs several times (go test -count, or translate-f's rounds); the table shows
// each metric's median over the runs with the runs' count and spread, so a single lucky or
// unlucky run can neither make nor break a row.

// aggregate merges the results of one benchmark's runs, in the order they first appear: each
// unit's value becomes the median over the runs, and samples keeps every run's value, in run
// order, for the spread and for ratios paired run by run.
func aggregate(rs []result) []result {
	var out []result
	at := map[string]int{}
	for _, r := range rs {
		key := r.suite + " " + r.name
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			out = append(out, result{suite: r.suite, name: r.name, samples: map[string][]float64{}})
		}
		a := &out[i]
		a.iters += r.iters
		a.runs++
		for _, v := range r.values {
			if _, seen := a.samples[v.Unit]; !seen {
				a.values = append(a.values, benchfmt.Value{Unit: v.Unit})
			}
			a.samples[v.Unit] = append(a.samples[v.Unit], v.Value)
		}
	}
	for i := range out {
		for j, v := range out[i].values {
			out[i].values[j].Value = median(out[i].samples[v.Unit])
		}
	}
	return out
}

// spread is a metric over a benchmark's runs.
type spread struct {
	n                int
	min, median, max float64
}

// spreadOf is the spread of xs; the zero spread when there are none.
func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	return spread{n: len(xs), min: slices.Min(xs), median: median(xs), max: slices.Max(xs)}
}

// median is the middle value of xs, the mean of the two middle ones for an even count.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// pairedRatios divides a's runs by b's, run by run: the runs of one go test -count round (or
// one translate-f round) were measured side by side, so their ratio cancels what the machine
// was doing at the time. Runs of unequal counts are divided median by median, once.
func pairedRatios(a, b []float64) []float64 {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	if len(a) != len(b) {
		d := median(b)
		if d == 0 {
			return nil
		}
		return []float64{median(a) / d}
	}
	var out []float64
	for i := range a {
		if b[i] != 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}
