package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/converge"
)

// convergence is the wait's state: the waiter, and the data planes' hashes before the marker
// was written.
type convergence struct {
	waiter *converge.Waiter
	before map[string]bool
	at     time.Time
}

// waiter returns what the wait polls, or an error when a traditional cluster has no proxy to
// poll; nil without a wait. It is built before anything is written.
func (c *Config) waiter(ctx context.Context, ob *Observation) (*convergence, error) {
	if c.Wait <= 0 || c.DryRun {
		return nil, nil
	}
	hc := c.ProxyHTTP
	if hc == nil {
		hc = &http.Client{Timeout: c.Kong.Config.Timeout}
	}
	w := &converge.Waiter{Marker: c.marker(), Proxies: c.Proxies, HTTP: hc}
	if c.ProxyNodes != nil {
		urls, err := c.ProxyNodes.AdminURLs(ctx)
		if err != nil {
			return nil, fmt.Errorf("proxy service: %w", err)
		}
		c.note("kong proxy: " + c.ProxyNodes.Describe())
		w.Proxies = append(w.Proxies, urls...)
		if c.ProxyNodes.Transport != nil {
			w.HTTP.Transport = c.ProxyNodes.Transport
		}
	}
	for _, n := range ob.Cluster.Nodes {
		if n.Role == admin.RoleControlPlane {
			w.ControlPlane = n.Client
			break
		}
	}
	if w.ControlPlane == nil && len(w.Proxies) == 0 {
		return nil, ErrNoProxies
	}
	return &convergence{waiter: w}, nil
}

// ErrNoProxies is a wait on a traditional cluster with no proxy to poll.
var ErrNoProxies = errors.New("waiting polls every node's proxy for the sync marker: give each traditional node's proxy")

// snapshot takes the data planes' hashes just before the marker is written.
func (c *convergence) snapshot(ctx context.Context) error {
	if c == nil {
		return nil
	}
	before, err := c.waiter.DataPlaneHashes(ctx)
	c.before, c.at = before, time.Now()
	return err
}

// Wait polls every node until it serves this sync's generation (a sync with nothing to write
// waits for the last one, or writes a first one), calls onNode with each node's result, and
// stores the results into the marker. A marker that cannot be updated is a warning, returned
// beside the wait's own error.
func (r *Result) Wait(ctx context.Context, onNode func(converge.Node)) (warning, err error) {
	if r.conv == nil {
		return nil, nil
	}
	if r.Record == nil {
		if err := r.currentMarker(ctx); err != nil {
			return nil, err
		}
	}
	rec := r.Record
	target := converge.Target{Generation: rec.Generation, Since: r.conv.at, Before: r.conv.before} // conv.at: just before the marker was written
	if target.Since.IsZero() {
		// Nothing written: a node seen since the record was written has had the chance to load it.
		target.Since, target.From = rec.Time, time.Now()
	}
	nodes, err := r.conv.waiter.Wait(ctx, target, r.cfg.Wait)
	for _, n := range nodes {
		if onNode != nil {
			onNode(n)
		}
	}
	warning = r.cfg.marker().Converged(ctx, r.Via, *rec, nodes)
	return warning, err
}

// currentMarker is the record a sync with nothing to write waits for: the last one, or a
// first one written now, since waiting asks for a barrier every node must serve.
func (r *Result) currentMarker(ctx context.Context) error {
	rec := r.record()
	var err error
	for _, c := range r.liveClients(nil) {
		var got *converge.Record
		if got, err = r.cfg.marker().Read(ctx, c); err != nil {
			continue
		}
		if got == nil {
			got, err = r.cfg.marker().Write(ctx, c, rec)
		}
		if err == nil {
			r.Record, r.Via = got, c
			return nil
		}
	}
	return err
}
