package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/internal/redact"
	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/converge"
	"github.com/kongdb/kubectl-kongdb/pkg/discovery"
	"github.com/kongdb/kubectl-kongdb/pkg/lock"
	"github.com/kongdb/kubectl-kongdb/pkg/report"
)

// Result is what one sync did.
type Result struct {
	*Observation
	// Outcome is nil for a dry run; an empty Outcome is a sync that had nothing to do.
	Outcome *apply.Outcome
	Report  *report.Report
	// Record is the sync marker's record written (or, with nothing to write and a wait, the
	// one waited for); Via the client it was written through.
	Record *converge.Record
	Via    *kong.Client
	// Warnings are what went wrong after the writes without undoing them (the marker).
	Warnings []string
	// Stopped, when set, is why the apply could not go on at all: a node answered 5xx and
	// says it cannot reach its database. The writes not made are in the report.
	Stopped error

	cfg  *Config
	conv *convergence
}

// RunOnce is one sync: observe, take the lock, check the delete budget, apply, write the sync
// marker last. Every writing sync takes the one lock all syncs of an ownership tag share, a
// marker in Kong, whatever their source, --lock-namespace or cluster: it is taken only when
// there is something to write (so a sync with nothing to do writes nothing), and Kong is read
// again under it only when another sync can have written meanwhile: the marker's epoch,
// peeked at before the first read, tells. From a cluster a Lease is taken first as well, for
// in-cluster leadership; it costs Kong nothing. Writes go under the locks' context: a lock
// lost (taken over, or its lease run out) stops them before the next request, and the sync
// then writes no marker and says why in Warnings. With cfg.Wait, Result.Wait then waits for
// every node.
func RunOnce(ctx context.Context, cfg *Config) (*Result, error) {
	if cfg.Started.IsZero() {
		cfg.Started = time.Now()
	}
	leaseFirst := !cfg.DryRun && cfg.Lease != nil
	writeCtx := ctx // the context writes go under: the locks' once taken
	if leaseFirst {
		held, release, err := lock.Acquire(ctx, cfg.Lease, cfg.LockTimeout)
		if err != nil {
			return nil, err
		}
		defer release()
		writeCtx = held
	}
	var marker *lock.KongMarker
	var seen lock.Seen
	var beforeRead func(context.Context, *admin.Cluster) error
	if !cfg.DryRun {
		beforeRead = func(ctx context.Context, cl *admin.Cluster) error {
			marker = cfg.kongMarker(cl)
			var err error
			if seen, err = marker.Peek(ctx); err != nil {
				seen = lock.Seen{} // cannot tell: a writing sync reads Kong again under the lock
			}
			return nil
		}
	}
	ob, err := cfg.Observe(ctx, beforeRead)
	if err != nil {
		return nil, err
	}
	if err := cfg.checkDeletes(ob); err != nil {
		return nil, err
	}
	if !cfg.DryRun {
		if err := cfg.checkBeforeWrite(ctx, ob); err != nil {
			return nil, err
		}
	}
	read := ob.Read
	conv, err := cfg.waiter(ctx, ob)
	if err != nil {
		return nil, err
	}
	res := &Result{Observation: ob, cfg: cfg, conv: conv}
	if cfg.DryRun {
		apply.FindConflicts(ctx, apply.NewPool(ob.Cluster.Nodes), ob.Plan, cfg.Concurrency)
	} else {
		res.Outcome = &apply.Outcome{} // nothing to do is a sync too, not a dry run
	}
	if !cfg.DryRun && !ob.Plan.Empty() {
		held, release, err := lock.Acquire(writeCtx, marker, cfg.LockTimeout)
		if err != nil {
			return nil, err
		}
		defer release()
		writeCtx = held
		if !marker.Unchanged(seen) {
			if ob, err = ob.Replan(writeCtx); err != nil {
				return nil, err
			}
			if err := cfg.checkDeletes(ob); err != nil {
				return nil, err
			}
			if err := cfg.checkBeforeWrite(writeCtx, ob); err != nil {
				return nil, err
			}
			read += ob.Read
			res.Observation = ob
		}
		var progress func(apply.Result)
		if cfg.Progress != nil {
			progress = cfg.Progress(len(ob.Plan.Ops))
		}
		res.Outcome = apply.Run(writeCtx, ob.Plan, apply.NewPool(ob.Cluster.Nodes),
			apply.Options{Concurrency: cfg.Concurrency, OnResult: progress, OwnershipTag: cfg.Kong.OwnershipTag})
		res.Stopped = res.databaseDown(ctx)
	}
	rep := report.New(ob.Plan, res.Outcome)
	rep.Source, rep.Kong = cfg.Source.Describe(), ob.Cluster.Describe()
	rep.Read, rep.Plan = read, ob.Planned
	res.Report = rep
	if lost := lock.Valid(writeCtx); lost != nil {
		res.Warnings = append(res.Warnings, redact.URLs(lost.Error())+"; no sync marker was written")
		return res, nil
	}
	if res.Outcome != nil && len(res.Outcome.Results) > 0 {
		if err := conv.snapshot(writeCtx); err != nil {
			res.Warnings = append(res.Warnings, redact.URLs(err.Error()))
		}
		if err := res.writeMarker(writeCtx); err != nil {
			res.Warnings = append(res.Warnings, redact.URLs(err.Error()))
		}
	}
	return res, nil
}

// ErrDatabaseDown is an apply cut short because Kong cannot reach its database.
var ErrDatabaseDown = errors.New("kong cannot reach its database")

// databaseDown asks the nodes why, when some write failed with a 5xx: a node whose /status
// says its database is unreachable makes the whole sync a failure, not a partial success.
func (r *Result) databaseDown(ctx context.Context) error {
	serverErrors := 0
	for _, res := range r.Outcome.Results {
		if res.Status == apply.Failed && res.HTTPStatus >= 500 {
			serverErrors++
		}
	}
	if serverErrors == 0 {
		return nil
	}
	for _, n := range r.Cluster.Nodes {
		st, err := admin.ReadNodeStatus(ctx, n.Client)
		if err == nil && !st.Database.Reachable {
			return fmt.Errorf("%w: the node at %s says database.reachable is false; %d writes failed with a server error and what depends on them was not tried",
				ErrDatabaseDown, n.URL, serverErrors)
		}
	}
	return nil
}

// LockName is one lock per ownership tag, since syncs with different tags own different
// entities.
func LockName(ownershipTag string) string {
	return "kongdb-sync-" + strings.NewReplacer("_", "-", ".", "-", ":", "-", "/", "-").Replace(strings.ToLower(ownershipTag))
}

// kongMarker is the sync lock every writing sync takes: a marker in Kong, reachable through
// any node, with its epoch. The lock's name never holds a ".", so the epoch's never names a lock.
func (c *Config) kongMarker(cl *admin.Cluster) *lock.KongMarker {
	clients := make([]*kong.Client, len(cl.Nodes))
	for i, n := range cl.Nodes {
		clients[i] = n.Client
	}
	name := LockName(c.Kong.OwnershipTag)
	return &lock.KongMarker{Clients: clients, Name: name, Epoch: name + ".epoch"}
}

func (c *Config) marker() converge.Marker {
	return converge.Marker{OwnershipTag: c.Kong.OwnershipTag, Workspace: c.Kong.Workspace}
}

// record is the sync's record for the marker.
func (r *Result) record() converge.Record {
	now := time.Now()
	rec := converge.Record{Time: now.UTC(), From: r.cfg.SyncedBy, Source: r.Report.Source, Result: "succeeded",
		Nodes: r.Outcome.Nodes, Seconds: now.Sub(r.cfg.Started).Seconds()}
	if r.Report.Failed() {
		rec.Result = "partial"
	}
	for _, k := range r.Report.Kinds {
		rec.Created, rec.Updated, rec.Deleted = rec.Created+k.Created, rec.Updated+k.Updated, rec.Deleted+k.Deleted
		rec.Failed += k.Failed + k.Conflicts + k.Skipped
	}
	return rec
}

// writeMarker records the sync in Kong, last, through a node that did not go away.
func (r *Result) writeMarker(ctx context.Context) error {
	rec := r.record()
	var err error
	for _, c := range r.liveClients(r.Outcome) {
		var written *converge.Record
		if written, err = r.cfg.marker().Write(ctx, c, rec); err == nil {
			r.Report.Generation = written.Generation
			r.Record, r.Via = written, c
			return nil
		}
	}
	return err
}

// liveClients are the nodes' clients the sync did not see go away.
func (r *Result) liveClients(out *apply.Outcome) []*kong.Client {
	var cs []*kong.Client
	for _, n := range r.Cluster.Nodes {
		if out != nil {
			if _, down := out.Down[n.URL]; down {
				continue
			}
		}
		cs = append(cs, n.Client)
	}
	return cs
}

// viaNodes wraps the Admin API transport: through the API server when discovery took that
// path (known only once the endpoints are listed, which admin.Connect does first), then wrap.
func viaNodes(nodes *discovery.Nodes, wrap func(http.RoundTripper) http.RoundTripper) func(http.RoundTripper) http.RoundTripper {
	if nodes == nil {
		return wrap
	}
	return func(rt http.RoundTripper) http.RoundTripper {
		if nodes.Transport != nil {
			rt = nodes.Transport
		}
		if wrap != nil {
			rt = wrap(rt)
		}
		return rt
	}
}
