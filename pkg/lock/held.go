package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// margin is how much sooner than the lease the holder counts it as run out: the others judge
// it on Kong's clock (or the API server's), which runs at a slightly different rate than this
// machine's, in whole seconds.
const margin = TTL / 10

// lease is this process's view of a lock it holds: held until a renewal finds it lost, or
// until TTL (less the margin) after the last renewal was sent. Measuring from the send keeps
// the view on the safe side of the holder's own: the lock's clock stamped the renewal later.
type lease struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	what   string
	// every is the time between renewals; retry the time before trying a failed one again.
	every, retry time.Duration

	mu      sync.Mutex
	until   time.Time
	lost    error
	lastErr error
	timer   *time.Timer
}

type leaseKey struct{}

func newLease(parent context.Context, what string, sent time.Time) *lease {
	ctx, cancel := context.WithCancelCause(parent)
	l := &lease{cancel: cancel, what: what, until: sent.Add(TTL - margin), every: TTL / 3, retry: TTL / 12}
	l.ctx = context.WithValue(ctx, leaseKey{}, l)
	l.mu.Lock() // the timer may fire at once; its check waits for l.timer to be set
	defer l.mu.Unlock()
	l.timer = time.AfterFunc(time.Until(l.until), func() { _ = l.check(time.Now()) })
	return l
}

// check ends the lease when now is past it, and returns why it ended (nil while held).
func (l *lease) check(now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil && !now.Before(l.until) {
		l.ranOut()
	}
	return l.lost
}

// ranOut ends the lease for want of a renewal; l.mu is held.
func (l *lease) ranOut() {
	why := "this sync stalled past it"
	if l.lastErr != nil {
		why = "renewing failed: " + l.lastErr.Error()
	}
	l.end(fmt.Errorf("%w (%s): its lease ran out at %s without a renewal (%s); the sync stops writing",
		ErrLost, l.what, l.until.Format(time.RFC3339), why))
}

// end records why the lease ended and ends its context; l.mu is held.
func (l *lease) end(err error) {
	if l.lost != nil {
		return
	}
	l.lost = err
	l.timer.Stop()
	l.cancel(err)
}

// renewed moves the lease on after a renewal sent at sent. A renewal sent after the lease ran
// out does not revive it: another sync may have taken the lock and written meanwhile.
func (l *lease) renewed(sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return
	}
	if !sent.Before(l.until) {
		l.ranOut()
		return
	}
	l.until, l.lastErr = sent.Add(TTL-margin), nil
	l.timer.Reset(time.Until(l.until))
}

// keep renews the lock every l.every until ctx ends or the lease does. A renewal that finds
// the lock lost (an error wrapping ErrLost, naming the lock) ends the lease at once; one that
// fails otherwise is tried again every l.retry, and the lease ends when none succeeded in
// time.
func (l *lease) keep(ctx context.Context, renew func(context.Context) error) {
	interval := l.every
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.ctx.Done():
			return
		case <-time.After(interval):
		}
		sent := time.Now()
		err := renew(ctx)
		switch {
		case err == nil:
			l.renewed(sent)
			interval = l.every
		case ctx.Err() != nil:
			return
		case errors.Is(err, ErrLost):
			l.mu.Lock()
			l.end(fmt.Errorf("%w; the sync stops writing", err))
			l.mu.Unlock()
			return
		default:
			l.mu.Lock()
			l.lastErr = err
			l.mu.Unlock()
			interval = l.retry
		}
	}
}

// Valid tells whether ctx, as returned by Acquire or derived from it, may still be written
// under: nil, or why not (a cause wrapping ErrLost when the lock was lost). The lease is
// judged on the clock at the call, so a process that stalled past its lease learns it before
// its next write even when the lease's timer has not fired yet. A context that holds no lock
// is valid until it ends.
func Valid(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if l, ok := ctx.Value(leaseKey{}).(*lease); ok {
		return l.check(time.Now())
	}
	return nil
}
