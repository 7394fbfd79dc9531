// Package lock keeps two syncs from writing to one Kong at once. The lock every writing sync
// takes, whatever its source, is a marker entity in Kong itself: the one place a sync from
// manifests, a sync from any cluster and one with any --lock-namespace all reach. A sync from a
// cluster also takes a coordination.k8s.io Lease first, for in-cluster leadership. A lock that
// is held waits up to a timeout and then fails, naming the holder; a lock whose holder
// vanished expires. A holder writes under the context Acquire returns, which ends when the
// lock is lost.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// TTL is how long a lock lives without renewal: a sync that dies leaves it for at most this.
const TTL = 60 * time.Second

// ErrHeld means another sync holds the lock and did not let go in time.
var ErrHeld = errors.New("another sync holds the lock")

// ErrLost means a lock this sync held is no longer its own: another sync took it over, it was
// deleted, or it ran out before it could be renewed. A sync that lost its lock stops writing.
var ErrLost = errors.New("lost the sync lock")

// Locker takes and releases a lock.
type Locker interface {
	// TryAcquire takes the lock when it is free or expired; otherwise it returns who holds it
	// and since when.
	TryAcquire(ctx context.Context, holder string, ttl time.Duration) (held *Holder, err error)
	// Renew extends the lock held by holder; an error wrapping ErrLost says it is not
	// holder's any more, any other error that it could not be told.
	Renew(ctx context.Context, holder string, ttl time.Duration) error
	// Release lets go of the lock held by holder.
	Release(ctx context.Context, holder string) error
	// Describe names where the lock lives, for messages.
	Describe() string
}

// Holder is who holds a lock.
type Holder struct {
	Identity string
	Since    time.Time
	Expires  time.Time
}

// Identity is this process as a lock holder: host, pid and start, without the "/" and ","
// Kong refuses in tags.
func Identity() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%d", strings.NewReplacer("/", "-", ",", "-").Replace(host), os.Getpid(), time.Now().UnixNano())
}

// Acquire takes the lock, polling until wait has passed, and keeps renewing it until release
// is called. The context it returns is the one to write under: it ends, with a cause wrapping
// ErrLost that says why, as soon as the lock is lost (a renewal finds it taken or deleted) or
// its lease runs out unrenewed (renewals failed, or this process stalled past it); Valid
// tells a writer so even before that context's timer fires.
func Acquire(ctx context.Context, l Locker, wait time.Duration) (held context.Context, release func(), err error) {
	me := Identity()
	deadline := time.Now().Add(wait)
	var sent time.Time
	for {
		sent = time.Now()
		h, err := l.TryAcquire(ctx, me, TTL)
		if err != nil {
			return nil, nil, fmt.Errorf("take the sync lock (%s): %w", l.Describe(), err)
		}
		if h == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("%w (%s): %s since %s, until %s at the latest; wait for it or raise --lock-timeout",
				ErrHeld, l.Describe(), h.Identity, h.Since.Format(time.RFC3339), h.Expires.Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	lease := newLease(ctx, l.Describe(), sent)
	renewCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		lease.keep(renewCtx, func(ctx context.Context) error { return l.Renew(ctx, me, TTL) })
	}()
	return lease.ctx, func() {
		stop()
		<-done
		lease.cancel(fmt.Errorf("the sync lock (%s) was released", l.Describe()))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = l.Release(ctx, me)
	}, nil
}
