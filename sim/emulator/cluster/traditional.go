package cluster

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// Exporter reads the whole configuration (store.Store.Export).
type Exporter interface {
	Export(ctx context.Context) (*store.Export, error)
}

// Traditional keeps a traditional node's snapshot in step with the
// database: built at start, rebuilt right after the node's own writes
// (Changed) and after a cluster_events poll finds another node's, each
// time exported and compiled aside, then swapped in by the Applier.
// Requests that arrive while a rebuild runs collapse into one more.
type Traditional struct {
	Store   Exporter
	Poller  *Poller
	Applier Applier
	Log     *slog.Logger

	wake    chan struct{}
	applied atomic.Int64 // number of snapshots applied
}

// NewTraditional wires a poller's events to the rebuild.
func NewTraditional(st Exporter, p *Poller, a Applier, log *slog.Logger) *Traditional {
	t := &Traditional{Store: st, Poller: p, Applier: a, Log: log, wake: make(chan struct{}, 1)}
	p.OnEvents = t.Changed
	return t
}

// Changed asks for a rebuild; it never blocks.
func (t *Traditional) Changed() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Applied counts the snapshots applied since start.
func (t *Traditional) Applied() int64 { return t.applied.Load() }

// Run builds the first snapshot, then polls and rebuilds until ctx ends.
func (t *Traditional) Run(ctx context.Context) error {
	if err := t.Rebuild(ctx); err != nil {
		// The node stays up, not ready (nothing applied), and the next
		// change or poll retries, as Kong keeps running on a failed build.
		t.Log.Error("cannot build the first configuration snapshot", "error", err)
	}
	go func() { _ = t.Poller.Run(ctx) }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.wake:
			if err := t.Rebuild(ctx); err != nil && ctx.Err() == nil {
				// The previous snapshot keeps serving; the next change or
				// poll retries.
				t.Log.Error("rebuild failed; the previous configuration keeps serving", "error", err)
			}
		}
	}
}

// Rebuild exports the configuration and applies it.
func (t *Traditional) Rebuild(ctx context.Context) error {
	start := time.Now()
	x, err := t.Store.Export(ctx)
	if err != nil {
		return err
	}
	// No config hash here: a traditional node reports none, and at 10,000
	// entities it would add a fifth to every rebuild.
	if err := t.Applier.Apply(toEntities(x.Config)); err != nil {
		return err
	}
	t.applied.Add(1)
	t.Log.Debug("configuration rebuilt", "took", time.Since(start))
	return nil
}
