package cluster

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/proxy"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// seed writes n entities, half services and half routes on them, with
// eight writers, as a large sync leaves a database.
func seed(tb testing.TB, s *store.Store, n int) {
	tb.Helper()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				svc := insert(tb, s, "services", map[string]any{"name": fmt.Sprintf("svc-%d", i), "host": "example.com"})
				insert(tb, s, "routes", map[string]any{"name": fmt.Sprintf("route-%d", i),
					"paths": []any{fmt.Sprintf("/r/%d", i)}, "service": map[string]any{"id": svc["id"]}})
			}
		}()
	}
	for i := range n / 2 {
		work <- i
	}
	close(work)
	wg.Wait()
}

// BenchmarkTraditionalRebuild10k measures one rebuild of a traditional
// node holding 10,000 entities: export in one transaction, hash, apply.
func BenchmarkTraditionalRebuild10k(b *testing.B) {
	st := openStores(b, 1)[0]
	seed(b, st, 10000)
	t := NewTraditional(st, &Poller{}, ProxyApplier{Server: proxy.NewServer(quiet, proxy.Options{})}, quiet)
	ctx := context.Background()
	cpu := startCPU(b)
	for b.Loop() {
		if err := t.Rebuild(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report()
}

// cpuMeter reports this process's CPU time per operation (cpu-ms/op) next
// to the wall time, which on a shared machine mostly measures the queue
// for the cores; PostgreSQL's share is not in it.
type cpuMeter struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuMeter {
	b.ResetTimer()
	return cpuMeter{b, cpuTime()}
}

func (m cpuMeter) report() {
	m.b.ReportMetric(float64((cpuTime()-m.start).Milliseconds())/float64(m.b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hybridPair runs a control plane on st and a data plane connected to it,
// both in this process over a real TLS socket.
func hybridPair(tb testing.TB, st DataPlaneStore, a Applier) (*ControlPlane, *DataPlane) {
	tb.Helper()
	certs := clusterTLS(tb)
	cp, addr := startCP(tb, st, certs, quiet)
	dp := startDP(tb, addr, certs, a, nil)
	waitUntil(tb, 60*time.Second, "data plane configured", func() bool { return dp.Hash() != EmptyHash })
	return cp, dp
}

// BenchmarkControlPlaneToDataPlane10k measures one change reaching a data
// plane with 10,000 entities configured: write, export, gzip, send,
// inflate, apply (no coalescing wait: each change is the first after idle).
func BenchmarkControlPlaneToDataPlane10k(b *testing.B) {
	st := openStores(b, 1)[0]
	seed(b, st, 10000)
	cp, dp := hybridPair(b, st, ProxyApplier{Server: proxy.NewServer(quiet, proxy.Options{})})
	i := 0
	cpu := startCPU(b)
	for b.Loop() {
		before := dp.Hash()
		insert(b, st, "services", map[string]any{"name": fmt.Sprintf("bench-%d", i), "host": "example.com"})
		i++
		cp.Changed()
		waitUntil(b, time.Minute, "change applied", func() bool { return dp.Hash() != before })
	}
	cpu.report()
}

// holder is the simplest Applier: it keeps the configuration.
type holder struct{ e Entities }

func (h *holder) Apply(e Entities) error { h.e = e; return nil }

// BenchmarkDataPlaneMemory10k reports the heap a data plane retains for
// 10,000 entities once applied to its proxy (B/config: the compiled
// snapshot plus the decoded configuration), measured around applying one
// reconfigure frame.
func BenchmarkDataPlaneMemory10k(b *testing.B) {
	st := openStores(b, 1)[0]
	seed(b, st, 10000)
	x, err := st.Export(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	hash, hashes := ConfigHash(x.Config)
	frame, err := encodePayload(x, hash, hashes, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	x = nil
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		h := ProxyApplier{Server: proxy.NewServer(quiet, proxy.Options{})}
		dp, err := NewDataPlane(DataPlaneOptions{Prefix: b.TempDir(), MaxPayload: 64 << 20, Log: quiet}, h)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := dp.apply(frame, false); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "B/config")
		runtime.KeepAlive(dp)
		runtime.KeepAlive(h)
	}
}
