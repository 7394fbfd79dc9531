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
// order, for the spread.
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

// ratioSpread is a over b when each ran several times: the ratio of the medians, bounded by
// the extremes (a's fastest over b's slowest, a's slowest over b's fastest). go test -count
// runs a benchmark's runs one after another, so run i of a and run i of b were not measured
// side by side, and dividing them run by run would pair them by accident.
func ratioSpread(a, b []float64) spread {
	if len(a) == 0 || len(b) == 0 || slices.Min(b) == 0 {
		return spread{}
	}
	return spread{n: min(len(a), len(b)), min: slices.Min(a) / slices.Max(b), median: median(a) / median(b), max: slices.Max(a) / slices.Min(b)}
}
