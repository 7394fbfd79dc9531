package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func post(b *testing.B, url, body string) {
	resp, err := benchClient.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Errorf("POST %s: %d", url, resp.StatusCode)
	}
}

// BenchmarkAdminCreate measures service creates through the Admin API of
// one emulator node on local PostgreSQL, at concurrency 1 and 10.
func BenchmarkAdminCreate(b *testing.B) {
	e := startEmulator(b, pgtest.NewDatabase(b))
	var seq atomic.Int64
	for _, conc := range []int{1, 10} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			var next atomic.Int64
			for range conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						n := seq.Add(1)
						post(b, e.AdminURL+"/services", fmt.Sprintf(`{"name":"svc-%d","host":"h%d.example.com"}`, n, n))
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creates/s")
		})
	}
}

// BenchmarkPagedReadRoutes measures reading 10,000 routes page by page
// (size=1000, following offsets), as decK's dump does.
func BenchmarkPagedReadRoutes(b *testing.B) {
	e := startEmulator(b, pgtest.NewDatabase(b))
	const total = 10000
	resp, err := benchClient.Post(e.AdminURL+"/services", "application/json", strings.NewReader(`{"name":"s","host":"example.com"}`))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= total; i = next.Add(1) {
				post(b, e.AdminURL+"/services/s/routes", fmt.Sprintf(`{"name":"r%d","paths":["/p%d"]}`, i, i))
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	for b.Loop() {
		got := 0
		path := "/routes?size=1000"
		for path != "" {
			resp, err := benchClient.Get(e.AdminURL + path)
			if err != nil {
				b.Fatal(err)
			}
			var page struct {
				Data []json.RawMessage `json:"data"`
				Next *string           `json:"next"`
			}
			err = json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			got += len(page.Data)
			path = ""
			if page.Next != nil {
				path = *page.Next
			}
		}
		if got != total {
			b.Fatalf("read %d routes, want %d", got, total)
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "routes/s")
}
