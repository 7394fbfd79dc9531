package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
)

// KongMarker is a lock held as a consumer in Kong. Kong's unique username makes creating it
// the atomic test-and-set; every change after that is made by the consumer's ID, which is
// new on each take-over, so it is conditional on the holder read: a renewal or release by a
// holder whose marker was taken over finds nothing (404) instead of changing the new one, and
// of two syncs taking over one expired marker, the second deletes nothing (the ID it read is
// gone) and its create meets the first's marker. Expiry is judged on Kong's clock, the one
// both sides share: the marker's updated_at, stamped by Kong on each renewal, plus its TTL,
// against the Date of Kong's answer. Its tags never include an ownership tag, so no sync
// reads it as an entity of its own.
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

	// id is the marker's ID while this KongMarker holds it.
	id string
	// found is the epoch this holder found when it took the lock, before moving it on.
	found *string
}

const (
	tagLock   = "kongdb-sync-lock"
	tagHolder = "kongdb-lock-holder:"
	tagTTL    = "kongdb-lock-ttl:"
	tagEpoch  = "kongdb-lock-epoch:"
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
	ID        string   `json:"id,omitempty"`
	Username  string   `json:"username"`
	Tags      []string `json:"tags"`
	CreatedAt int64    `json:"created_at,omitempty"`
	UpdatedAt int64    `json:"updated_at,omitempty"`
}

func (k *KongMarker) tags(holder string, ttl time.Duration) []string {
	return []string{tagLock, tagHolder + holder, tagTTL + strconv.FormatInt(int64(ttl/time.Second), 10)}
}

// read returns the marker and its holder, with Since and Expires on Kong's clock, and Kong's
// time of the answer.
func (k *KongMarker) read(ctx context.Context) (*marker, *Holder, time.Time, error) {
	var m marker
	now, err := k.getDated(ctx, "/consumers/"+k.Name, &m)
	if err != nil {
		return nil, nil, now, err
	}
	h := &Holder{Since: time.Unix(m.CreatedAt, 0)}
	ttl := TTL
	for _, t := range m.Tags {
		switch {
		case strings.HasPrefix(t, tagHolder):
			h.Identity = strings.TrimPrefix(t, tagHolder)
		case strings.HasPrefix(t, tagTTL):
			if s, err := strconv.ParseInt(strings.TrimPrefix(t, tagTTL), 10, 64); err == nil && s >= 0 {
				ttl = time.Duration(s) * time.Second
			}
		}
	}
	stamped := m.UpdatedAt
	if stamped == 0 {
		stamped = m.CreatedAt
	}
	h.Expires = time.Unix(stamped, 0).Add(ttl)
	return &m, h, now, nil
}

// getDated is a GET through the first node that answers, returning the Date of Kong's answer
// (this machine's time when Kong sent none).
func (k *KongMarker) getDated(ctx context.Context, path string, out any) (time.Time, error) {
	err := errors.New("no Kong node to hold the lock")
	for _, c := range k.Clients {
		var date time.Time
		date, err = getDated(ctx, c, path, out)
		var apiErr *admin.Error
		if err == nil || errors.As(err, &apiErr) || ctx.Err() != nil {
			return date, err
		}
	}
	return time.Time{}, err
}

func getDated(ctx context.Context, c *kong.Client, path string, out any) (time.Time, error) {
	req, err := c.NewRequest(http.MethodGet, path, nil, nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("GET %s: %w", path, err)
	}
	resp, err := c.DoRAW(ctx, req)
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	date, derr := http.ParseTime(resp.Header.Get("Date"))
	if derr != nil {
		date = time.Now()
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return date, &admin.Error{Method: http.MethodGet, Path: path, Status: resp.StatusCode, Body: strings.TrimSpace(string(raw))}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return date, fmt.Errorf("GET %s: decode answer: %w", path, err)
	}
	return date, nil
}

// TryAcquire creates the marker under a new ID. A marker that expired on Kong's clock is
// deleted by the ID read, and the create tried again: when another sync took it over first,
// the delete finds nothing and the create meets the new marker, which is then live. Once
// taken, the epoch moves on, before the holder writes anything; a lock whose epoch could not
// be moved is let go again.
func (k *KongMarker) TryAcquire(ctx context.Context, holder string, ttl time.Duration) (*Holder, error) {
	for range 3 {
		id := uuid.NewString()
		err := k.do(ctx, http.MethodPost, "/consumers", marker{ID: id, Username: k.Name, Tags: k.tags(holder, ttl)}, nil)
		if err == nil {
			k.id = id
			return nil, k.advance(ctx, holder)
		}
		if !admin.IsStatus(err, http.StatusConflict) {
			return nil, err
		}
		m, h, now, err := k.read(ctx)
		if admin.IsStatus(err, http.StatusNotFound) {
			continue // released in between
		}
		if err != nil {
			return nil, err
		}
		if h.Identity == holder {
			k.id = m.ID
			return nil, k.advance(ctx, holder)
		}
		if now.Before(h.Expires) {
			return h, nil
		}
		if err := k.do(ctx, http.MethodDelete, "/consumers/"+m.ID, nil, nil); err != nil && !admin.IsStatus(err, http.StatusNotFound) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s changed hands while taking it, again and again", k.Describe())
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
	_, _, _, err = k.read(ctx)
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

// Renew has Kong stamp the marker's updated_at again, by the ID this holder created it under:
// when the marker was taken over or deleted, Kong finds no such ID (404) and the lock is lost.
func (k *KongMarker) Renew(ctx context.Context, holder string, ttl time.Duration) error {
	if k.id == "" {
		return fmt.Errorf("%w (%s): this sync does not hold it", ErrLost, k.Describe())
	}
	var m marker
	err := k.do(ctx, http.MethodPatch, "/consumers/"+k.id, map[string]any{"tags": k.tags(holder, ttl)}, &m)
	switch {
	case admin.IsStatus(err, http.StatusNotFound):
		return fmt.Errorf("%w (%s): another sync took it over, or it was deleted", ErrLost, k.Describe())
	case err != nil:
		return err
	case m.Username != k.Name:
		return fmt.Errorf("%w (%s): its ID now names consumer %q", ErrLost, k.Describe(), m.Username)
	}
	return nil
}

// Release deletes the marker by the ID this holder created it under, so that a marker another
// sync took over is never deleted.
func (k *KongMarker) Release(ctx context.Context, holder string) error {
	if k.id == "" {
		return nil
	}
	err := k.do(ctx, http.MethodDelete, "/consumers/"+k.id, nil, nil)
	if err == nil || admin.IsStatus(err, http.StatusNotFound) {
		k.id = ""
		return nil
	}
	return err
}
