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
