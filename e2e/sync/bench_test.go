package sync_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// BenchmarkSync measures kongdb's sync of a generated state (apps of five entities each:
// service, route, upstream, target, plugin) on one emulator node on PostgreSQL: a full sync
// into an empty Kong, a sync with nothing to do, and a sync of one changed Ingress. Reported
// per sync: every Admin API request (reads included) and the writes; the minimum writes are
// the entities created (full), 0 (no-op) and 1 (one change).
//
//	go test ./e2e/sync -run '^$' -bench BenchmarkSync -benchtime 3x
func BenchmarkSync(b *testing.B) {
	const apps = 200
	f := newFixture(b)
	names := make([]string, apps)
	for i := range names {
		names[i] = fmt.Sprintf("bench%03d", i)
	}
	full := manifests(b, names...)
	empty := manifests(b)
	changed := writeFile(b, strings.Replace(mustRead(b, full), "minute: 60", "minute: 61", 1))

	measure := func(b *testing.B, prepare func(), args ...string) {
		b.Helper()
		var all, writes int64
		for b.Loop() {
			b.StopTimer()
			prepare()
			f.kong.reset()
			f.kong.all.Store(0)
			b.StartTimer()
			mustSync(b, f, append(args, "--concurrency", "10")...)
			b.StopTimer()
			all += f.kong.all.Load()
			writes += f.kong.writes.Load() + f.kong.locks.Load()
			b.StartTimer()
		}
		b.ReportMetric(float64(all)/float64(b.N), "requests/sync")
		b.ReportMetric(float64(writes)/float64(b.N), "writes/sync")
	}
	b.Run("full", func(b *testing.B) {
		measure(b, func() { mustSync(b, f, "-f", empty, "--prune", "--force") }, "-f", full)
	})
	b.Run("noop", func(b *testing.B) {
		measure(b, func() { mustSync(b, f, "-f", full) }, "-f", full)
	})
	b.Run("one-change", func(b *testing.B) {
		measure(b, func() { mustSync(b, f, "-f", full) }, "-f", changed)
	})
}

func mustRead(b testing.TB, path string) string {
	b.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return string(raw)
}
