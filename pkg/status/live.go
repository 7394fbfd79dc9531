package status

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/converge"
	"github.com/kongdb/kubectl-kongdb/pkg/engine"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// Live is the Collector over the sync engine: the source and translate give the desired
// state, the Admin API Kong's state and topology, plan the drift, and the sync marker the last
// sync's record. Every probe is bounded by the Admin API timeout and the nodes are asked
// concurrently, so one node down costs one timeout, not one per node.
type Live struct {
	engine *engine.Config
	// urls are the Admin APIs, proxyURLs each one's proxy (by position, may be fewer).
	urls, proxyURLs []string
	source          Source
	proxy           *http.Client

	mu sync.Mutex
	// lagging remembers when each DP was first seen lagging, across refreshes.
	lagging map[string]time.Time
}

// NewLive returns a Live collector over cfg's source, translation and Kong, whose Admin APIs
// are urls and proxies proxyURLs; src names the source before it is read.
func NewLive(cfg *engine.Config, urls, proxyURLs []string, src Source) *Live {
	cfg.Kong.Endpoints = admin.StaticEndpoints(urls)
	return &Live{engine: cfg, urls: urls, proxyURLs: proxyURLs, source: src,
		proxy: &http.Client{Timeout: cfg.Kong.Config.Timeout}, lagging: map[string]time.Time{}}
}

// desired is the outcome of reading and translating the source.
type desired struct {
	state *kongstate.State
	diags translate.Diagnostics
	err   error
}

// Collect takes one observation; what cannot be reached is said inside the Report.
func (c *Live) Collect(ctx context.Context) (*Report, error) {
	r := &Report{ObservedAt: time.Now().UTC(), Source: c.source}
	cluster, kongErr := c.engine.Connect(ctx)
	r.Kong.AdminURL = c.urls[0]
	if kongErr != nil {
		r.Kong.Error = kongErr.Error()
		for _, u := range c.urls {
			r.Nodes = append(r.Nodes, Node{Name: u, AdminURL: u, Down: true, ServesMarker: ServingNo, Error: "did not answer"})
		}
	} else {
		r.Kong.Reachable = true
		r.Kong.AdminURL = cluster.Nodes[0].URL
	}

	var want desired
	var wg sync.WaitGroup
	wg.Go(func() { want = c.desired(ctx, cluster) })
	var record *converge.Record
	if cluster != nil {
		marker := converge.Marker{OwnershipTag: c.engine.Kong.OwnershipTag, Workspace: c.engine.Kong.Workspace}
		var err error
		record, err = marker.Read(ctx, cluster.Nodes[0].Client)
		if err != nil {
			r.Problems = append(r.Problems, Problem{Phase: PhaseSync, Severity: "warning", Error: err.Error()})
		}
		c.topology(ctx, r, cluster, marker, record)
	}
	wg.Wait()

	if want.err != nil {
		r.Source.Error = want.err.Error()
	} else {
		r.Source.Reachable = true
		r.Problems = append(problemsOf(want.diags), r.Problems...)
	}
	if record != nil {
		r.LastSync = c.syncRecord(r, record)
	}
	if want.err == nil && cluster != nil {
		d, err := c.drift(ctx, cluster, want.state)
		if err != nil {
			r.Kong.Error = "drift: " + err.Error()
		}
		r.Drift = d
	}
	return r, nil
}

// desired reads the Kubernetes objects and translates them as sync would.
func (c *Live) desired(ctx context.Context, cluster *admin.Cluster) desired {
	snap, err := c.engine.Source.Read(ctx)
	if err != nil {
		return desired{err: err}
	}
	version := ""
	if cluster != nil {
		version = cluster.Nodes[0].Version
	}
	state, diags := translate.Translate(snap, engine.TranslateOptions(c.engine.Translate, version))
	return desired{state: state, diags: diags}
}

// drift reads Kong's owned entities and plans against the desired state, without writing.
func (c *Live) drift(ctx context.Context, cluster *admin.Cluster, want *kongstate.State) (*Drift, error) {
	schemas := &admin.Schemas{Dir: c.engine.Kong.SchemaCacheDir}
	current, _, err := engine.ReadKong(ctx, cluster, c.engine.Kong.OwnershipTag)
	if err != nil {
		return nil, err
	}
	if err := engine.FillDefaults(ctx, cluster, schemas, cluster.Nodes[0].Version, want); err != nil {
		return nil, err
	}
	p, err := plan.Build(want, current, plan.Options{OwnershipTag: c.engine.Kong.OwnershipTag, Workspace: c.engine.Kong.Workspace,
		AllowDeletes: false, NoDeleteReason: "status never deletes"})
	if err != nil {
		return nil, err
	}
	apply.FindConflicts(ctx, apply.NewPool(cluster.Nodes), p, 0)
	nd, err := plan.Count(want, c.engine.Kong.OwnershipTag)
	if err != nil {
		return nil, err
	}
	na, err := plan.Count(current, c.engine.Kong.OwnershipTag)
	if err != nil {
		return nil, err
	}
	return driftOf(p, nd, na), nil
}

// nodeStatus is what a node's /status says, and how long it took to say it.
type nodeStatus struct {
	admin.NodeStatus
	latency time.Duration
	err     error
}

// topology fills the nodes (traditional) or the control and data planes (hybrid).
func (c *Live) topology(ctx context.Context, r *Report, cluster *admin.Cluster, m converge.Marker, rec *converge.Record) {
	live := map[string]*admin.Node{}
	for _, n := range cluster.Nodes {
		live[n.URL] = n
	}
	st := make([]nodeStatus, len(c.urls))
	serves := make([]Serving, len(c.urls))
	var wg sync.WaitGroup
	for i, u := range c.urls {
		n := live[u]
		if n == nil {
			continue
		}
		wg.Go(func() {
			start := time.Now()
			got, err := admin.ReadNodeStatus(ctx, n.Client)
			if got != nil {
				st[i].NodeStatus = *got
			}
			st[i].err = err
			st[i].latency = time.Since(start)
			serves[i] = c.servesMarker(ctx, i, m, rec)
		})
	}
	wg.Wait()
	hybrid := cluster.Nodes[0].Role == admin.RoleControlPlane
	if hybrid {
		r.Kong.Mode = ModeHybrid
	} else {
		r.Kong.Mode = ModeTraditional
	}
	reportedHash := ""
	for i, u := range c.urls {
		n := live[u]
		var node Node
		switch {
		case n == nil:
			node = Node{Name: u, AdminURL: u, Down: true, ServesMarker: ServingNo, Error: errString(cluster.Unreachable[u])}
		case st[i].err != nil:
			node = Node{Name: n.Hostname, AdminURL: u, Hostname: n.Hostname, Version: n.Version,
				AdminLatency: Duration(st[i].latency), Down: true, ServesMarker: ServingNo, Error: st[i].err.Error()}
		default:
			node = Node{Name: n.Hostname, AdminURL: u, Hostname: n.Hostname, Version: n.Version,
				DatabaseReachable: st[i].Database.Reachable, AdminLatency: Duration(st[i].latency), ServesMarker: serves[i]}
		}
		if !hybrid {
			r.Nodes = append(r.Nodes, node)
			continue
		}
		cp := ControlPlane{Hostname: node.Hostname, AdminURL: u, Version: node.Version, Latency: node.AdminLatency,
			Down: node.Down, Error: node.Error}
		if n != nil {
			cp.ID = n.NodeID
			if reportedHash == "" {
				reportedHash = st[i].ConfigurationHash
			}
		}
		r.ControlPlanes = append(r.ControlPlanes, cp)
	}
	if hybrid {
		c.dataPlanes(ctx, r, cluster.Nodes[0], reportedHash)
	}
}

// dataPlanes reads the control plane's list of data planes, page by page.
func (c *Live) dataPlanes(ctx context.Context, r *Report, cp *admin.Node, reportedHash string) {
	rows, err := admin.DataPlanes(ctx, cp.Client)
	if err != nil {
		r.Problems = append(r.Problems, Problem{Phase: PhaseSync, Severity: "warning",
			Error: fmt.Sprintf("list the data planes of %s: %v", cp.URL, err)})
		return
	}
	hash := cpHash(reportedHash, rows)
	for i := range r.ControlPlanes {
		if !r.ControlPlanes[i].Down {
			r.ControlPlanes[i].ConfigHash = hash
		}
	}
	c.mu.Lock()
	r.DataPlanes = dataPlanesOf(rows, hash, r.ObservedAt, c.lagging)
	c.mu.Unlock()
}

// servesMarker asks node i's proxy (--kong-proxy-url, by position) for the sync marker and
// compares its generation with the record's.
func (c *Live) servesMarker(ctx context.Context, i int, m converge.Marker, rec *converge.Record) Serving {
	if i >= len(c.proxyURLs) || rec == nil {
		return ServingUnknown
	}
	req, err := m.Request(ctx, c.proxyURLs[i])
	if err != nil {
		return ServingUnknown
	}
	resp, err := c.proxy.Do(req)
	if err != nil {
		return ServingUnknown
	}
	defer resp.Body.Close()
	var got converge.Record
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&got) != nil {
		return ServingNo
	}
	if got.Generation >= rec.Generation {
		return ServingYes
	}
	return ServingNo
}

// syncRecord is the marker's record as status shows it: each node's convergence as sync --wait
// recorded it, or, when the sync did not wait, as observed now.
func (c *Live) syncRecord(r *Report, rec *converge.Record) *SyncRecord {
	s := &SyncRecord{At: rec.Time, From: rec.From, Source: rec.Source, Result: rec.Result, Created: rec.Created,
		Updated: rec.Updated, Deleted: rec.Deleted, Failed: rec.Failed, Duration: Duration(time.Duration(rec.Seconds * float64(time.Second))),
		Waited: len(rec.Convergence) > 0}
	for _, n := range rec.Convergence {
		s.Nodes = append(s.Nodes, NodeConvergence{Node: n.Node, Converged: n.Converged,
			After: Duration(time.Duration(n.Seconds * float64(time.Second))), Error: n.Detail})
	}
	if len(rec.Convergence) == 0 { // a sync without --wait recorded none: show what is served now
		for _, n := range r.Nodes {
			s.Nodes = append(s.Nodes, NodeConvergence{Node: n.Name, Converged: n.ServesMarker == ServingYes, Error: n.Error})
		}
		for _, dp := range r.DataPlanes {
			s.Nodes = append(s.Nodes, NodeConvergence{Node: dp.Hostname, Converged: dp.Converged})
		}
	}
	if rec.Failed > 0 {
		r.Problems = append(r.Problems, Problem{Phase: PhaseSync, Severity: "error",
			Error: fmt.Sprintf("the last sync (%s) failed %d write(s); run sync again to see each one", rec.Time.Format(time.RFC3339), rec.Failed)})
	}
	return s
}

func errString(err error) string {
	if err == nil {
		return "did not answer"
	}
	return err.Error()
}
