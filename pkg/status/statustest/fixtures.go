// Package statustest holds fixed status Reports for tests of everything that draws one (the
// printers, the terminal UI), and a Collector whose answers a test controls. Each fixture is a
// world status must show: hybrid with a lagging DP, traditional with a node down, only Kong
// reachable, only Kubernetes reachable, and a large cluster for benchmarks.
package statustest

import (
	"context"
	"fmt"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
)

// ObservedAt is the observation time of every fixture, so ages print the same on every run.
var ObservedAt = time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := ObservedAt.Add(d); return &t }

func str(s string) *string { return &s }

const (
	cpHash  = "5f1c0d3e9a7b4c2d8e6f0a1b2c3d4e5f"
	oldHash = "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"
)

// Hybrid is a hybrid cluster reached through a kubeconfig context: one CP, three DPs of which
// one lags behind the CP's hash, drift in routes and plugins, and a sync that left one
// failure.
func Hybrid() *status.Report {
	return &status.Report{
		ObservedAt: ObservedAt,
		Source:     status.Source{Kind: status.SourceCluster, Context: "kind-prod", Reachable: true},
		Kong:       status.Kong{Mode: status.ModeHybrid, AdminURL: "https://cp.kong.example:8444", Reachable: true},
		ControlPlanes: []status.ControlPlane{{
			ID: "cp-0", Hostname: "kong-cp-0", AdminURL: "https://cp.kong.example:8444", Version: "3.9.1",
			ConfigHash: cpHash, Latency: status.Duration(12 * time.Millisecond),
		}},
		DataPlanes: []status.DataPlane{
			dp(0, true, nil),
			dp(1, true, nil),
			dp(2, false, at(-42*time.Second)),
		},
		Drift: &status.Drift{
			Types: []status.TypeDrift{
				{Type: "services", Desired: 12, Actual: 12},
				{Type: "routes", Desired: 20, Actual: 19, Missing: 1, Changed: 1},
				{Type: "plugins", Desired: 6, Actual: 7, Extra: 1, Conflicting: 1},
				{Type: "consumers", Desired: 3, Actual: 3},
			},
			Entities: []status.EntityDrift{
				{
					Type: "routes", Name: "default.echo.echo.example.com.80", ID: "3b1f7a0e-1d5c-5e2b-9f3a-7c4d2e1b0a9f",
					Change: status.ChangeChanged, Object: "Ingress default/echo",
					Fields: []status.FieldDiff{
						{Path: "paths[0]", Desired: str(`"/echo"`), Actual: str(`"/echo-old"`)},
						{Path: "strip_path", Desired: str("false"), Actual: str("true")},
					},
				},
				{
					Type: "routes", Name: "shop.cart.api.shop.example.com.443", Change: status.ChangeMissing,
					Object: "HTTPRoute shop/cart",
					Fields: []status.FieldDiff{
						{Path: "hosts", Desired: str(`["api.shop.example.com"]`)},
						{Path: "paths", Desired: str(`["/cart"]`)},
					},
				},
				{
					Type: "plugins", Name: "rate-limiting (route default.echo)", Change: status.ChangeExtra,
					Fields: []status.FieldDiff{{Path: "config.minute", Actual: str("100")}},
				},
				{
					Type: "plugins", Name: "key-auth (service shop.cart)", Change: status.ChangeConflicting,
					Object: "KongPlugin shop/auth",
					Reason: "an untagged plugin with this ID exists; it was not created by kongdb",
					Fields: []status.FieldDiff{{Path: "config.key_names", Desired: str(`["apikey"]`), Actual: str(`["x-key"]`)}},
				},
			},
		},
		Problems: []status.Problem{
			{Phase: status.PhaseTranslate, Severity: "error", Object: "Ingress default/broken",
				Field: "spec.rules[0].http.paths[0].backend.service.port", Error: "service default/missing does not exist"},
			{Phase: status.PhaseSync, Severity: "error", Object: "KongPlugin shop/auth", Entity: "plugin key-auth",
				Error: "HTTP 409: unique constraint violation: plugins {id=\"9a0c\"} already exists"},
		},
		LastSync: &status.SyncRecord{
			At: ObservedAt.Add(-3 * time.Minute), From: "alice@laptop (kongdb v0.3.0)", Source: "context kind-prod",
			Result: "partial", Created: 4, Updated: 2, Deleted: 1, Failed: 1, Duration: status.Duration(1800 * time.Millisecond),
			Waited: true,
			Nodes: []status.NodeConvergence{
				{Node: "kong-dp-0", After: status.Duration(900 * time.Millisecond), Converged: true},
				{Node: "kong-dp-1", After: status.Duration(1200 * time.Millisecond), Converged: true},
				{Node: "kong-dp-2", Error: "hash still 0a9b8c7d6e5f after 30s"},
			},
		},
	}
}

func dp(i int, inSync bool, laggingSince *time.Time) status.DataPlane {
	d := status.DataPlane{
		ID:         fmt.Sprintf("6d2f9b1a-0000-4000-8000-%012d", i),
		Hostname:   fmt.Sprintf("kong-dp-%d", i),
		IP:         fmt.Sprintf("10.0.1.%d", 10+i),
		Version:    "3.9.1",
		SyncStatus: "normal",
		ConfigHash: cpHash,
		MatchesCP:  true,
		LastSeen:   ObservedAt.Add(-time.Duration(3+i) * time.Second),
		CertExpiry: at(29 * 24 * time.Hour),
		Converged:  true,
	}
	if !inSync {
		d.ConfigHash, d.MatchesCP, d.Converged, d.LaggingSince = oldHash, false, false, laggingSince
	}
	return d
}

// Traditional is a three-node traditional cluster read from manifests, with node 2 down and
// node 1 not yet serving the last sync marker; Kong is in sync with the manifests.
func Traditional() *status.Report {
	return &status.Report{
		ObservedAt: ObservedAt,
		Source:     status.Source{Kind: status.SourceManifests, Manifests: []string{"./deploy/kong"}, Reachable: true},
		Kong:       status.Kong{Mode: status.ModeTraditional, AdminURL: "http://127.0.0.1:8001", Reachable: true},
		Nodes: []status.Node{
			{Name: "kong-0", AdminURL: "http://127.0.0.1:8001", Hostname: "kong-0", Version: "3.9.1",
				DatabaseReachable: true, AdminLatency: status.Duration(4 * time.Millisecond), ServesMarker: status.ServingYes},
			{Name: "kong-1", AdminURL: "http://127.0.0.1:8011", Hostname: "kong-1", Version: "3.9.1",
				DatabaseReachable: true, AdminLatency: status.Duration(6 * time.Millisecond), ServesMarker: status.ServingNo},
			{Name: "kong-2", AdminURL: "http://127.0.0.1:8021", ServesMarker: status.ServingUnknown, Down: true,
				Error: "dial tcp 127.0.0.1:8021: connect: connection refused"},
		},
		Drift: &status.Drift{Types: []status.TypeDrift{
			{Type: "services", Desired: 2, Actual: 2},
			{Type: "routes", Desired: 3, Actual: 3},
		}},
		LastSync: &status.SyncRecord{
			At: ObservedAt.Add(-20 * time.Second), From: "ci@runner-7 (kongdb v0.3.0)", Source: "manifests ./deploy/kong",
			Result: "succeeded", Created: 5, Duration: status.Duration(700 * time.Millisecond),
			Waited: true,
			Nodes: []status.NodeConvergence{
				{Node: "kong-0", After: status.Duration(5200 * time.Millisecond), Converged: true},
				{Node: "kong-1", Error: "marker not served after 30s"},
				{Node: "kong-2", Error: "connection refused"},
			},
		},
	}
}

// HybridNotWaited is Hybrid after a sync without --wait: no node's time was measured, only
// whether each data plane serves the sync now (kong-dp-2 does not).
func HybridNotWaited() *status.Report {
	r := Hybrid()
	r.LastSync.Waited = false
	r.LastSync.Nodes = []status.NodeConvergence{
		{Node: "kong-dp-0", Converged: true}, {Node: "kong-dp-1", Converged: true}, {Node: "kong-dp-2"},
	}
	return r
}

// KongOnly is a world where Kong answers but Kubernetes does not: the nodes are known, the
// drift is not.
func KongOnly() *status.Report {
	r := Traditional()
	r.Source = status.Source{Kind: status.SourceCluster, Context: "kind-prod",
		Error: `Get "https://127.0.0.1:6443/api": dial tcp 127.0.0.1:6443: connect: connection refused`}
	r.Drift = nil
	return r
}

// ClusterOnly is a world where Kubernetes answers but Kong does not: the translation's
// problems are known, Kong's nodes, drift and sync record are not.
func ClusterOnly() *status.Report {
	return &status.Report{
		ObservedAt: ObservedAt,
		Source:     status.Source{Kind: status.SourceCluster, Context: "kind-prod", Reachable: true},
		Kong: status.Kong{AdminURL: "http://127.0.0.1:8001",
			Error: `Get "http://127.0.0.1:8001/": dial tcp 127.0.0.1:8001: connect: connection refused`},
		Problems: []status.Problem{
			{Phase: status.PhaseTranslate, Severity: "warning", Object: "Ingress default/legacy",
				Error: "annotation konghq.com/override is not supported by KIC 3.5 and was ignored"},
		},
	}
}

// Large is a hybrid cluster of dps data planes with entities drifted entities, for
// benchmarks of the render and of taking in a new Report.
func Large(dps, entities int) *status.Report {
	r := Hybrid()
	r.DataPlanes = make([]status.DataPlane, dps)
	for i := range r.DataPlanes {
		r.DataPlanes[i] = dp(i, i%10 != 0, at(-time.Duration(i)*time.Second))
	}
	types := []string{"services", "routes", "upstreams", "targets", "plugins", "consumers"}
	r.Drift.Types = r.Drift.Types[:0]
	for _, t := range types {
		r.Drift.Types = append(r.Drift.Types, status.TypeDrift{Type: t, Desired: entities, Actual: entities, Changed: entities / len(types)})
	}
	r.Drift.Entities = make([]status.EntityDrift, entities)
	for i := range r.Drift.Entities {
		r.Drift.Entities[i] = status.EntityDrift{
			Type: types[i%len(types)], Name: fmt.Sprintf("ns-%d.route-%d.host-%d.example.com.80", i%50, i, i),
			Change: status.ChangeChanged, Object: fmt.Sprintf("Ingress ns-%d/app-%d", i%50, i),
			Fields: []status.FieldDiff{{Path: "strip_path", Desired: str("false"), Actual: str("true")}},
		}
	}
	return r
}

// Collector is a status.Collector a test drives: each Collect takes its answer from Answers,
// so a test can hold a refresh for as long as it likes. Calls counts the Collects begun.
type Collector struct {
	Answers chan Answer
	Calls   chan struct{}
}

// Answer is one Collect's result.
type Answer struct {
	Report *status.Report
	Err    error
}

// NewCollector returns a Collector with unbuffered channels: every Collect blocks until the
// test sends an Answer (or the context ends).
func NewCollector() *Collector {
	return &Collector{Answers: make(chan Answer), Calls: make(chan struct{}, 100)}
}

// Collect reports the call and waits for the test's answer.
func (c *Collector) Collect(ctx context.Context) (*status.Report, error) {
	select {
	case c.Calls <- struct{}{}:
	default:
	}
	select {
	case a := <-c.Answers:
		return a.Report, a.Err
	case <-ctx.Done():
		return nil, fmt.Errorf("collect: %w", ctx.Err())
	}
}
