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
type KongMarker struct {
	// Clients are the nodes' clients; a node that cannot be reached hands over to the next,
	// so a lock taken through a node that died is still released through another.
	Clients []*kong.Client
	// Name is the consumer's username, one per ownership tag.
	Name string
}

const (
	tagLock    = "kongdb-sync-lock"
	tagHolder  = "kongdb-lock-holder:"
	tagSince   = "kongdb-lock-since:"
	tagExpires = "kongdb-lock-expires:"
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

// TryAcquire creates the marker; an expired one is deleted and the create tried again.
func (k *KongMarker) TryAcquire(ctx context.Context, holder string, ttl time.Duration) (*Holder, error) {
	for range 2 {
		err := k.do(ctx, http.MethodPost, "/consumers", k.body(holder, time.Now(), ttl), nil)
		if err == nil {
			return nil, nil
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
			return nil, nil
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
