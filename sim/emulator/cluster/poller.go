package cluster

import (
	"context"
	"log/slog"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// EventSource is the part of the store a poller reads.
type EventSource interface {
	Now(ctx context.Context) (float64, error)
	PollEvents(ctx context.Context, minAt float64, offset int) ([]store.ClusterEvent, error)
}

// Poller follows cluster_events as kong/cluster_events/init.lua does: one
// poll every db_update_frequency, reading the events after the last poll
// (widened by db_update_propagation), skipping the node's own events and
// those already seen, and holding back events whose nbf is in the future.
type Poller struct {
	Source EventSource
	NodeID string
	// Frequency is db_update_frequency; Propagation db_update_propagation.
	Frequency, Propagation time.Duration
	Log                    *slog.Logger
	// OnEvents runs after a poll (or a delayed nbf) found another node's
	// events; it must not block for long.
	OnEvents func()

	lastAt float64
	seen   map[string]time.Time
}

// Run polls until ctx ends. The starting point is the database's clock, so
// events written before the node started are not replayed (its first
// snapshot already holds them).
func (p *Poller) Run(ctx context.Context) error {
	p.seen = map[string]time.Time{}
	for {
		now, err := p.Source.Now(ctx)
		if err == nil {
			p.lastAt = now
			break
		}
		p.Log.Error("cluster events: cannot read the database clock", "error", err)
		if !sleep(ctx, p.Frequency) {
			return nil
		}
	}
	t := time.NewTicker(p.Frequency)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := p.poll(ctx); err != nil && ctx.Err() == nil {
				p.Log.Error("cluster events: poll failed", "error", err)
			}
		}
	}
}

// commitLag widens every poll window backwards: an event's at is its
// transaction's start (CURRENT_TIMESTAMP), and a transaction that began
// before the previous poll read the clock may commit after that poll ran.
// Without the overlap such an event (the last write of a sync, say) would
// fall behind the window and never be applied; the seen ids keep the
// overlap from applying anything twice.
const commitLag = 2 * time.Second

func (p *Poller) poll(ctx context.Context) error {
	minAt := p.lastAt - p.Propagation.Seconds() - commitLag.Seconds() - 0.001
	found := false
	var delay time.Duration
	for offset := 0; ; offset += 1000 {
		evs, err := p.Source.PollEvents(ctx, minAt, offset)
		if err != nil {
			return err
		}
		if offset == 0 && len(evs) > 0 {
			p.lastAt = evs[0].Now
		}
		for _, ev := range evs {
			if ev.NodeID == p.NodeID || !p.seen[ev.ID].IsZero() {
				continue
			}
			p.seen[ev.ID] = time.Now()
			if ev.NBF > ev.Now {
				delay = max(delay, time.Duration((ev.NBF-ev.Now)*float64(time.Second)))
				continue
			}
			found = true
		}
		if len(evs) < 1000 {
			break
		}
	}
	p.forget()
	if delay > 0 {
		time.AfterFunc(delay, p.OnEvents)
	}
	if found {
		p.OnEvents()
	}
	return nil
}

// forget drops remembered event ids once no poll window can return them
// (Kong keeps them for 2 × poll interval + poll offset; ours also reach
// commitLag further back).
func (p *Poller) forget() {
	keep := 2*p.Frequency + p.Propagation + commitLag + time.Second
	for id, at := range p.seen {
		if time.Since(at) > keep {
			delete(p.seen, id)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
