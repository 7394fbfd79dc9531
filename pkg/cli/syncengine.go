package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

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
}

// planned is a computed plan and what it was computed from.
type planned struct {
	plan      *plan.Plan
	cluster   *admin.Cluster
	diags     translate.Diagnostics
	complete  bool
	notes     []string
	read, dur time.Duration
}

// computePlan reads Kong's topology, the Kubernetes objects and Kong's owned entities, fills
// the desired state with Kong's schema defaults and plans. Nothing is written.
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
	snap, err := readSource(ctx, f, &in.source, stdin)
	if err != nil {
		return nil, err
	}
	version := cluster.Nodes[0].Version
	desired, diags := translate.Translate(snap, translateOptions(&in.source, &in.kong, version))

	schemas := &admin.Schemas{Dir: in.kong.SchemaCacheDir}
	current, readNotes, err := readKong(ctx, cluster, schemas, version, desired, in.kong.OwnershipTag)
	if err != nil {
		return nil, err
	}
	readDone := time.Now()
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
	p, err := plan.Build(desired, current, opts)
	if err != nil {
		return nil, err
	}
	notes := append(snap.Notes, readNotes...)
	if nodes != nil {
		notes = append(notes, "kong admin: "+nodes.Describe())
	}
	return &planned{plan: p, cluster: cluster, diags: diags, complete: snap.Complete, notes: notes,
		read: readDone.Sub(start), dur: time.Since(readDone)}, nil
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

// readKong reads the owned entities and fills desired with schema defaults, through the first
// node that answers: a node that breaks mid-read hands over to the next.
func readKong(ctx context.Context, cl *admin.Cluster, schemas *admin.Schemas, version string,
	desired *kongstate.State, tag string,
) (*kongstate.State, []string, error) {
	var errs []error
	for _, n := range cl.Nodes {
		current, notes, err := admin.ReadState(ctx, n.Client, admin.ReadOptions{Tag: tag})
		if err == nil {
			err = schemas.FillDefaults(ctx, n.Client, version, desired)
		}
		if err == nil {
			return current, notes, nil
		}
		var apiErr *admin.Error
		if errors.As(err, &apiErr) || ctx.Err() != nil {
			return nil, nil, fmt.Errorf("kong at %s: %w", n.URL, admin.ExplainServerError(ctx, n.Client, err))
		}
		errs = append(errs, fmt.Errorf("kong at %s: %w", n.URL, err))
	}
	return nil, nil, errors.Join(errs...)
}

// semverOf is the x.y.z of a Kong version such as "3.9.1" or "3.9.0.0-enterprise".
func semverOf(v string) string {
	var a, b, c int
	if n, _ := fmt.Sscanf(v, "%d.%d.%d", &a, &b, &c); n == 3 {
		return fmt.Sprintf("%d.%d.%d", a, b, c)
	}
	return ""
}
