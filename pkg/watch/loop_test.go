package watch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/engine"
	"github.com/kongdb/kubectl-kongdb/pkg/report"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// runs is a fake engine: it counts runs and their triggers' effects, failing the first fail.
type runs struct {
	mu   sync.Mutex
	n    int
	fail int
	ran  chan int
}

func (r *runs) runOnce(context.Context, *engine.Config) (*engine.Result, error) {
	r.mu.Lock()
	r.n++
	n := r.n
	r.mu.Unlock()
	defer func() { r.ran <- n }()
	if n <= r.fail {
		return nil, errors.New("kong is down")
	}
	return &engine.Result{Observation: &engine.Observation{Snapshot: &source.Snapshot{Complete: true}}, Report: &report.Report{}}, nil
}

func (r *runs) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func waitRun(t *testing.T, r *runs) int {
	t.Helper()
	select {
	case n := <-r.ran:
		return n
	case <-time.After(30 * time.Second):
		t.Fatal("no sync ran")
		return 0
	}
}

// The loop syncs at start, and a burst of changes becomes far fewer syncs than changes, the
// last of them after the burst.
func TestLoopSyncsAtStartAndCoalescesABurst(t *testing.T) {
	r := &runs{ran: make(chan int, 100)}
	changes := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	synced := 0
	go func() {
		defer close(done)
		Loop(ctx, &engine.Config{}, changes, Options{runOnce: r.runOnce, Debounce: 50 * time.Millisecond, MaxDelay: time.Hour,
			AfterSync: func(context.Context, *engine.Result) { synced++ }})
	}()
	if n := waitRun(t, r); n != 1 {
		t.Fatalf("first run = %d", n)
	}
	for range 100 {
		select {
		case changes <- struct{}{}:
		default:
		}
	}
	waitRun(t, r)
	cancel()
	<-done
	if n := r.count(); n < 2 || n > 10 {
		t.Errorf("%d syncs for a start and a burst of 100 changes, want 2 (a few more if the burst was slow)", n)
	}
	if synced != r.count() {
		t.Errorf("AfterSync ran %d times for %d syncs", synced, r.count())
	}
}

// A failed sync is retried without any change, until it succeeds; the loop never ends on it.
func TestLoopRetriesAFailedSync(t *testing.T) {
	r := &runs{ran: make(chan int, 100), fail: 3}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go Loop(ctx, &engine.Config{}, make(chan struct{}), Options{runOnce: r.runOnce, RetryMin: time.Millisecond, RetryMax: 4 * time.Millisecond})
	for n := waitRun(t, r); n < 4; n = waitRun(t, r) {
	}
}

func TestBackoffDoublesUpToItsCap(t *testing.T) {
	for failures, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 10: 5 * time.Second} {
		if got := backoff(time.Second, 5*time.Second, failures); got != want {
			t.Errorf("backoff after %d failures = %v, want %v", failures, got, want)
		}
	}
}

// The metrics count each sync by trigger and result.
func TestLoopCountsSyncsInMetrics(t *testing.T) {
	r := &runs{ran: make(chan int, 100), fail: 1}
	m := NewMetrics()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Loop(ctx, &engine.Config{}, make(chan struct{}), Options{runOnce: r.runOnce, RetryMin: time.Millisecond, Metrics: m})
	}()
	waitRun(t, r)
	waitRun(t, r)
	cancel()
	<-done
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{`kongdb_watch_syncs_total{result="failed",trigger="start"} 1`,
		`kongdb_watch_syncs_total{result="ok",trigger="retry"} 1`, "kongdb_watch_last_successful_sync_timestamp_seconds"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
