package proxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchEntities is a configuration of n services, each with one route on
// its own path and host, plus a key-auth consumer per ten services — the
// shape of a KIC-managed Kong.
func benchEntities(n int, backendHost string, backendPort int) Entities {
	e := Entities{}
	for i := range n {
		sid, rid := fmt.Sprintf("00000000-0000-4000-8000-%012d", i), fmt.Sprintf("10000000-0000-4000-8000-%012d", i)
		e["services"] = append(e["services"], map[string]any{"id": sid, "name": fmt.Sprintf("s%d", i), "protocol": "http",
			"host": backendHost, "port": float64(backendPort), "retries": float64(5), "connect_timeout": float64(60000),
			"read_timeout": float64(60000), "write_timeout": float64(60000), "enabled": true})
		e["routes"] = append(e["routes"], map[string]any{"id": rid, "name": fmt.Sprintf("r%d", i),
			"service": map[string]any{"id": sid}, "paths": []any{fmt.Sprintf("/svc%d", i), fmt.Sprintf("~/re%d/[a-z]+$", i)},
			"hosts": []any{fmt.Sprintf("h%d.example", i)}, "protocols": []any{"http", "https"}, "strip_path": true})
		if i%10 == 0 {
			cid := fmt.Sprintf("20000000-0000-4000-8000-%012d", i)
			e["consumers"] = append(e["consumers"], map[string]any{"id": cid, "username": fmt.Sprintf("c%d", i)})
			e["keyauth_credentials"] = append(e["keyauth_credentials"], map[string]any{"id": cid, "consumer": map[string]any{"id": cid},
				"key": fmt.Sprintf("key-%d", i)})
		}
	}
	return e
}

func benchBackend(b *testing.B) (*httptest.Server, string, int) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	b.Cleanup(backend.Close)
	u, _ := url.Parse(backend.URL)
	var port int
	_, _ = fmt.Sscanf(u.Port(), "%d", &port)
	return backend, u.Hostname(), port
}

// BenchmarkProxyVsReverseProxy proxies GETs through the Server holding
// 1,000 routes and through a bare httputil.ReverseProxy to the same
// backend, in the same run, and reports the ratio of their rates
// (goal ≥ 0.5).
func BenchmarkProxyVsReverseProxy(b *testing.B) {
	backend, host, port := benchBackend(b)
	sn, err := Compile(benchEntities(1000, host, port), Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := NewServer(discard(), Options{})
	s.Swap(sn)
	kong := httptest.NewServer(s)
	b.Cleanup(kong.Close)
	target, _ := url.Parse(backend.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	// The same connection pool size as the proxy's upstream transport, so
	// that neither side pays for connection churn the other does not.
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 60}
	bare := httptest.NewServer(rp)
	b.Cleanup(bare.Close)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	// run sends n requests from four concurrent clients. The two targets
	// alternate in rounds so that load from elsewhere on the machine
	// falls on both alike.
	run := func(base string, n int) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(n) {
					req, _ := http.NewRequest(http.MethodGet, base+"/svc500/x", nil)
					req.Host = "h500.example"
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	b.ResetTimer()
	var bareTime, kongTime time.Duration
	const rounds = 10
	for r := range rounds {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		bareTime += run(bare.URL, n)
		kongTime += run(kong.URL, n)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(n/bareTime.Seconds(), "bare-req/s")
	b.ReportMetric(n/kongTime.Seconds(), "proxy-req/s")
	b.ReportMetric(bareTime.Seconds()/kongTime.Seconds(), "ratio")
}

// BenchmarkCompile10000 builds a snapshot of 10,000 entities (2,500
// services and routes, 250 consumers and credentials, the rest targets).
func BenchmarkCompile10000(b *testing.B) {
	// 2,400 services and routes (4,800 matchers with the regex paths), 200
	// consumers and key-auth credentials, one upstream with 4,799 targets:
	// 10,000 entities.
	e := benchEntities(2400, "127.0.0.1", 8080)
	e["consumers"], e["keyauth_credentials"] = e["consumers"][:200], e["keyauth_credentials"][:200]
	e["upstreams"] = []map[string]any{{"id": "u", "name": "up.internal"}}
	for i := range 4799 {
		e["targets"] = append(e["targets"], map[string]any{"id": fmt.Sprintf("t%d", i), "upstream": "u",
			"target": fmt.Sprintf("10.0.%d.%d:80", i/250, i%250), "weight": float64(100)})
	}
	total := 0
	for _, rows := range e {
		total += len(rows)
	}
	if total != 10000 {
		b.Fatalf("%d entities, want 10000", total)
	}
	// What a node holds: the heap a compiled snapshot keeps alive.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	held, err := Compile(e, Options{})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(held)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Compile(e, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total), "entities")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "retained-MiB")
}
