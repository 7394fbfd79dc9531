// Package engine is the sync pipeline as a library: read the Kubernetes objects, translate them,
// read Kong's owned entities, fill Kong's schema defaults, plan, take the lock, apply, write the
// sync marker and, when asked, wait until every node serves it. `sync`, `diff` and `status` are
// thin commands over it, and the watch mode runs the same RunOnce in a loop, so one engine serves
// a run once and a run forever (external-dns's Controller.RunOnce/Run).
//
// Nothing here prints: what a caller shows comes back in Observation and Result, and what happens
// while a run goes on (a note, a node converging) reaches the caller's hooks.
package engine

import (
	"context"
	"net/http"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/redact"
	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/discovery"
	"github.com/kongdb/kubectl-kongdb/pkg/lock"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// Source is where one sync's Kubernetes objects come from: manifests, a read of a live cluster,
// or an informer cache in watch mode.
type Source interface {
	// Read returns the objects; a Snapshot that is not Complete forbids deletes.
	Read(ctx context.Context) (*source.Snapshot, error)
	// Describe names the source in reports and the sync's record.
	Describe() string
}

// Kong is where Kong's Admin API is and how the entities this tool owns are told apart.
type Kong struct {
	// Config is the clients' TLS, token, headers, workspace and timeout.
	Config admin.Config
	// Endpoints are the Admin APIs; Nodes is set when they were discovered from a Service, and
	// then also supplies the transport (directly or through the API server) and a note.
	Endpoints admin.Endpoints
	Nodes     *discovery.Nodes
	// Transport, when set, wraps the Admin API transport (tests count requests through it).
	Transport func(http.RoundTripper) http.RoundTripper
	// OwnershipTag marks the entities this tool owns; Workspace is Kong's (Enterprise).
	OwnershipTag string
	Workspace    string
	// SchemaCacheDir caches Kong's /schemas per Kong version; "" disables the cache.
	SchemaCacheDir string
}

// Scope says which owned entities a plan may delete: the ones whose Kubernetes objects were in
// what the source read and are gone from it.
type Scope struct {
	// FromManifests is true when the source is manifests: only Prune lets them delete.
	FromManifests bool
	Prune         bool
	// Namespace limits deletes to entities from one namespace; "" is every namespace.
	Namespace string
}

// Budget is the most deletes one sync may make, unless Force.
type Budget struct {
	// Max is a share ("30%") or a count ("50") of the owned entities; see ParseMaxDelete.
	Max   string
	Force bool
}

// Config is everything one sync needs.
type Config struct {
	Source    Source
	Kong      Kong
	Translate translate.Options
	Scope     Scope
	Budget    Budget
	// Concurrency is the number of Admin API requests in flight at once.
	Concurrency int
	// DryRun plans and looks for conflicts, and writes nothing.
	DryRun bool
	// Preflight is what a writing sync does with validate's checks of its plan before it
	// writes; "" is PreflightOff (a library caller opts in).
	Preflight PreflightMode
	// Lease, when set, is taken before anything is read (a cluster source); otherwise a
	// marker in Kong is taken only when there is something to write. Timeout bounds the wait.
	Lease       lock.Locker
	LockTimeout time.Duration
	// Wait, when positive, builds the convergence barrier before anything is written; the
	// caller waits with Result.Wait. Proxies are the nodes' proxies it polls; ProxyNodes,
	// when set, adds the ready endpoints of a proxy Service.
	Wait       time.Duration
	Proxies    []string
	ProxyNodes *discovery.Nodes
	ProxyHTTP  *http.Client
	// SyncedBy names who syncs, for the record.
	SyncedBy string
	// Started is when the sync began, for the record's duration; zero means RunOnce's start.
	Started time.Time

	// Note receives what the run learns as it goes ("kong proxy: ..."); nil drops it.
	Note func(string)
	// Progress is called with each op's result as it completes; nil for none.
	Progress func(total int) func(apply.Result)
}

func (c *Config) note(s string) {
	if c.Note != nil {
		c.Note(redact.URLs(s))
	}
}
