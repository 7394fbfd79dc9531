package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// planInput is what sync and diff share: where the objects come from, where Kong is, and
// whether deletes are allowed.
type planInput struct {
	source SourceFlags
	kong   KongFlags
	prune  bool
	// transport wraps the Admin API transport (tests count requests through it).
	transport func(http.RoundTripper) http.RoundTripper
	// beforeRead, when set, runs once Kong is connected and before its entities are read
	// (sync from manifests peeks at its lock there).
	beforeRead func(context.Context, *admin.Cluster) error
}

// planned is a computed plan and what it was computed from.
type planned struct {
	plan     *plan.Plan
	cluster  *admin.Cluster
	diags    translate.Diagnostics
	complete bool
	notes    []string
	// desired is the translated state, filled with Kong's defaults; opts plans it. Planning
	// again against a fresh read of Kong (replan) reuses both.
	desired *kongstate.State
	opts    plan.Options
	// srcNotes are the source's notes, adminNote how Kong's Admin API was found ("" when
	// given); a plan's notes hold them around those of its read of Kong.
	srcNotes  []string
	adminNote string
	read, dur time.Duration
}

// computePlan reads Kong's topology, the Kubernetes objects and Kong's owned entities, fills
// the desired state with Kong's schema defaults and plans. Nothing is written. Kong's entities
// are read while the objects are read and translated, since neither needs the other.
func computePlan(ctx context.Context, f Factory, in *planInput, stdin io.Reader) (*planned, error) {
	start := time.Now()
	cfg := in.kong.Config()
	eps, nodes, err := in.kong.adminEndpoints(f)
	if err != nil {
		return nil, err
	}
	cfg.Transport = viaNodes(nodes, in.transport)
	cluster, err := admin.Connect(ctx, cfg, eps)
	if err != nil {
		return nil, err
	}
	if in.beforeRead != nil {
		if err := in.beforeRead(ctx, cluster); err != nil {
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
		r.current, r.notes, r.err = readKong(ctx, cluster, in.kong.OwnershipTag)
		kongRead <- r
	}()
	snap, err := readSource(ctx, f, &in.source, stdin)
	if err != nil {
		return nil, err
	}
	version := cluster.Nodes[0].Version
	desired, diags := translate.Translate(snap, translateOptions(&in.source, &in.kong, version))
	schemas := &admin.Schemas{Dir: in.kong.SchemaCacheDir}
	if err := fillDefaults(ctx, cluster, schemas, version, desired); err != nil {
		return nil, err
	}
	// Desired is flattened for planning while Kong's entities may still be arriving.
	flat := plan.Flatten(desired, in.kong.OwnershipTag)
	cur := <-kongRead
	if cur.err != nil {
		return nil, cur.err
	}
	opts := plan.Options{OwnershipTag: in.kong.OwnershipTag, Workspace: in.kong.Workspace, AllowDeletes: true}
	switch {
	case !snap.Complete:
		opts.AllowDeletes = false
		opts.NoDeleteReason = "some Kubernetes objects could not be read in full: nothing is deleted"
	case in.source.fromManifests() && !in.prune:
		opts.AllowDeletes = false
		opts.NoDeleteReason = "not in the manifests; --prune deletes it"
	case !in.source.fromManifests() && !in.source.AllNamespaces:
		ns := "k8s-namespace:" + in.source.namespace
		opts.MayDelete = func(tags []string) bool { return slices.Contains(tags, ns) }
	}
	pl := &planned{cluster: cluster, diags: diags, complete: snap.Complete, desired: desired, opts: opts, srcNotes: snap.Notes}
	if nodes != nil {
		pl.adminNote = "kong admin: " + nodes.Describe()
	}
	return pl, pl.build(flat, cur.current, cur.notes, start)
}

// replan reads Kong's owned entities again and plans the same desired state against them.
func replan(ctx context.Context, pl *planned, tag string) (*planned, error) {
	start := time.Now()
	current, notes, err := readKong(ctx, pl.cluster, tag)
	if err != nil {
		return nil, err
	}
	next := *pl
	return &next, next.build(plan.Flatten(next.desired, tag), current, notes, start)
}

// build plans pl's desired state, flattened as flat, against current, read since start.
func (pl *planned) build(flat *plan.Desired, current *kongstate.State, readNotes []string, start time.Time) error {
	readDone := time.Now()
	p, err := plan.BuildDesired(flat, current, pl.opts)
	if err != nil {
		return err
	}
	pl.plan = p
	pl.notes = append(slices.Clip(pl.srcNotes), readNotes...)
	if pl.adminNote != "" {
		pl.notes = append(pl.notes, pl.adminNote)
	}
	pl.read, pl.dur = readDone.Sub(start), time.Since(readDone)
	return nil
}

// translateOptions are the translation options of the source and Kong flags, for a Kong of
// version ("" keeps translate's default version).
func translateOptions(src *SourceFlags, k *KongFlags, version string) translate.Options {
	topts := src.translateOptions(k.OwnershipTag)
	topts.Workspace = k.Workspace
	if v := semverOf(version); v != "" {
		topts.KongVersion = v
	}
	return topts
}

// readSource reads the Kubernetes objects from manifests or the cluster.
func readSource(ctx context.Context, f Factory, s *SourceFlags, stdin io.Reader) (*source.Snapshot, error) {
	filter := source.Options{IngressClass: s.IngressClass, GatewayClassController: s.GatewayClassController}
	if s.fromManifests() {
		return source.ReadManifests(ctx, source.ManifestInput{Filenames: s.Filenames, Kustomize: s.Kustomize,
			Recursive: s.Recursive, Namespace: s.namespace, Stdin: stdin, Selector: s.Selector}, filter)
	}
	ns := s.namespace
	if s.AllNamespaces {
		ns = ""
	}
	return source.ReadCluster(ctx, f.RESTClientGetter(), source.ClusterInput{Namespace: ns, Selector: s.Selector}, filter)
}

// readKong reads the owned entities through the first node that answers: a node that breaks
// mid-read hands over to the next.
func readKong(ctx context.Context, cl *admin.Cluster, tag string) (*kongstate.State, []string, error) {
	var current *kongstate.State
	var notes []string
	err := onAnyNode(ctx, cl, func(c *kong.Client) (err error) {
		current, notes, err = admin.ReadState(ctx, c, admin.ReadOptions{Tag: tag})
		return err
	})
	return current, notes, err
}

// fillDefaults fills desired with Kong's schema defaults, through the first node that answers.
func fillDefaults(ctx context.Context, cl *admin.Cluster, schemas *admin.Schemas, version string, desired *kongstate.State) error {
	return onAnyNode(ctx, cl, func(c *kong.Client) error { return schemas.FillDefaults(ctx, c, version, desired) })
}

// onAnyNode runs do with each node's client in turn until one does not fail for want of the
// node: Kong's own answer (an *admin.Error) or the end of ctx ends the turn.
func onAnyNode(ctx context.Context, cl *admin.Cluster, do func(*kong.Client) error) error {
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
