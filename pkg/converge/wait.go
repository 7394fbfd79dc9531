package converge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
)

// Node is how one node served a sync, as stored in Record.Convergence (read by status).
//
// JSON, stable: {"node": "http://10.0.0.7:8000" or "data_plane <hostname> (<id>)",
// "via": "proxy" | "clustering", "converged": bool, "seconds": after the marker was written,
// "detail": why a node that did not converge lags}.
type Node struct {
	Node      string  `json:"node"`
	Via       string  `json:"via"`
	Converged bool    `json:"converged"`
	Seconds   float64 `json:"seconds,omitempty"`
	Detail    string  `json:"detail,omitempty"`
}

// Waiter polls every node until it serves one generation of the marker: every proxy in
// Proxies answers it on Marker.Path() for Host, and, in hybrid mode, every data plane the control
// plane lists is in sync (sync_status normal, last seen after the marker was written, the
// config hash the data planes converged on, which no data plane reported before the write).
type Waiter struct {
	Marker  Marker
	Proxies []string
	// ControlPlane is the hybrid control plane's Admin API; nil in traditional mode.
	ControlPlane *kong.Client
	// HTTP reaches the proxies.
	HTTP *http.Client
	// Interval between two polls of a node that lags.
	Interval time.Duration
}

// Target is what the nodes must serve.
type Target struct {
	Generation int64
	// Since is when the marker was written: a data plane must have been seen after it.
	Since time.Time
	// From is when convergence times start: the marker's write, or the wait's start when
	// nothing was written (zero: Since).
	From time.Time
	// Before are the config hashes the data planes reported before the marker was written;
	// a data plane still on one of them has not received it.
	Before map[string]bool
}

// LagError names the nodes that did not serve the target in time.
type LagError struct {
	Generation int64
	Lagging    []Node
}

func (e *LagError) Error() string {
	names := make([]string, len(e.Lagging))
	for i, n := range e.Lagging {
		names[i] = n.Node
		if n.Detail != "" {
			names[i] += " (" + n.Detail + ")"
		}
	}
	return fmt.Sprintf("%d node(s) do not serve sync marker generation %d yet: %s", len(names), e.Generation, strings.Join(names, "; "))
}

// dataPlane is one row of /clustering/data-planes.
type dataPlane struct {
	ID         string `json:"id"`
	Hostname   string `json:"hostname"`
	ConfigHash string `json:"config_hash"`
	SyncStatus string `json:"sync_status"`
	LastSeen   int64  `json:"last_seen"`
}

func (d dataPlane) name() string { return "data_plane " + d.Hostname + " (" + d.ID + ")" }

// DataPlaneHashes returns the config hashes the control plane's data planes report now (nil
// in traditional mode); taken just before the marker is written, it is Target.Before.
func (w *Waiter) DataPlaneHashes(ctx context.Context) (map[string]bool, error) {
	if w.ControlPlane == nil {
		return nil, nil
	}
	rows, err := w.dataPlanes(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range rows {
		out[r.ConfigHash] = true
	}
	return out, nil
}

func (w *Waiter) dataPlanes(ctx context.Context) ([]dataPlane, error) {
	var all []dataPlane
	var pages admin.Pager
	path := "/clustering/data-planes?size=1000"
	for path != "" {
		var page struct {
			Data []dataPlane `json:"data"`
			Next *string     `json:"next"`
		}
		if err := admin.Do(ctx, w.ControlPlane, http.MethodGet, path, nil, nil, &page); err != nil {
			return nil, fmt.Errorf("read the control plane's /clustering/data-planes: %w", err)
		}
		all = append(all, page.Data...)
		path = ""
		if page.Next != nil && *page.Next != "" {
			if err := pages.Next(*page.Next); err != nil {
				return nil, fmt.Errorf("read the control plane's /clustering/data-planes: %w", err)
			}
			path = *page.Next
		}
	}
	return all, nil
}

// Wait polls until every node serves t or timeout passes; it returns each node's result,
// with a *LagError naming the nodes that lag on timeout.
func (w *Waiter) Wait(ctx context.Context, t Target, timeout time.Duration) ([]Node, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if t.From.IsZero() {
		t.From = t.Since
	}
	interval := w.Interval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	state := map[string]*Node{}
	var order []string
	note := func(name, via string) *Node {
		if n, ok := state[name]; ok {
			return n
		}
		n := &Node{Node: name, Via: via}
		state[name], order = n, append(order, name)
		return n
	}
	for _, p := range w.Proxies {
		note(p, "proxy")
	}
	for {
		w.pollProxies(ctx, t, state)
		if w.ControlPlane != nil {
			if err := w.pollDataPlanes(ctx, t, note); err != nil {
				for _, n := range state {
					if n.Via == "clustering" && !n.Converged {
						n.Detail = err.Error()
					}
				}
			}
		}
		var lagging []Node
		for _, name := range order {
			if n := state[name]; !n.Converged {
				lagging = append(lagging, *n)
			}
		}
		if len(lagging) == 0 && (w.ControlPlane == nil || len(order) > len(w.Proxies)) {
			return collect(state, order), nil
		}
		select {
		case <-ctx.Done():
			if len(lagging) == 0 {
				lagging = append(lagging, Node{Node: "control plane", Via: "clustering", Detail: "lists no data plane"})
			}
			return collect(state, order), &LagError{Generation: t.Generation, Lagging: lagging}
		case <-time.After(interval):
		}
	}
}

func collect(state map[string]*Node, order []string) []Node {
	out := make([]Node, len(order))
	for i, name := range order {
		out[i] = *state[name]
	}
	return out
}

// pollProxies asks every proxy that lags for the marker, concurrently.
func (w *Waiter) pollProxies(ctx context.Context, t Target, state map[string]*Node) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, p := range w.Proxies {
		n := state[p]
		if n.Converged {
			continue
		}
		wg.Go(func() {
			gen, err := w.served(ctx, p)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				n.Detail = err.Error()
			case gen < t.Generation:
				n.Detail = fmt.Sprintf("serves generation %d", gen)
			default:
				n.Converged, n.Detail, n.Seconds = true, "", seconds(t.From)
			}
		})
	}
	wg.Wait()
}

func seconds(since time.Time) float64 {
	return float64(time.Since(since).Milliseconds()) / 1000
}

// served is the generation a proxy answers on the marker's path (0: no marker route yet).
func (w *Waiter) served(ctx context.Context, proxy string) (int64, error) {
	req, err := w.Marker.Request(ctx, proxy)
	if err != nil {
		return 0, err
	}
	hc := w.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, errors.Unwrap(err) // the URL is already the node's name
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode == http.StatusNotFound {
		return 0, nil
	}
	var r Record
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &r) != nil {
		return 0, fmt.Errorf("answers %d, not a sync record", resp.StatusCode)
	}
	return r.Generation, nil
}

// pollDataPlanes reads the control plane's list once. The hash the data planes converged on
// is the one most of them report among those seen after the write and not on an old hash.
func (w *Waiter) pollDataPlanes(ctx context.Context, t Target, note func(name, via string) *Node) error {
	rows, err := w.dataPlanes(ctx)
	if err != nil {
		return err
	}
	votes := map[string]int{}
	fresh := func(r dataPlane) bool {
		return r.SyncStatus == "normal" && r.LastSeen >= t.Since.Unix() && !t.Before[r.ConfigHash]
	}
	for _, r := range rows {
		if fresh(r) {
			votes[r.ConfigHash]++
		}
	}
	current := ""
	for _, h := range slices.Sorted(maps.Keys(votes)) {
		if votes[h] > votes[current] {
			current = h
		}
	}
	for _, r := range rows {
		n := note(r.name(), "clustering")
		if n.Converged {
			continue
		}
		switch {
		case r.SyncStatus != "normal":
			n.Detail = "sync_status " + r.SyncStatus
		case r.LastSeen < t.Since.Unix():
			n.Detail = fmt.Sprintf("last seen %s, before the sync", time.Unix(r.LastSeen, 0).UTC().Format(time.RFC3339))
		case !fresh(r) || r.ConfigHash != current:
			n.Detail = "config_hash " + r.ConfigHash + " is not the current one"
		default:
			n.Converged, n.Detail, n.Seconds = true, "", seconds(t.From)
		}
	}
	return nil
}
