// Package status is the data model of `kubectl kongdb status`: one Report is one observation of
// a Kong cluster and of its drift from what Kubernetes says. A Collector produces Reports; the
// terminal UI (pkg/tui) and the non-interactive printers (Print) only read them, so every
// output of status — the live view, the table, -o wide, -o json|yaml — shows the same data.
//
// Producers fill a Report from what they could reach and say what they could not: a Report
// with Kubernetes unreachable, Kong unreachable or some nodes down is a normal Report, not an
// error. Secrets are redacted by the producer; nothing here sees a credential.
package status

import (
	"time"
)

// Report is one observation of a Kong cluster and of its drift from Kubernetes. It is printed
// as is by -o json|yaml, so its field names are part of the command's output contract.
type Report struct {
	// ObservedAt is when the observation was taken; ages shown (last seen, lagging for) are
	// relative to it, so one Report always prints the same.
	ObservedAt time.Time `json:"observedAt"`
	// Source is where the desired state came from and whether it could be read.
	Source Source `json:"source"`
	// Kong is the Admin API that was asked and whether it answered.
	Kong Kong `json:"kong"`
	// Nodes are the nodes of a traditional-mode cluster (every node is CP and DP).
	Nodes []Node `json:"nodes,omitempty"`
	// ControlPlanes are the CPs of a hybrid-mode cluster.
	ControlPlanes []ControlPlane `json:"controlPlanes,omitempty"`
	// DataPlanes are the DPs a hybrid-mode CP knows (/clustering/data-planes).
	DataPlanes []DataPlane `json:"dataPlanes,omitempty"`
	// Drift compares the desired state with Kong's. It is nil when it could not be computed;
	// DriftUnavailable says why.
	Drift *Drift `json:"drift,omitempty"`
	// Problems are translation diagnostics and the last sync's failures.
	Problems []Problem `json:"problems,omitempty"`
	// LastSync is the record of the last sync, read from Kong itself so every machine sees
	// the same one; nil when Kong holds none (never synced) or could not be read.
	LastSync *SyncRecord `json:"lastSync,omitempty"`
}

// SourceKind says where the desired state was read from.
type SourceKind string

// The kinds of Source.
const (
	SourceCluster   SourceKind = "cluster"
	SourceManifests SourceKind = "manifests"
)

// Source is where the desired state came from.
type Source struct {
	Kind SourceKind `json:"kind"`
	// Context is the kubeconfig context, for SourceCluster.
	Context string `json:"context,omitempty"`
	// Manifests are the files, directories or kustomization read, for SourceManifests.
	Manifests []string `json:"manifests,omitempty"`
	// Reachable is false when Kubernetes (or the manifests) could not be read; Error says why.
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}

// Name is how the source is shown: the context, the manifests, or the kind alone.
func (s Source) Name() string {
	switch {
	case s.Kind == SourceCluster && s.Context != "":
		return "context " + s.Context
	case s.Kind == SourceManifests && len(s.Manifests) > 0:
		name := "manifests " + s.Manifests[0]
		if len(s.Manifests) > 1 {
			name += " (+more)"
		}
		return name
	case s.Kind == "":
		return "unknown source"
	}
	return string(s.Kind)
}

// Mode is Kong's deployment topology.
type Mode string

// The modes of Kong; ModeUnknown when Kong could not be asked.
const (
	ModeUnknown     Mode = ""
	ModeTraditional Mode = "traditional"
	ModeHybrid      Mode = "hybrid"
)

// Kong is the Admin API status asked.
type Kong struct {
	Mode Mode `json:"mode"`
	// AdminURL is the Admin API that was asked (a CP's in hybrid mode).
	AdminURL  string `json:"adminURL,omitempty"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}

// Serving says whether a node serves the last sync marker. Unknown is its own value because a
// node that could not be probed is neither converged nor proven stale.
type Serving string

// The values of Serving.
const (
	ServingYes     Serving = "yes"
	ServingNo      Serving = "no"
	ServingUnknown Serving = "unknown"
)

// Node is one node of a traditional-mode cluster.
type Node struct {
	Name     string `json:"name"`
	AdminURL string `json:"adminURL,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	Version  string `json:"version,omitempty"`
	// DatabaseReachable is the node's own view of PostgreSQL (/status database.reachable).
	DatabaseReachable bool     `json:"databaseReachable"`
	AdminLatency      Duration `json:"adminLatency,omitempty"`
	// ServesMarker is whether the node's proxy serves the last sync marker.
	ServesMarker Serving `json:"servesMarker"`
	// Down is true when the node did not answer; Error says how it failed.
	Down  bool   `json:"down,omitempty"`
	Error string `json:"error,omitempty"`
}

// ControlPlane is one control plane of a hybrid-mode cluster.
type ControlPlane struct {
	ID         string   `json:"id,omitempty"`
	Hostname   string   `json:"hostname,omitempty"`
	AdminURL   string   `json:"adminURL,omitempty"`
	Version    string   `json:"version,omitempty"`
	ConfigHash string   `json:"configHash,omitempty"`
	Latency    Duration `json:"adminLatency,omitempty"`
	Down       bool     `json:"down,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// DataPlane is one data plane as its control plane reports it.
type DataPlane struct {
	ID       string `json:"id"`
	Hostname string `json:"hostname,omitempty"`
	IP       string `json:"ip,omitempty"`
	Version  string `json:"version,omitempty"`
	// SyncStatus is Kong's own sync_status (normal, kong_version_incompatible, ...).
	SyncStatus string `json:"syncStatus,omitempty"`
	ConfigHash string `json:"configHash,omitempty"`
	// MatchesCP is true when ConfigHash is the CP's current hash.
	MatchesCP bool `json:"matchesCP"`
	// LaggingSince is when the DP was first seen with a hash other than the CP's.
	LaggingSince *time.Time `json:"laggingSince,omitempty"`
	LastSeen     time.Time  `json:"lastSeen"`
	// CertExpiry is when the DP's cluster certificate expires, when known.
	CertExpiry *time.Time `json:"certExpiry,omitempty"`
	// Converged is true when the DP serves the last sync.
	Converged bool `json:"converged"`
}

// Problem is one thing that kept part of Kubernetes out of Kong: a translation diagnostic or a
// failed write of the last sync.
type Problem struct {
	Phase Phase `json:"phase"`
	// Severity is "error" (something was left out) or "warning".
	Severity string `json:"severity,omitempty"`
	// Object is the Kubernetes object, "Kind namespace/name".
	Object string `json:"object,omitempty"`
	// Field is the offending field of Object, when known.
	Field string `json:"field,omitempty"`
	// Entity is the Kong entity, "route name", when one was involved.
	Entity string `json:"entity,omitempty"`
	// Error is the reason: the diagnostic or Kong's own error message.
	Error string `json:"error"`
}

// Phase is where a Problem arose.
type Phase string

// The phases of Problem.
const (
	PhaseTranslate Phase = "translate"
	PhaseSync      Phase = "sync"
)

// SyncRecord is what the last sync left in Kong.
type SyncRecord struct {
	At time.Time `json:"at"`
	// From says who synced: host, user and tool version as the sync recorded them.
	From string `json:"from,omitempty"`
	// Source is the desired state synced (a context or manifests).
	Source string `json:"source,omitempty"`
	// Result is "succeeded", "partial" or "failed".
	Result   string   `json:"result"`
	Created  int      `json:"created"`
	Updated  int      `json:"updated"`
	Deleted  int      `json:"deleted"`
	Failed   int      `json:"failed"`
	Duration Duration `json:"duration,omitempty"`
	// Waited is true when the sync ran with --wait and recorded how long each node took to
	// serve it. When it is false nothing was measured: Nodes say only whether each node serves
	// the sync now, as this observation found them, and no After.
	Waited bool `json:"waited"`
	// Nodes are the per-node (or per-DP) convergence times of that sync, or, without Waited,
	// whether each serves it now.
	Nodes []NodeConvergence `json:"nodes,omitempty"`
}

// NodeConvergence is how long one node took to serve a sync.
type NodeConvergence struct {
	Node string `json:"node"`
	// After is the time from the marker's write until the node served it; zero with
	// Converged false when it never did within the sync's wait.
	After     Duration `json:"after,omitempty"`
	Converged bool     `json:"converged"`
	Error     string   `json:"error,omitempty"`
}

// Diverged is the --exit-code predicate: true when Kong differs from the desired state or some
// node or data plane does not serve the last sync (down nodes included: they serve nothing).
// Drift that could not be computed is not divergence; the caller reports that failure itself.
func (r *Report) Diverged() bool {
	if r.Drift != nil && r.Drift.Total().Drifted() > 0 {
		return true
	}
	for _, n := range r.Nodes {
		if n.Down || n.ServesMarker == ServingNo {
			return true
		}
	}
	for _, dp := range r.DataPlanes {
		if !dp.Converged {
			return true
		}
	}
	return false
}

// DriftUnavailable says why Drift is nil ("" when it is not): the side that could not be read.
func (r *Report) DriftUnavailable() string {
	if r.Drift != nil {
		return ""
	}
	switch {
	case !r.Source.Reachable && !r.Kong.Reachable:
		return "neither Kubernetes nor Kong could be read, so there is nothing to compare"
	case !r.Source.Reachable:
		return "Kubernetes could not be read" + because(r.Source.Error) + ", so the desired state is unknown"
	case !r.Kong.Reachable:
		return "Kong could not be read" + because(r.Kong.Error) + ", so its state is unknown"
	}
	return "drift was not computed"
}

func because(err string) string {
	if err == "" {
		return ""
	}
	return " (" + err + ")"
}
