package cluster

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// lateSource answers polls as PostgreSQL does: the events with at inside
// (minAt, now], where an event's at is its transaction's start, so an event
// can become visible after a poll whose now is already past its at.
type lateSource struct {
	now    float64
	events []store.ClusterEvent
}

func (s *lateSource) Now(context.Context) (float64, error) { return s.now, nil }

func (s *lateSource) PollEvents(_ context.Context, minAt float64, offset int) ([]store.ClusterEvent, error) {
	var out []store.ClusterEvent
	for _, e := range s.events {
		if e.At > minAt && e.At <= s.now {
			e.Now = s.now
			out = append(out, e)
		}
	}
	if offset >= len(out) {
		return nil, nil
	}
	return out[offset:], nil
}

// A write whose transaction started before a poll and committed after it
// (the route of a sync seen, its plugin still uncommitted) must still be
// applied by a later poll, once and only once.
func TestPollerAppliesAnEventCommittedAfterAPollThatPassedItsAt(t *testing.T) {
	src := &lateSource{now: 100}
	applied := 0
	p := &Poller{Source: src, NodeID: "me", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnEvents: func() { applied++ }, lastAt: 100, seen: map[string]time.Time{}}

	// The route's event commits, and a poll at 100.5 applies it.
	src.events = append(src.events, store.ClusterEvent{ID: "route", NodeID: "other", At: 100.2})
	src.now = 100.5
	if err := p.poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The plugin's transaction started at 100.3, before that poll read the
	// clock, and commits only now.
	src.events = append(src.events, store.ClusterEvent{ID: "plugin", NodeID: "other", At: 100.3})
	src.now = 101
	if err := p.poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if applied != 2 {
		t.Fatalf("applied %d times, want 2: the late-committed event was missed", applied)
	}
	// Overlapping windows return both events again; neither is applied twice.
	src.now = 101.5
	if err := p.poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if applied != 2 {
		t.Fatalf("applied %d times after a poll with nothing new, want 2", applied)
	}
}
