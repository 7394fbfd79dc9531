package lock

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kong/go-kong/kong"
)

func holderIn(t *testing.T, f *fakeKong, name string) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.find(name)
	if m == nil {
		return ""
	}
	for _, tg := range m.Tags {
		if strings.HasPrefix(tg, tagHolder) {
			return strings.TrimPrefix(tg, tagHolder)
		}
	}
	return "?"
}

// TestMarkerExpiryIsJudgedOnKongsClock: a marker is live until its updated_at plus its TTL on
// Kong's clock, whatever this machine's clock says (here Kong's clock is months behind it, so
// on this machine's clock every marker looks long expired). On the old main the expiry was a
// tag stamped with the holder's own clock and compared with the taker's: a marker without it
// was taken over at once.
func TestMarkerExpiryIsJudgedOnKongsClock(t *testing.T) {
	f, c := newFakeKong(t)
	a := &KongMarker{Clients: []*kong.Client{c}, Name: "kongdb-sync-t"}
	b := &KongMarker{Clients: []*kong.Client{c}, Name: "kongdb-sync-t"}
	ctx := t.Context()
	if held, err := a.TryAcquire(ctx, "a", TTL); err != nil || held != nil {
		t.Fatalf("a takes the free lock: %v, %v", held, err)
	}
	f.advance(TTL - time.Second)
	held, err := b.TryAcquire(ctx, "b", TTL)
	if err != nil || held == nil || held.Identity != "a" {
		t.Fatalf("b took a lock live on Kong's clock: held %+v, %v", held, err)
	}
	if err := a.Renew(ctx, "a", TTL); err != nil {
		t.Fatalf("a renews: %v", err)
	}
	f.advance(TTL - time.Second)
	if held, _ := b.TryAcquire(ctx, "b", TTL); held == nil {
		t.Fatal("b took a lock renewed within its TTL on Kong's clock")
	}
	f.advance(2 * time.Second)
	if held, err := b.TryAcquire(ctx, "b", TTL); err != nil || held != nil {
		t.Fatalf("b does not take a lock expired on Kong's clock: %+v, %v", held, err)
	}
	if got := holderIn(t, f, "kongdb-sync-t"); got != "b" {
		t.Fatalf("marker names %q, want b", got)
	}
}

// TestConcurrentTakeoverHasOneWinner: two syncs find the same expired marker; one takes it
// over while the other is between its read and its delete. The second's delete (by the ID it
// read) finds nothing, its create meets the first's marker, and it reports the first as the
// holder: exactly one holds the lock. On the old main the second deleted the first's new
// marker by name and created its own: both held it.
func TestConcurrentTakeoverHasOneWinner(t *testing.T) {
	f, c := newFakeKong(t)
	ctx := t.Context()
	dead := &KongMarker{Clients: []*kong.Client{c}, Name: "kongdb-sync-t"}
	if held, err := dead.TryAcquire(ctx, "dead", TTL); err != nil || held != nil {
		t.Fatalf("take: %v %v", held, err)
	}
	f.advance(2 * TTL)
	first := &KongMarker{Clients: []*kong.Client{c}, Name: "kongdb-sync-t"}
	second := &KongMarker{Clients: []*kong.Client{c}, Name: "kongdb-sync-t"}
	var started atomic.Bool
	var firstHeld *Holder
	var firstErr error
	f.before = func(r *http.Request) {
		if r.Method == http.MethodDelete && !started.Swap(true) {
			// second has read the expired marker and is about to delete it: first takes over.
			firstHeld, firstErr = first.TryAcquire(ctx, "first", TTL)
		}
	}
	secondHeld, secondErr := second.TryAcquire(ctx, "second", TTL)
	if firstErr != nil || secondErr != nil {
		t.Fatalf("errors: first %v, second %v", firstErr, secondErr)
	}
	holders := 0
	for _, h := range []*Holder{firstHeld, secondHeld} {
		if h == nil {
			holders++
		}
	}
	if holders != 1 {
		t.Fatalf("%d syncs hold the lock (first held by %+v, second held by %+v)", holders, firstHeld, secondHeld)
	}
	inKong := holderIn(t, f, "kongdb-sync-t")
	winner, loser := "first", secondHeld
	if firstHeld != nil {
		winner, loser = "second", firstHeld
	}
	if inKong != winner || loser.Identity != winner {
		t.Fatalf("winner %s, Kong's marker names %q, the loser was told %q", winner, inKong, loser.Identity)
	}
}

// TestRenewalAfterATakeoverLosesTheLock: a holder that stalled past its lease, whose marker was
// taken over just before its renewal went out, learns it lost the lock and leaves the new
// holder's marker as it is; its release deletes nothing either. On the old main its renewal
// (a PUT by name after a read) overwrote the new holder's marker: both held it.
func TestRenewalAfterATakeoverLosesTheLock(t *testing.T) {
	f, c := newFakeKong(t)
	ctx := t.Context()
	stalled := &KongMarker{Clients: []*kong.Client{c}, Name: "kongdb-sync-t"}
	if held, err := stalled.TryAcquire(ctx, "stalled", TTL); err != nil || held != nil {
		t.Fatalf("take: %v %v", held, err)
	}
	taker := &KongMarker{Clients: []*kong.Client{c}, Name: "kongdb-sync-t"}
	var started atomic.Bool
	f.before = func(r *http.Request) {
		if (r.Method == http.MethodPut || r.Method == http.MethodPatch) && !started.Swap(true) {
			f.advance(2 * TTL)
			if held, err := taker.TryAcquire(ctx, "taker", TTL); err != nil || held != nil {
				t.Errorf("taker: %v %v", held, err)
			}
		}
	}
	err := stalled.Renew(ctx, "stalled", TTL)
	if !errors.Is(err, ErrLost) {
		t.Fatalf("renewal after a takeover: %v, want ErrLost", err)
	}
	if got := holderIn(t, f, "kongdb-sync-t"); got != "taker" {
		t.Fatalf("marker names %q after the stalled holder's renewal, want taker", got)
	}
	if err := stalled.Release(ctx, "stalled"); err != nil {
		t.Fatal(err)
	}
	if got := holderIn(t, f, "kongdb-sync-t"); got != "taker" {
		t.Fatalf("the stalled holder's release removed the taker's marker (now %q)", got)
	}
}

// renewals is a Locker whose renewals answer from errs in turn (then nil).
type renewals struct {
	mu   sync.Mutex
	errs []error
}

func (r *renewals) TryAcquire(context.Context, string, time.Duration) (*Holder, error) {
	return nil, nil
}
func (r *renewals) Release(context.Context, string) error { return nil }
func (r *renewals) Describe() string                      { return "test lock" }
func (r *renewals) Renew(context.Context, string, time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) == 0 {
		return nil
	}
	err := r.errs[0]
	r.errs = r.errs[1:]
	return err
}

// TestLostLockEndsTheWritingContext: the context a holder writes under ends, naming the lock,
// as soon as a renewal finds the lock lost; a renewal that merely failed is tried again and
// keeps it. On the old main renewal errors were ignored and the sync kept writing.
func TestLostLockEndsTheWritingContext(t *testing.T) {
	cases := []struct {
		name     string
		errs     []error
		wantLost bool
	}{
		{name: "taken over", errs: []error{errors.New("connection reset"), ErrLost}, wantLost: true},
		{name: "a failed renewal is tried again", errs: []error{errors.New("connection reset")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &renewals{errs: tc.errs}
			l := newLease(t.Context(), r.Describe(), time.Now())
			l.every, l.retry = time.Millisecond, time.Millisecond
			renewCtx, stop := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() {
				defer close(done)
				l.keep(renewCtx, func(ctx context.Context) error { return r.Renew(ctx, "me", TTL) })
			}()
			if tc.wantLost {
				<-l.ctx.Done()
				if err := Valid(l.ctx); !errors.Is(err, ErrLost) {
					t.Fatalf("cause %v, want ErrLost", err)
				}
			} else {
				for {
					r.mu.Lock()
					n := len(r.errs)
					r.mu.Unlock()
					if n == 0 {
						break
					}
					time.Sleep(time.Millisecond)
				}
				l.renewed(time.Now()) // the retry that succeeded was sent before the lease ran out
				if err := Valid(l.ctx); err != nil {
					t.Fatalf("a renewal that failed once lost the lock: %v", err)
				}
			}
			stop()
			<-done
		})
	}
}

// TestHolderStalledPastItsLeaseLosesIt: a holder whose last renewal went out more than the
// lease ago learns it before its next write, even before the lease's timer fires, and a
// renewal sent that late does not revive the lease.
func TestHolderStalledPastItsLeaseLosesIt(t *testing.T) {
	l := newLease(t.Context(), "test lock", time.Now().Add(-TTL))
	l.timer.Stop() // the stall: the timer has not run yet
	err := Valid(l.ctx)
	if !errors.Is(err, ErrLost) || !strings.Contains(err.Error(), "stalled") || !strings.Contains(err.Error(), "test lock") {
		t.Fatalf("stalled past its lease: %v, want ErrLost naming the lock and the stall", err)
	}
	l2 := newLease(t.Context(), "test lock", time.Now().Add(-TTL))
	l2.timer.Stop()
	l2.renewed(time.Now())
	if err := Valid(l2.ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("a renewal sent after the lease ran out revived it: %v", err)
	}
}
