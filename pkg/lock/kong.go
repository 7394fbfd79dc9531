package lock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
)

// KongMarker is a lock held as a consumer in Kong whose tags name the holder and the expiry.
// Kong's unique username makes creating it the atomic test-and-set. Its tags never include an
// ownership tag, so no sync reads it as an entity of its own.
//
// With Epoch set, whoever takes the lock first moves an epoch forward: a second consumer,
// left in Kong, whose tag names the last taker. A sync that read Kong without the lock (Peek
// before the read) can then tell, once it holds the lock, whether another sync can have
// written since (Unchanged), and read again only then.
type KongMarker struct {
	// Clients are the nodes' clients; a node that cannot be reached hands over to the next,
	// so a lock taken through a node that died is still released through another.
	Clients []*kong.Client
	// Name is the consumer's username, one per ownership tag.
	Name string
	// Epoch is the epoch consumer's username, one per ownership tag and never a Name; ""
	// keeps no epoch.
	Epoch string

	// found is the epoch this holder found when it took the lock, before moving it on.
	found *string
}

const (
	tagLock    = "kongdb-sync-lock"
	tagHolder  = "kongdb-lock-holder:"
	tagSince   = "kongdb-lock-since:"
	tagExpires = "kongdb-lock-expires:"
	tagEpoch   = "kongdb-lock-epoch:"
)

// do sends one request through the first node that answers.
func (k *KongMarker) do(ctx context.Context, method, path string, body, out any) error {
	err := errors.New("no Kong node to hold the lock")
	for _, c := range k.Clients {
		err = admin.Do(ctx, c, method, path, nil, body, out)
		var apiErr *admin.Error
		if err == nil || errors.As(err, &apiErr) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// Describe names the marker.
func (k *KongMarker) Describe() string { return "consumer " + k.Name + " in Kong" }

type marker struct {
	ID       string   `json:"id,omitempty"`
	Username string   `json:"username"`
	Tags     []string `json:"tags"`
}

func (k *KongMarker) body(holder string, since time.Time, ttl time.Duration) marker {
	return marker{Username: k.Name, Tags: []string{tagLock, tagHolder + holder,
		tagSince + strconv.FormatInt(since.Unix(), 10), tagExpires + strconv.FormatInt(time.Now().Add(ttl).Unix(), 10)}}
}

func (k *KongMarker) read(ctx context.Context) (*marker, *Holder, error) {
	var m marker
	if err := k.do(ctx, http.MethodGet, "/consumers/"+k.Name, nil, &m); err != nil {
		return nil, nil, err
	}
	h := &Holder{}
	for _, t := range m.Tags {
		switch {
		case strings.HasPrefix(t, tagHolder):
			h.Identity = strings.TrimPrefix(t, tagHolder)
		case strings.HasPrefix(t, tagSince):
			s, _ := strconv.ParseInt(strings.TrimPrefix(t, tagSince), 10, 64)
			h.Since = time.Unix(s, 0)
		case strings.HasPrefix(t, tagExpires):
			s, _ := strconv.ParseInt(strings.TrimPrefix(t, tagExpires), 10, 64)
			h.Expires = time.Unix(s, 0)
		}
	}
	return &m, h, nil
}

// TryAcquire creates the marker; an expired one is deleted and the create tried again. Once
// taken, the epoch moves on, before the holder writes anything; a lock whose epoch could not
// be moved is let go again.
func (k *KongMarker) TryAcquire(ctx context.Context, holder string, ttl time.Duration) (*Holder, error) {
	for range 2 {
		err := k.do(ctx, http.MethodPost, "/consumers", k.body(holder, time.Now(), ttl), nil)
		if err == nil {
			return nil, k.advance(ctx, holder)
		}
		if !admin.IsStatus(err, http.StatusConflict) {
			return nil, err
		}
		m, h, err := k.read(ctx)
		if admin.IsStatus(err, http.StatusNotFound) {
			continue // released in between
		}
		if err != nil {
			return nil, err
		}
		if h.Identity == holder {
			return nil, k.advance(ctx, holder)
		}
		if time.Now().Before(h.Expires) {
			return h, nil
		}
		if err := k.do(ctx, http.MethodDelete, "/consumers/"+m.Username, nil, nil); err != nil && !admin.IsStatus(err, http.StatusNotFound) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s changed hands twice while taking it", k.Describe())
}

// Seen is what Peek saw before a read of Kong made without the lock. The zero Seen saw
// nothing: Unchanged is false for it.
type Seen struct {
	epoch string
	free  bool
}

// Peek reads the epoch, then whether the lock is held. A sync calls it before it reads Kong
// without the lock; once it holds the lock, Unchanged tells whether that read still stands.
// The order matters: a sync that takes the lock after the lock was seen free moves the epoch
// after the epoch was read, and one that let go before had finished writing.
func (k *KongMarker) Peek(ctx context.Context) (Seen, error) {
	epoch, err := k.epoch(ctx)
	if err != nil {
		return Seen{}, fmt.Errorf("read %s: %w", k.describeEpoch(), err)
	}
	_, _, err = k.read(ctx)
	switch {
	case admin.IsStatus(err, http.StatusNotFound):
		return Seen{epoch: epoch, free: true}, nil
	case err != nil:
		return Seen{}, fmt.Errorf("read %s: %w", k.Describe(), err)
	}
	return Seen{epoch: epoch}, nil
}

// Unchanged reports, for a holder of the lock, whether no other sync can have written since s
// was seen: the lock was free then, and the epoch found on taking it is the one seen (nobody
// took the lock in between). Without an epoch it is always false.
func (k *KongMarker) Unchanged(s Seen) bool {
	return k.Epoch != "" && s.free && k.found != nil && *k.found == s.epoch
}

func (k *KongMarker) describeEpoch() string { return "consumer " + k.Epoch + " in Kong" }

// epoch is the epoch consumer's tag value, "" while no sync has taken the lock.
func (k *KongMarker) epoch(ctx context.Context) (string, error) {
	if k.Epoch == "" {
		return "", nil
	}
	var m marker
	err := k.do(ctx, http.MethodGet, "/consumers/"+k.Epoch, nil, &m)
	if admin.IsStatus(err, http.StatusNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, t := range m.Tags {
		if strings.HasPrefix(t, tagEpoch) {
			return strings.TrimPrefix(t, tagEpoch), nil
		}
	}
	return "", nil
}

// advance records the epoch found and moves it on to holder, who now holds the lock. When
// that fails the lock is let go, so nobody writes with an epoch that did not move.
func (k *KongMarker) advance(ctx context.Context, holder string) error {
	if k.Epoch == "" {
		return nil
	}
	found, err := k.epoch(ctx)
	if err == nil {
		err = k.do(ctx, http.MethodPut, "/consumers/"+k.Epoch, marker{Username: k.Epoch, Tags: []string{tagLock, tagEpoch + holder}}, nil)
	}
	if err != nil {
		_ = k.Release(ctx, holder)
		return fmt.Errorf("move %s on: %w", k.describeEpoch(), err)
	}
	k.found = &found
	return nil
}

// Renew moves the expiry forward while holder holds the marker.
func (k *KongMarker) Renew(ctx context.Context, holder string, ttl time.Duration) error {
	m, h, err := k.read(ctx)
	if err != nil {
		return err
	}
	if h.Identity != holder {
		return fmt.Errorf("%s is held by someone else now", k.Describe())
	}
	b := k.body(holder, h.Since, ttl)
	return k.do(ctx, http.MethodPut, "/consumers/"+m.Username, b, nil)
}

// Release deletes the marker if holder still holds it.
func (k *KongMarker) Release(ctx context.Context, holder string) error {
	m, h, err := k.read(ctx)
	if err != nil || h.Identity != holder {
		return err
	}
	return k.do(ctx, http.MethodDelete, "/consumers/"+m.Username, nil, nil)
}
