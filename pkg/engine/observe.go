package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/internal/redact"
	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/preflight"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
	"github.com/kongdb/kubectl-kongdb/pkg/validate"
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
	// Refused are the entities Kong would refuse for a reason known before writing
	// (pkg/preflight); their ops in Plan carry it, are not sent, and skip their dependents.
	Refused []preflight.Finding
	// Preflight are the problems a sync's --preflight found before writing (validate.Kong);
	// their ops carry Refused too.
	Preflight []validate.Problem

	srcNotes  []string
	adminNote string
	schemas   *admin.Schemas
	version   string
}

// Observe reads Kong's topology, the Kubernetes objects and Kong's owned entities, fills the
// desired state with Kong's schema defaults and plans. Nothing is written. Kong's entities are
// read while the objects are read and translated, since neither needs the other. beforeRead,
// when set, runs once Kong is connected and before its entities are read.
func (c *Config) Observe(ctx context.Context, beforeRead func(context.Context, *admin.Cluster) error) (*Observation, error) {
	start := time.Now()
	// Checked here too, not only by the flags: a library caller (the watch) gets the same rule.
	if err := admin.ValidateTag(c.Kong.OwnershipTag); err != nil {
		return nil, err
	}
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
	editionNotes := withoutEnterprise(cluster, desired)
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
		Options: c.planOptions(snap, diags), srcNotes: append(slices.Clip(snap.Notes), editionNotes...),
		schemas: schemas, version: version}
	if c.Kong.Config.Warn == nil && c.Note == nil {
		ob.srcNotes = append(ob.srcNotes, cluster.Warnings...) // nobody heard them as they came
	}
	// Which config fields of each plugin are credentials, by Kong's schema, on both sides: a
	// plugin only Kong has (a delete) is printed from Kong's values alone.
	names := append(desired.PluginNames(), cur.current.PluginNames()...)
	if err := OnAnyNode(ctx, cluster, func(kc *kong.Client) (err error) {
		ob.Options.SecretConfig, err = schemas.PluginSecretFields(ctx, kc, version, names)
		return err
	}); err != nil {
		return nil, err
	}
	if c.Kong.Nodes != nil {
		ob.adminNote = "kong admin: " + c.Kong.Nodes.Describe()
	}
	if err := ob.build(flat, cur.current, cur.notes, start); err != nil {
		return nil, err
	}
	ob.preflight(ctx, schemas, version)
	return ob, nil
}

// Connect reaches the Admin APIs and learns each node's role and version.
func (c *Config) Connect(ctx context.Context) (*admin.Cluster, error) {
	cfg := c.Kong.Config
	cfg.Transport = viaNodes(c.Kong.Nodes, c.Kong.Transport)
	if cfg.Warn == nil {
		cfg.Warn = c.Note // the token over plain HTTP is said before it is sent
	}
	return admin.Connect(ctx, cfg, c.Kong.Endpoints)
}

// planOptions are the plan's options for a snapshot and its diagnostics: the ownership tag,
// the delete rules, and the entities frozen because their object failed translation.
func (c *Config) planOptions(snap *source.Snapshot, diags translate.Diagnostics) plan.Options {
	opts := plan.Options{OwnershipTag: c.Kong.OwnershipTag, Workspace: c.Kong.Workspace, AllowDeletes: true,
		Frozen: frozen(diags)}
	switch {
	case !snap.Complete:
		opts.AllowDeletes = false
		opts.NoDeleteReason = "some Kubernetes objects could not be read in full: nothing is deleted"
	case c.Scope.FromManifests && !c.Scope.Prune:
		opts.AllowDeletes = false
		opts.NoDeleteReason = "not in the manifests; --prune deletes it"
	case c.Scope.Namespace != "" || snap.Selector != "":
		opts.MayDelete = func(tags []string) bool { return inScope(c.Scope.Namespace, snap, plan.ObjectOf(tags)) }
	}
	return opts
}

// inScope reports whether an owned entity from obj is this sync's to delete: its object is in
// the namespace read (when one was) and, with a label selector, gone or matching it. An entity
// that names no object is never in a narrowed scope.
func inScope(namespace string, snap *source.Snapshot, obj *plan.Object) bool {
	if obj == nil {
		return false
	}
	if namespace != "" && obj.Namespace != namespace {
		return false
	}
	return snap.InScope(source.ObjectRef{Kind: obj.Kind, Namespace: obj.Namespace, Name: obj.Name})
}

// frozen says, for an entity's tags, why it must not be written: the Kubernetes object it comes
// from failed translation, so Kong keeps what it has from it (the last good configuration).
func frozen(diags translate.Diagnostics) func(tags []string) string {
	failed := map[source.ObjectRef]string{}
	for _, d := range diags.Errors() {
		ref := source.ObjectRef{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name}
		if _, seen := failed[ref]; !seen {
			failed[ref] = fmt.Sprintf("%s failed translation (%s): Kong keeps its last good configuration", d.Object(), d.Reason)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return func(tags []string) string {
		obj := plan.ObjectOf(tags)
		if obj == nil {
			return ""
		}
		return failed[source.ObjectRef{Kind: obj.Kind, Namespace: obj.Namespace, Name: obj.Name}]
	}
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
	if err := next.build(plan.Flatten(next.Desired, tag), current, notes, start); err != nil {
		return nil, err
	}
	next.preflight(ctx, next.schemas, next.version)
	return &next, nil
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
	ob.Notes = redact.All(ob.Notes) // printed and logged: no URL's password or token
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
