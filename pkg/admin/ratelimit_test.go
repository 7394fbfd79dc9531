package admin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// limited answers 429 to the first n requests, with retryAfter as Retry-After, then 201; it
// records every body it was sent.
type limited struct {
	n          int
	retryAfter string
	mu         sync.Mutex
	bodies     []string
}

func (l *limited) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	l.mu.Lock()
	l.bodies = append(l.bodies, string(b))
	refused := len(l.bodies) <= l.n
	l.mu.Unlock()
	if refused {
		if l.retryAfter != "" {
			w.Header().Set("Retry-After", l.retryAfter)
		}
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"API rate limit exceeded"}`))
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func TestRateLimitedRequestIsSentAgainAfterRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name       string
		refusals   int
		retryAfter string
		wantStatus int
		wantWaits  []time.Duration
	}{
		{name: "seconds are honoured", refusals: 2, retryAfter: "7", wantStatus: 201, wantWaits: []time.Duration{7 * time.Second, 7 * time.Second}},
		{name: "a wait beyond the cap is capped", refusals: 1, retryAfter: "3600", wantStatus: 201, wantWaits: []time.Duration{MaxRetryAfter}},
		{name: "no header backs off exponentially", refusals: 3, wantStatus: 201, wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{name: "a limit that never lifts is final after the bound", refusals: 100, retryAfter: "1", wantStatus: 429,
			wantWaits: []time.Duration{time.Second, time.Second, time.Second, time.Second, time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := &limited{n: tc.refusals, retryAfter: tc.retryAfter}
			srv := httptest.NewServer(l)
			t.Cleanup(srv.Close)
			var waits []time.Duration
			rt := &rateLimitTransport{next: http.DefaultTransport, timeout: 5 * time.Second,
				sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/services", strings.NewReader(`{"name":"a"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := (&http.Client{Transport: rt}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if len(waits) != len(tc.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, tc.wantWaits)
			}
			for i := range waits {
				if waits[i] != tc.wantWaits[i] {
					t.Errorf("wait %d = %v, want %v", i, waits[i], tc.wantWaits[i])
				}
			}
			for i, b := range l.bodies {
				if b != `{"name":"a"}` {
					t.Errorf("attempt %d sent body %q, want the request's body again", i, b)
				}
			}
		})
	}
	if d, ok := retryAfter(now.Add(9*time.Second).Format(http.TimeFormat), now); !ok || d != 9*time.Second {
		t.Errorf("Retry-After as an HTTP date: %v, %v; want 9s", d, ok)
	}
}

// TestRateLimitWaitEndsWithTheContext: a sync that is cancelled (or loses its lock) while
// waiting out a 429 does not send the request again.
func TestRateLimitWaitEndsWithTheContext(t *testing.T) {
	l := &limited{n: 1, retryAfter: "30"}
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(t.Context())
	rt := &rateLimitTransport{next: http.DefaultTransport, timeout: 5 * time.Second,
		sleep: func(ctx context.Context, d time.Duration) error { cancel(); return sleepCtx(ctx, d) }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/services", nil)
	if _, err := (&http.Client{Transport: rt}).Do(req); err == nil {
		t.Fatal("a cancelled wait sent the request again")
	}
	if len(l.bodies) != 1 {
		t.Errorf("%d requests, want 1", len(l.bodies))
	}
}
