package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/converge"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// statusCollector is status's Collector over the sync engine: the source and translate give
// the desired state, the Admin API Kong's state and topology, plan the drift, and the sync
// marker the last sync's record. Every probe is bounded by --kong-admin-timeout and the nodes
// are asked concurrently, so one node down costs one timeout, not one per node.
type statusCollector struct {
	f         Factory
	source    SourceFlags
	kong      KongFlags
	proxyURLs []string
	stdin     io.Reader
	proxy     *http.Client

	mu sync.Mutex
	// lagging remembers when each DP was first seen lagging, across refreshes.
	lagging map[string]time.Time
}

func newCollector(f Factory, src SourceFlags, k KongFlags, proxyURLs []string, stdin io.Reader) *statusCollector {
	return &statusCollector{f: f, source: src, kong: k, proxyURLs: proxyURLs, stdin: stdin,
		proxy: &http.Client{Timeout: k.Timeout}, lagging: map[string]time.Time{}}
}

// desired is the outcome of reading and translating the source.
type desired struct {
	state *kongstate.State
	diags translate.Diagnostics
	err   error
}

// Collect takes one observation; what cannot be reached is said inside the Report.
func (c *statusCollector) Collect(ctx context.Context) (*status.Report, error) {
	r := &status.Report{ObservedAt: time.Now().UTC(), Source: c.sourceOf()}
	cfg := c.kong.Config()
	cluster, kongErr := admin.Connect(ctx, cfg, admin.StaticEndpoints(c.kong.URLs))
	r.Kong.AdminURL = c.kong.URLs[0]
	if kongErr != nil {
		r.Kong.Error = kongErr.Error()
		for _, u := range c.kong.URLs {
			r.Nodes = append(r.Nodes, status.Node{Name: u, AdminURL: u, Down: true, ServesMarker: status.ServingNo, Error: "did not answer"})
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
		marker := converge.Marker{OwnershipTag: c.kong.OwnershipTag, Workspace: c.kong.Workspace}
		var err error
		record, err = marker.Read(ctx, cluster.Nodes[0].Client)
		if err != nil {
			r.Problems = append(r.Problems, status.Problem{Phase: status.PhaseSync, Severity: "warning", Error: err.Error()})
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
func (c *statusCollector) desired(ctx context.Context, cluster *admin.Cluster) desired {
	snap, err := readSource(ctx, c.f, &c.source, c.stdin)
	if err != nil {
		return desired{err: err}
	}
	version := ""
	if cluster != nil {
		version = cluster.Nodes[0].Version
	}
	state, diags := translate.Translate(snap, translateOptions(&c.source, &c.kong, version))
	return desired{state: state, diags: diags}
}

// drift reads Kong's owned entities and plans against the desired state, without writing.
func (c *statusCollector) drift(ctx context.Context, cluster *admin.Cluster, want *kongstate.State) (*status.Drift, error) {
	schemas := &admin.Schemas{Dir: c.kong.SchemaCacheDir}
	current, _, err := readKong(ctx, cluster, c.kong.OwnershipTag)
	if err != nil {
		return nil, err
	}
	if err := fillDefaults(ctx, cluster, schemas, cluster.Nodes[0].Version, want); err != nil {
		return nil, err
	}
	p, err := plan.Build(want, current, plan.Options{OwnershipTag: c.kong.OwnershipTag, Workspace: c.kong.Workspace,
		AllowDeletes: false, NoDeleteReason: "status never deletes"})
	if err != nil {
		return nil, err
	}
	apply.FindConflicts(ctx, apply.NewPool(cluster.Nodes), p, 0)
	nd, err := plan.Count(want, c.kong.OwnershipTag)
	if err != nil {
		return nil, err
	}
	na, err := plan.Count(current, c.kong.OwnershipTag)
	if err != nil {
		return nil, err
	}
	return driftOf(p, nd, na), nil
}

// nodeStatus is what a node's /status says, and how long it took to say it.
type nodeStatus struct {
	Database struct {
		Reachable bool `json:"reachable"`
	} `json:"database"`
	ConfigurationHash string `json:"configuration_hash"`
	latency           time.Duration
	err               error
}

// topology fills the nodes (traditional) or the control and data planes (hybrid).
func (c *statusCollector) topology(ctx context.Context, r *status.Report, cluster *admin.Cluster, m converge.Marker, rec *converge.Record) {
	live := map[string]*admin.Node{}
	for _, n := range cluster.Nodes {
		live[n.URL] = n
	}
	st := make([]nodeStatus, len(c.kong.URLs))
	serves := make([]status.Serving, len(c.kong.URLs))
	var wg sync.WaitGroup
	for i, u := range c.kong.URLs {
		n := live[u]
		if n == nil {
			continue
		}
		wg.Go(func() {
			start := time.Now()
			st[i].err = admin.Do(ctx, n.Client, http.MethodGet, "/status", nil, nil, &st[i])
			st[i].latency = time.Since(start)
			serves[i] = c.servesMarker(ctx, i, m, rec)
		})
	}
	wg.Wait()
	hybrid := cluster.Nodes[0].Role == admin.RoleControlPlane
	if hybrid {
		r.Kong.Mode = status.ModeHybrid
	} else {
		r.Kong.Mode = status.ModeTraditional
	}
	reportedHash := ""
	for i, u := range c.kong.URLs {
		n := live[u]
		var node status.Node
		switch {
		case n == nil:
			node = status.Node{Name: u, AdminURL: u, Down: true, ServesMarker: status.ServingNo, Error: errString(cluster.Unreachable[u])}
		case st[i].err != nil:
			node = status.Node{Name: n.Hostname, AdminURL: u, Hostname: n.Hostname, Version: n.Version,
				AdminLatency: status.Duration(st[i].latency), Down: true, ServesMarker: status.ServingNo, Error: st[i].err.Error()}
		default:
			node = status.Node{Name: n.Hostname, AdminURL: u, Hostname: n.Hostname, Version: n.Version,
				DatabaseReachable: st[i].Database.Reachable, AdminLatency: status.Duration(st[i].latency), ServesMarker: serves[i]}
		}
		if !hybrid {
			r.Nodes = append(r.Nodes, node)
			continue
		}
		cp := status.ControlPlane{Hostname: node.Hostname, AdminURL: u, Version: node.Version, Latency: node.AdminLatency,
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
func (c *statusCollector) dataPlanes(ctx context.Context, r *status.Report, cp *admin.Node, reportedHash string) {
	var rows []dataPlaneRow
	offset := ""
	for {
		var page struct {
			Data   []dataPlaneRow `json:"data"`
			Offset string         `json:"offset"`
		}
		q := url.Values{"size": {"1000"}}
		if offset != "" {
			q.Set("offset", offset)
		}
		if err := admin.Do(ctx, cp.Client, http.MethodGet, "/clustering/data-planes?"+q.Encode(), nil, nil, &page); err != nil {
			r.Problems = append(r.Problems, status.Problem{Phase: status.PhaseSync, Severity: "warning",
				Error: fmt.Sprintf("list the data planes of %s: %v", cp.URL, err)})
			return
		}
		rows = append(rows, page.Data...)
		if offset = page.Offset; offset == "" {
			break
		}
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
func (c *statusCollector) servesMarker(ctx context.Context, i int, m converge.Marker, rec *converge.Record) status.Serving {
	if i >= len(c.proxyURLs) || rec == nil {
		return status.ServingUnknown
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.proxyURLs[i], "/")+m.Path(), nil)
	if err != nil {
		return status.ServingUnknown
	}
	resp, err := c.proxy.Do(req)
	if err != nil {
		return status.ServingUnknown
	}
	defer resp.Body.Close()
	var got converge.Record
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&got) != nil {
		return status.ServingNo
	}
	if got.Generation >= rec.Generation {
		return status.ServingYes
	}
	return status.ServingNo
}

// syncRecord is the marker's record as status shows it: each node's convergence as sync --wait
// recorded it, or, when the sync did not wait, as observed now.
func (c *statusCollector) syncRecord(r *status.Report, rec *converge.Record) *status.SyncRecord {
	s := &status.SyncRecord{At: rec.Time, From: rec.From, Source: rec.Source, Result: rec.Result, Created: rec.Created,
		Updated: rec.Updated, Deleted: rec.Deleted, Failed: rec.Failed, Duration: status.Duration(time.Duration(rec.Seconds * float64(time.Second)))}
	for _, n := range rec.Convergence {
		s.Nodes = append(s.Nodes, status.NodeConvergence{Node: n.Node, Converged: n.Converged,
			After: status.Duration(time.Duration(n.Seconds * float64(time.Second))), Error: n.Detail})
	}
	if len(rec.Convergence) == 0 { // a sync without --wait recorded none: show what is served now
		for _, n := range r.Nodes {
			s.Nodes = append(s.Nodes, status.NodeConvergence{Node: n.Name, Converged: n.ServesMarker == status.ServingYes, Error: n.Error})
		}
		for _, dp := range r.DataPlanes {
			s.Nodes = append(s.Nodes, status.NodeConvergence{Node: dp.Hostname, Converged: dp.Converged})
		}
	}
	if rec.Failed > 0 {
		r.Problems = append(r.Problems, status.Problem{Phase: status.PhaseSync, Severity: "error",
			Error: fmt.Sprintf("the last sync (%s) failed %d write(s); run sync again to see each one", rec.Time.Format(time.RFC3339), rec.Failed)})
	}
	return s
}

// sourceOf names the source before it is read.
func (c *statusCollector) sourceOf() status.Source {
	if c.source.fromManifests() {
		m := c.source.Filenames
		if c.source.Kustomize != "" {
			m = []string{c.source.Kustomize}
		}
		return status.Source{Kind: status.SourceManifests, Manifests: m}
	}
	s := status.Source{Kind: status.SourceCluster}
	if cf := c.f.ConfigFlags(); cf != nil {
		if cf.Context != nil && *cf.Context != "" {
			s.Context = *cf.Context
		} else if raw, err := cf.ToRawKubeConfigLoader().RawConfig(); err == nil {
			s.Context = raw.CurrentContext
		}
	}
	return s
}

func errString(err error) string {
	if err == nil {
		return "did not answer"
	}
	return err.Error()
}
