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

	"github.com/kong/go-kong/kong"
)

// fakeConsumers is Kong's /consumers as the marker uses it: create with a unique username,
// and read, upsert and delete by username.
func fakeConsumers(t *testing.T) *kong.Client {
	t.Helper()
	var mu sync.Mutex
	byName := map[string]marker{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		name := strings.TrimPrefix(r.URL.Path, "/consumers/")
		var m marker
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/consumers":
			_ = json.NewDecoder(r.Body).Decode(&m)
			if _, taken := byName[m.Username]; taken {
				w.WriteHeader(http.StatusConflict)
				return
			}
			byName[m.Username] = m
			w.WriteHeader(http.StatusCreated)
		case r.Method == http.MethodPut:
			_ = json.NewDecoder(r.Body).Decode(&m)
			byName[name] = m
		case r.Method == http.MethodGet:
			m, ok := byName[name]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			_ = json.NewEncoder(w).Encode(m)
		case r.Method == http.MethodDelete:
			delete(byName, name)
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := kong.NewClient(kong.String(srv.URL), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
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
