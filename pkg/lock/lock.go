// Package lock keeps two syncs from writing to one Kong at once: a coordination.k8s.io Lease
// when the objects come from a cluster (every user of the cluster sees it), or a marker entity
// in Kong itself when they come from manifests. A lock that is held waits up to a timeout and
// then fails, naming the holder; a lock whose holder vanished expires.
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

// Locker takes and releases a lock.
type Locker interface {
	// TryAcquire takes the lock when it is free or expired; otherwise it returns who holds it
	// and since when.
	TryAcquire(ctx context.Context, holder string, ttl time.Duration) (held *Holder, err error)
	// Renew extends the lock held by holder.
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
// is called.
func Acquire(ctx context.Context, l Locker, wait time.Duration) (release func(), err error) {
	me := Identity()
	deadline := time.Now().Add(wait)
	for {
		held, err := l.TryAcquire(ctx, me, TTL)
		if err != nil {
			return nil, fmt.Errorf("take the sync lock (%s): %w", l.Describe(), err)
		}
		if held == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w (%s): %s since %s, until %s at the latest; wait for it or raise --lock-timeout",
				ErrHeld, l.Describe(), held.Identity, held.Since.Format(time.RFC3339), held.Expires.Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	renewCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(TTL / 3)
		defer t.Stop()
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
				_ = l.Renew(renewCtx, me, TTL)
			}
		}
	}()
	return func() {
		stop()
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = l.Release(ctx, me)
	}, nil
}
