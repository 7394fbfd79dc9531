// Package tiny has benchmarks that take no time, for the harness's own test.
package tiny

import "testing"

func BenchmarkFast(b *testing.B) {
	for b.Loop() {
	}
	b.ReportMetric(0.75, "ratio")
}

func BenchmarkSub(b *testing.B) {
	for _, name := range []string{"a=1", "b"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
			}
		})
	}
}

// BenchmarkSkipped stands for a benchmark the table expects that produced no result.
func BenchmarkSkipped(b *testing.B) {
	b.Skip("produces no result")
}

// round counts the runs of BenchmarkRound and BenchmarkSquare, which go test calls once per
// -count run at -benchtime 1x: their metric differs from run to run, predictably.
var round, squareRound int

// BenchmarkRound reports its run's number: 1, 2, 3 over three runs.
func BenchmarkRound(b *testing.B) {
	round++
	for b.Loop() {
	}
	b.ReportMetric(float64(round), "n")
}

// BenchmarkSquare reports its run's number squared: 1, 4, 9, so divided by BenchmarkRound run
// by run it gives 1, 2, 3.
func BenchmarkSquare(b *testing.B) {
	squareRound++
	for b.Loop() {
	}
	b.ReportMetric(float64(squareRound*squareRound), "n")
}
