package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/converge"
	"github.com/kongdb/kubectl-kongdb/pkg/discovery"
)

// defaultWait is --wait's timeout when the flag is given without one.
const defaultWait = 2 * time.Minute

// convergence is sync --wait's state: the waiter, and the data planes' hashes before the
// marker was written.
type convergence struct {
	waiter *converge.Waiter
	before map[string]bool
	at     time.Time
}

// waiter returns what --wait polls, or an error when a traditional cluster has no proxy to
// poll; nil without --wait. It is built before anything is written.
func (o *SyncOptions) waiter(ctx context.Context, pl *planned) (*convergence, error) {
	if o.Wait <= 0 || o.DryRun {
		return nil, nil
	}
	w := &converge.Waiter{Marker: o.marker(), Proxies: o.ProxyURLs, HTTP: &http.Client{Timeout: o.Kong.Timeout}}
	if o.Kong.ProxyService != "" {
		nodes, err := o.Kong.discover(o.factory, "--kong-proxy-service", o.Kong.ProxyService, discovery.ProxyPortNames)
		if err != nil {
			return nil, err
		}
		urls, err := nodes.AdminURLs(ctx)
		if err != nil {
			return nil, fmt.Errorf("--kong-proxy-service: %w", err)
		}
		fmt.Fprintln(o.ErrOut, "note: kong proxy:", nodes.Describe())
		w.Proxies = append(w.Proxies, urls...)
		if nodes.Transport != nil {
			w.HTTP.Transport = nodes.Transport
		}
	}
	for _, n := range pl.cluster.Nodes {
		if n.Role == admin.RoleControlPlane {
			w.ControlPlane = n.Client
			break
		}
	}
	if w.ControlPlane == nil && len(w.Proxies) == 0 {
		return nil, errors.New("--wait polls every node's proxy for the sync marker: give each traditional node's proxy with --kong-proxy-url or --kong-proxy-service")
	}
	return &convergence{waiter: w}, nil
}

// snapshot takes the data planes' hashes just before the marker is written.
func (c *convergence) snapshot(ctx context.Context) error {
	if c == nil {
		return nil
	}
	before, err := c.waiter.DataPlaneHashes(ctx)
	c.before, c.at = before, time.Now()
	return err
}

func (o *SyncOptions) marker() converge.Marker {
	return converge.Marker{OwnershipTag: o.Kong.OwnershipTag, Workspace: o.Kong.Workspace}
}

// liveClients are the nodes' clients the sync did not see go away.
func liveClients(pl *planned, out *apply.Outcome) []*kong.Client {
	var cs []*kong.Client
	for _, n := range pl.cluster.Nodes {
		if out != nil {
			if _, down := out.Down[n.URL]; down {
				continue
			}
		}
		cs = append(cs, n.Client)
	}
	return cs
}

// currentMarker is the record a sync with nothing to write waits for: the last one, or a
// first one written now, since --wait asks for a barrier every node must serve.
func (o *SyncOptions) currentMarker(ctx context.Context, pl *planned, rec converge.Record) (*converge.Record, *kong.Client, error) {
	var err error
	for _, c := range liveClients(pl, nil) {
		var r *converge.Record
		if r, err = o.marker().Read(ctx, c); err != nil {
			continue
		}
		if r == nil {
			r, err = o.marker().Write(ctx, c, rec)
		}
		if err == nil {
			return r, c, nil
		}
	}
	return nil, nil, err
}

// wait polls every node until it serves rec's generation, prints each node's time, and
// stores the result into the marker through c.
func (o *SyncOptions) wait(ctx context.Context, conv *convergence, rec *converge.Record, c *kong.Client) error {
	target := converge.Target{Generation: rec.Generation, Since: conv.at, Before: conv.before} // conv.at: just before the marker was written
	if target.Since.IsZero() {
		// Nothing written: a node seen since the record was written has had the chance to load it.
		target.Since, target.From = rec.Time, time.Now()
	}
	nodes, err := conv.waiter.Wait(ctx, target, o.Wait)
	for _, n := range nodes {
		if n.Converged {
			fmt.Fprintf(o.ErrOut, "converged: %s (%s) serves generation %d after %.2fs\n", n.Node, n.Via, rec.Generation, n.Seconds)
		} else {
			fmt.Fprintf(o.ErrOut, "lagging: %s (%s): %s\n", n.Node, n.Via, n.Detail)
		}
	}
	if serr := o.marker().Converged(ctx, c, *rec, nodes); serr != nil {
		fmt.Fprintln(o.ErrOut, "warning:", serr)
	}
	if err != nil {
		return fmt.Errorf("--wait=%s: %w", o.Wait, err)
	}
	return nil
}
