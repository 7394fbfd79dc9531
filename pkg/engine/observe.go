package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// Observation is a computed plan and what it was computed from. Nothing was written to make it.
type Observation struct {
	Plan        *plan.Plan
	Cluster     *admin.Cluster
	Snapshot    *source.Snapshot
	Diagnostics translate.Diagnostics
	// Desired is the translated state filled with Kong's defaults; Options planned it.
	// Replan plans both again against a fresh read of Kong.
	Desired *kongstate.State
	Options plan.Options
	// Notes are the source's notes, those of the read of Kong and how the Admin API was found,
	// in that order.
	Notes []string
	// Read is how long reading took (Kong and the source, concurrently); Planned how long
	// planning took after that.
	Read, Planned time.Duration

	srcNotes  []string
	adminNote string
}

// Observe reads Kong's topology, the Kubernetes objects and Kong's owned entities, fills the
// desired state with Kong's schema defaults and plans. Nothing is written. Kong's entities are
// read while the objects are read and translated, since neither needs the other. beforeRead,
// when set, runs once Kong is connected and before its entities are read.
func (c *Config) Observe(ctx context.Context, beforeRead func(context.Context, *admin.Cluster) error) (*Observation, error) {
	start := time.Now()
	cluster, err := c.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if beforeRead != nil {
		if err := beforeRead(ctx, cluster); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type read struct {
		current *kongstate.State
		notes   []string
		err     error
	}
	kongRead := make(chan read, 1)
	go func() {
		var r read
		r.current, r.notes, r.err = ReadKong(ctx, cluster, c.Kong.OwnershipTag)
		kongRead <- r
	}()
	snap, err := c.Source.Read(ctx)
	if err != nil {
		return nil, err
	}
	version := cluster.Nodes[0].Version
	desired, diags := translate.Translate(snap, TranslateOptions(c.Translate, version))
	schemas := &admin.Schemas{Dir: c.Kong.SchemaCacheDir}
	if err := FillDefaults(ctx, cluster, schemas, version, desired); err != nil {
		return nil, err
	}
	// Desired is flattened for planning while Kong's entities may still be arriving.
	flat := plan.Flatten(desired, c.Kong.OwnershipTag)
	cur := <-kongRead
	if cur.err != nil {
		return nil, cur.err
	}
	ob := &Observation{Cluster: cluster, Snapshot: snap, Diagnostics: diags, Desired: desired,
		Options: c.planOptions(snap), srcNotes: snap.Notes}
	if c.Kong.Nodes != nil {
		ob.adminNote = "kong admin: " + c.Kong.Nodes.Describe()
	}
	return ob, ob.build(flat, cur.current, cur.notes, start)
}

// Connect reaches the Admin APIs and learns each node's role and version.
func (c *Config) Connect(ctx context.Context) (*admin.Cluster, error) {
	cfg := c.Kong.Config
	cfg.Transport = viaNodes(c.Kong.Nodes, c.Kong.Transport)
	return admin.Connect(ctx, cfg, c.Kong.Endpoints)
}

// planOptions are the plan's options for a snapshot: the ownership tag and the delete rules.
func (c *Config) planOptions(snap *source.Snapshot) plan.Options {
	opts := plan.Options{OwnershipTag: c.Kong.OwnershipTag, Workspace: c.Kong.Workspace, AllowDeletes: true}
	switch {
	case !snap.Complete:
		opts.AllowDeletes = false
		opts.NoDeleteReason = "some Kubernetes objects could not be read in full: nothing is deleted"
	case c.Scope.FromManifests && !c.Scope.Prune:
		opts.AllowDeletes = false
		opts.NoDeleteReason = "not in the manifests; --prune deletes it"
	case !c.Scope.FromManifests && c.Scope.Namespace != "":
		ns := "k8s-namespace:" + c.Scope.Namespace
		opts.MayDelete = func(tags []string) bool { return slices.Contains(tags, ns) }
	}
	return opts
}

// Replan reads Kong's owned entities again and plans the same desired state against them.
func (ob *Observation) Replan(ctx context.Context) (*Observation, error) {
	start := time.Now()
	tag := ob.Options.OwnershipTag
	current, notes, err := ReadKong(ctx, ob.Cluster, tag)
	if err != nil {
		return nil, err
	}
	next := *ob
	return &next, next.build(plan.Flatten(next.Desired, tag), current, notes, start)
}

// build plans ob's desired state, flattened as flat, against current, read since start.
func (ob *Observation) build(flat *plan.Desired, current *kongstate.State, readNotes []string, start time.Time) error {
	readDone := time.Now()
	p, err := plan.BuildDesired(flat, current, ob.Options)
	if err != nil {
		return err
	}
	ob.Plan = p
	ob.Notes = append(slices.Clip(ob.srcNotes), readNotes...)
	if ob.adminNote != "" {
		ob.Notes = append(ob.Notes, ob.adminNote)
	}
	ob.Read, ob.Planned = readDone.Sub(start), time.Since(readDone)
	return nil
}

// TranslateOptions are opts for a Kong of version ("" keeps translate's default version).
func TranslateOptions(opts translate.Options, version string) translate.Options {
	if v := semverOf(version); v != "" {
		opts.KongVersion = v
	}
	return opts
}

// ReadKong reads the owned entities through the first node that answers: a node that breaks
// mid-read hands over to the next.
func ReadKong(ctx context.Context, cl *admin.Cluster, tag string) (*kongstate.State, []string, error) {
	var current *kongstate.State
	var notes []string
	err := OnAnyNode(ctx, cl, func(c *kong.Client) (err error) {
		current, notes, err = admin.ReadState(ctx, c, admin.ReadOptions{Tag: tag})
		return err
	})
	return current, notes, err
}

// FillDefaults fills desired with Kong's schema defaults, through the first node that answers.
func FillDefaults(ctx context.Context, cl *admin.Cluster, schemas *admin.Schemas, version string, desired *kongstate.State) error {
	return OnAnyNode(ctx, cl, func(c *kong.Client) error { return schemas.FillDefaults(ctx, c, version, desired) })
}

// OnAnyNode runs do with each node's client in turn until one does not fail for want of the
// node: Kong's own answer (an *admin.Error) or the end of ctx ends the turn.
func OnAnyNode(ctx context.Context, cl *admin.Cluster, do func(*kong.Client) error) error {
	var errs []error
	for _, n := range cl.Nodes {
		err := do(n.Client)
		if err == nil {
			return nil
		}
		var apiErr *admin.Error
		if errors.As(err, &apiErr) || ctx.Err() != nil {
			return fmt.Errorf("kong at %s: %w", n.URL, admin.ExplainServerError(ctx, n.Client, err))
		}
		errs = append(errs, fmt.Errorf("kong at %s: %w", n.URL, err))
	}
	return errors.Join(errs...)
}

// semverOf is the x.y.z of a Kong version such as "3.9.1" or "3.9.0.0-enterprise".
func semverOf(v string) string {
	var a, b, c int
	if n, _ := fmt.Sscanf(v, "%d.%d.%d", &a, &b, &c); n == 3 {
		return fmt.Sprintf("%d.%d.%d", a, b, c)
	}
	return ""
}
