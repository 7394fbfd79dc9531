package lock

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/kong/go-kong/kong"
)

// fakeKong is Kong's /consumers as the marker uses it: create with a unique username (an ID
// given or made), read by ID or username, PATCH by ID (404 when absent), PUT by username,
// delete by ID or username (204 either way). Kong's clock is clock: it stamps created_at and
// updated_at and the Date of every answer; tests move it on instead of sleeping.
type fakeKong struct {
	mu    sync.Mutex
	byID  map[string]*marker
	clock time.Time
	// before, when set, runs before each request is handled (outside the lock).
	before func(r *http.Request)
}

func (f *fakeKong) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock = f.clock.Add(d)
}

func (f *fakeKong) find(key string) *marker {
	if m, ok := f.byID[key]; ok {
		return m
	}
	for _, m := range f.byID {
		if m.Username == key {
			return m
		}
	}
	return nil
}

func (f *fakeKong) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.before != nil {
		f.before(r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Date", f.clock.UTC().Format(http.TimeFormat))
	key := strings.TrimPrefix(r.URL.Path, "/consumers/")
	var in marker
	_ = json.NewDecoder(r.Body).Decode(&in)
	now := f.clock.Unix()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/consumers":
		if f.find(in.Username) != nil {
			w.WriteHeader(http.StatusConflict)
			return
		}
		if in.ID == "" {
			in.ID = uuid.NewString()
		}
		in.CreatedAt, in.UpdatedAt = now, now
		f.byID[in.ID] = &in
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(in)
	case r.Method == http.MethodPatch:
		m := f.byID[key]
		if m == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		m.Tags, m.UpdatedAt = in.Tags, now
		_ = json.NewEncoder(w).Encode(m)
	case r.Method == http.MethodPut:
		m := f.find(key)
		if m == nil {
			m = &marker{ID: uuid.NewString(), CreatedAt: now}
			f.byID[m.ID] = m
		}
		m.Username, m.Tags, m.UpdatedAt = in.Username, in.Tags, now
		_ = json.NewEncoder(w).Encode(m)
	case r.Method == http.MethodGet:
		m := f.find(key)
		if m == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(m)
	case r.Method == http.MethodDelete:
		if m := f.find(key); m != nil {
			delete(f.byID, m.ID)
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func newFakeKong(t *testing.T) (*fakeKong, *kong.Client) {
	t.Helper()
	f := &fakeKong{byID: map[string]*marker{}, clock: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := kong.NewClient(kong.String(srv.URL), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

// fakeConsumers is a fakeKong's client alone.
func fakeConsumers(t *testing.T) *kong.Client {
	t.Helper()
	_, c := newFakeKong(t)
	return c
}

// TestEpochTellsWhetherAnotherSyncTookTheLock: a sync that peeked before reading Kong learns,
// once it holds the lock, whether another sync can have written since: not when nobody took
// the lock in between, yes when someone took and released it, or held it at the peek.
func TestEpochTellsWhetherAnotherSyncTookTheLock(t *testing.T) {
	ctx := context.Background()
	c := fakeConsumers(t)
	newMarker := func() *KongMarker {
		return &KongMarker{Clients: []*kong.Client{c}, Name: "kongdb-sync-t", Epoch: "kongdb-sync-t.epoch"}
	}
	take := func(k *KongMarker, holder string) {
		t.Helper()
		if held, err := k.TryAcquire(ctx, holder, time.Minute); err != nil || held != nil {
			t.Fatalf("take as %s: held by %v, %v", holder, held, err)
		}
	}
	peek := func(k *KongMarker) Seen {
		t.Helper()
		s, err := k.Peek(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	release := func(k *KongMarker, holder string) {
		t.Helper()
		if err := k.Release(ctx, holder); err != nil {
			t.Fatal(err)
		}
	}

	a := newMarker()
	seen := peek(a)
	take(a, "a1")
	if !a.Unchanged(seen) {
		t.Error("nobody took the lock between the peek and the take (first ever), yet a read again is asked for")
	}
	release(a, "a1")

	a, b := newMarker(), newMarker()
	seen = peek(a)
	take(b, "b1")
	release(b, "b1")
	take(a, "a2")
	if a.Unchanged(seen) {
		t.Error("another sync took and released the lock after the peek, yet the read is said to stand")
	}
	release(a, "a2")

	a, b = newMarker(), newMarker()
	take(b, "b2")
	seen = peek(a)
	release(b, "b2")
	take(a, "a3")
	if a.Unchanged(seen) {
		t.Error("another sync held the lock at the peek, yet the read is said to stand")
	}
	release(a, "a3")

	a = newMarker()
	seen = peek(a)
	take(a, "a4")
	if !a.Unchanged(seen) {
		t.Error("nobody took the lock between the peek and the take, yet a read again is asked for")
	}
	release(a, "a4")

	noEpoch := &KongMarker{Clients: []*kong.Client{c}, Name: "kongdb-sync-u"}
	seen = peek(noEpoch)
	take(noEpoch, "n1")
	if noEpoch.Unchanged(seen) || noEpoch.Unchanged(Seen{}) {
		t.Error("a marker without an epoch cannot tell, yet says the read stands")
	}
}
