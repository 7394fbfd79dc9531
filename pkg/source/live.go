package source

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// DefaultPageSize is how many objects one list request asks for; large clusters are read in
// pages so that neither the API server nor kongdb holds one giant response.
const DefaultPageSize = 500

// ClusterInput says what to read from a live cluster: kubectl's -n, -A and -l.
type ClusterInput struct {
	// Namespace limits namespaced kinds to one namespace; "" reads all namespaces (-A).
	Namespace string
	// Selector is a label selector (-l) applied to the kinds that yield routes or consumers
	// (Ingress, Gateway API routes, TCP/UDPIngress, KongConsumer, KongConsumerGroup); the
	// objects they refer to are read whole.
	Selector string
	// PageSize is the Limit of each list request; 0 means DefaultPageSize.
	PageSize int64
}

// ReadCluster reads every kind kongdb translates from the cluster getter points at (the
// kubeconfig flags) and pre-filters as KIC's controllers do. CRDs missing from the cluster
// are skipped with a note; a kind that could not be read in full leaves the Snapshot
// incomplete (Complete=false) rather than failing the whole read.
func ReadCluster(ctx context.Context, getter genericclioptions.RESTClientGetter, in ClusterInput, opts Options) (*Snapshot, error) {
	cfg, err := getter.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("read cluster: kubeconfig: %w", err)
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("read cluster: client: %w", err)
	}
	mapper, err := getter.ToRESTMapper()
	if err != nil {
		return nil, fmt.Errorf("read cluster: discovery: %w", err)
	}
	// Uncached: whether a CRD is installed decides whether its entities may be deleted, so
	// it is asked of the API server now, not of a discovery cache minutes old.
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("read cluster: discovery: %w", err)
	}
	return readCluster(ctx, client, mapper, in, opts, disc)
}

// GroupDiscovery is what tells a CRD that is not installed from a discovery that failed.
type GroupDiscovery interface {
	ServerGroups() (*metav1.APIGroupList, error)
	ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error)
}

// kindAbsent reports whether the API server definitely does not serve kind: its group is not
// served, or every version of the group answered and none lists the kind. Any failure to ask
// is doubt, returned as an error, and doubt must not read as "not installed" (that would
// delete every entity of the kind).
func kindAbsent(disc GroupDiscovery, gvk schema.GroupVersionKind) (bool, error) {
	groups, err := disc.ServerGroups()
	if err != nil {
		return false, err
	}
	for _, g := range groups.Groups {
		if g.Name != gvk.Group {
			continue
		}
		for _, v := range g.Versions {
			list, err := disc.ServerResourcesForGroupVersion(v.GroupVersion)
			if err != nil {
				return false, fmt.Errorf("%s: %w", v.GroupVersion, err)
			}
			for _, r := range list.APIResources {
				if r.Kind == gvk.Kind {
					return false, fmt.Errorf("%s serves %s, but the REST mapping does not know it yet", v.GroupVersion, gvk.Kind)
				}
			}
		}
	}
	return true, nil
}

// ReadClusterFrom is ReadCluster on given clients: a caller that holds them already (a test,
// the watch comparing its caches with a one-shot read) reads exactly as a sync does.
func ReadClusterFrom(ctx context.Context, client dynamic.Interface, mapper meta.RESTMapper, disc GroupDiscovery, in ClusterInput, opts Options) (*Snapshot, error) {
	return readCluster(ctx, client, mapper, in, opts, disc)
}

// readCluster is ReadCluster on given clients, so tests can use fakes.
// disc, when set, confirms that a kind the mapper does not know is really not installed.
func readCluster(ctx context.Context, client dynamic.Interface, mapper meta.RESTMapper, in ClusterInput, opts Options, disc GroupDiscovery) (*Snapshot, error) {
	if in.PageSize <= 0 {
		in.PageSize = DefaultPageSize
	}
	kinds, err := ResolveKinds(mapper, disc)
	if err != nil {
		return nil, err
	}
	return ReadLive(ctx, kinds, &clusterReader{client: client, mapper: mapper, in: in}, in, opts)
}

// LiveKind is one kind a live read lists: the resource that serves it, or why it is not listed.
type LiveKind struct {
	GVK schema.GroupVersionKind
	// Resource serves the kind; it is zero when the kind is Absent or in Doubt.
	Resource   schema.GroupVersionResource
	Namespaced bool
	// Absent is a CRD the API server definitely does not serve: no object of it can exist.
	Absent bool
	// Doubt is why it could not be told whether a CRD is installed: its entities must not be
	// deleted, so the read is incomplete.
	Doubt error

	info kindInfo
}

// ResolveKinds finds the resource of every kind a live read lists, in the order they are
// read. A CRD the mapper does not know is Absent only when disc confirms it (without disc,
// the mapper is believed); a kind that is not a CRD and is not served is an error.
func ResolveKinds(mapper meta.RESTMapper, disc GroupDiscovery) ([]LiveKind, error) {
	out := make([]LiveKind, 0, len(kinds))
	for _, k := range kinds {
		lk := LiveKind{GVK: k.gvk, Namespaced: k.namespaced, info: k}
		mapping, err := resourceMapping(mapper, k.gvk)
		switch {
		case meta.IsNoMatchError(err) && k.optional && disc != nil:
			if absent, derr := kindAbsent(disc, k.gvk); absent {
				lk.Absent = true
			} else {
				lk.Doubt = derr
			}
		case meta.IsNoMatchError(err) && k.optional:
			lk.Absent = true
		case err != nil:
			return nil, fmt.Errorf("read cluster: find %s: %w", k.gvk.Kind, err)
		default:
			lk.Resource = mapping.Resource
		}
		out = append(out, lk)
	}
	return out, nil
}

// Lister is what a live read lists from: the API server page by page (ReadCluster), or an
// informer cache (the watch), so that both yield the same Snapshot for the same objects.
type Lister interface {
	// List returns every object of k in namespace ("" for all), decoded to k's Go type (see
	// Decode); an error leaves the kind, and so the Snapshot, incomplete.
	List(ctx context.Context, k LiveKind, namespace string) ([]Object, error)
	// Get reads one object; apierrors.IsNotFound when it does not exist. A namespace-scoped
	// read uses it for the Gateways its routes attach to in other namespaces.
	Get(ctx context.Context, k LiveKind, namespace, name string) (Object, error)
	// NamespaceLabels returns every Namespace's labels, for Gateway listeners' namespace
	// selectors.
	NamespaceLabels(ctx context.Context) (map[string]map[string]string, error)
}

// Object is what every kind a Snapshot holds is: typed metadata and a runtime.Object.
type Object = object

// Decode converts an object listed from a cluster into kongdb's Go type of its kind, without
// its managed fields; the type meta is set to the version kongdb reads, so objects from every
// source look the same. u is not changed.
func Decode(k LiveKind, u *unstructured.Unstructured) (Object, error) {
	if len(u.GetManagedFields()) > 0 {
		u = u.DeepCopy()
		u.SetManagedFields(nil)
	}
	return toTyped(u, k.info)
}

// ReadLive reads the kinds from l and pre-filters as KIC's controllers do: what ReadCluster
// does once the kinds are resolved. Absent kinds are skipped with a note; a kind in doubt or
// one that could not be listed in full leaves the Snapshot incomplete.
func ReadLive(ctx context.Context, kinds []LiveKind, l Lister, in ClusterInput, opts Options) (*Snapshot, error) {
	selector := labels.Everything()
	if in.Selector != "" {
		var err error
		if selector, err = labels.Parse(in.Selector); err != nil {
			return nil, fmt.Errorf("read cluster: selector %q: %w", in.Selector, err)
		}
	}
	raw := input{
		snap:            &Snapshot{Complete: true, Selector: in.Selector},
		namespaceLabels: map[string]map[string]string{},
		origin:          fromCluster,
		readNamespace:   in.Namespace,
	}
	var gateway *LiveKind
	for i, k := range kinds {
		switch {
		case k.Doubt != nil:
			raw.snap.Complete = false
			raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("could not tell whether %s (%s) is installed: %v",
				k.GVK.Kind, k.GVK.Group, k.Doubt))
			continue
		case k.Absent:
			raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("%s (%s) is not installed in the cluster: skipped",
				k.GVK.Kind, k.GVK.Group))
			continue
		}
		if k.GVK == gatewayGVK {
			gateway = &kinds[i]
		}
		ns := ""
		if k.Namespaced {
			ns = in.Namespace
		}
		// With a selector, the selectable kinds are listed whole and narrowed here: the objects
		// outside it are what tells a delete that their entities are not this sync's.
		objs, err := l.List(ctx, k, ns)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, obj := range objs {
			selected := !k.info.selectable || selector.Matches(labels.Set(obj.GetLabels()))
			raw.snap.note(k.info, obj, selected)
			if selected {
				k.info.add(raw.snap, obj)
			}
		}
		if err != nil {
			raw.snap.Complete = false
			raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("could not read all %s: %v", k.Resource.Resource, err))
		}
	}
	if in.Namespace != "" && gateway != nil {
		addOutsideGateways(ctx, l, *gateway, in.Namespace, raw.snap)
	}
	// Namespaces only serve Gateway listeners' namespace selectors: without them those
	// selectors are assumed to match, with a note, and the Snapshot stays complete.
	nsLabels, err := l.NamespaceLabels(ctx)
	if err != nil {
		raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("could not read namespaces: %v", err))
	}
	for n, ls := range nsLabels {
		raw.namespaceLabels[n] = ls
	}
	sortSnapshot(raw.snap)
	return prefilter(raw, opts), nil
}

var gatewayGVK = gwV1.WithKind("Gateway")

// clusterReader lists from the API server, page by page.
type clusterReader struct {
	client dynamic.Interface
	mapper meta.RESTMapper
	in     ClusterInput
}

// List lists k's objects page by page.
func (r *clusterReader) List(ctx context.Context, k LiveKind, ns string) ([]Object, error) {
	return listAll(ctx, r, k.Resource, ns, "", func(u *unstructured.Unstructured) (object, error) {
		u.SetManagedFields(nil)
		return toTyped(u, k.info)
	})
}

// Get reads one object from the API server.
func (r *clusterReader) Get(ctx context.Context, k LiveKind, ns, name string) (Object, error) {
	u, err := r.client.Resource(k.Resource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	u.SetManagedFields(nil)
	return toTyped(u, k.info)
}

// NamespaceLabels lists the Namespaces; a cluster whose mapper does not know them has none
// to tell.
func (r *clusterReader) NamespaceLabels(ctx context.Context) (map[string]map[string]string, error) {
	mapping, err := resourceMapping(r.mapper, namespaceGVK)
	if err != nil {
		return nil, nil
	}
	type nsLabels struct {
		name   string
		labels map[string]string
	}
	namespaces, err := listAll(ctx, r, mapping.Resource, "", "", func(u *unstructured.Unstructured) (nsLabels, error) {
		return nsLabels{u.GetName(), u.GetLabels()}, nil
	})
	out := make(map[string]map[string]string, len(namespaces))
	for _, n := range namespaces {
		out[n.name] = n.labels
	}
	return out, err
}

// resourceMapping finds the resource for gvk, preferring the version kongdb reads; a cluster
// that serves the kind only in another version is read in that one (the fields kongdb reads
// are the same across the served versions of these kinds).
func resourceMapping(mapper meta.RESTMapper, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return mapper.RESTMapping(gvk.GroupKind())
	}
	return m, err
}

// listAll reads every object of resource in ns (all when ""), page by page, and converts each
// page as it arrives, so that only one page of unstructured objects is held at a time. An
// expired continue token restarts the listing from scratch, as kubectl's pager does on a 410;
// any other error returns no objects at all (the caller notes the kind as incomplete).
func listAll[T any](ctx context.Context, r *clusterReader, resource schema.GroupVersionResource, ns, selector string,
	convert func(*unstructured.Unstructured) (T, error),
) ([]T, error) {
	const restarts = 3
	for attempt := 0; ; attempt++ {
		var out []T
		opts := metav1.ListOptions{Limit: r.in.PageSize, LabelSelector: selector}
		seen := map[string]bool{}
		var err error
		for {
			var page *unstructured.UnstructuredList
			page, err = r.client.Resource(resource).Namespace(ns).List(ctx, opts)
			if err != nil {
				break
			}
			for i := range page.Items {
				u := &page.Items[i]
				u.SetManagedFields(nil)
				var v T
				if v, err = convert(u); err != nil {
					break
				}
				out = append(out, v)
			}
			if err != nil {
				break
			}
			opts.Continue = page.GetContinue()
			if opts.Continue == "" {
				break
			}
			// A token handed out twice would serve the same pages for ever.
			if seen[opts.Continue] {
				err = fmt.Errorf("list %s: the server repeated the continue token %q: stopped rather than loop", resource.Resource, opts.Continue)
				break
			}
			seen[opts.Continue] = true
		}
		if apierrors.IsResourceExpired(err) && attempt < restarts {
			continue
		}
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// addOutsideGateways fetches the Gateways that routes of the namespace read attach to in other
// namespaces (the common layout: one Gateway in an infra namespace), so that their acceptance
// and listeners are known. Their certificateRefs are dropped: certificates belong to the
// Gateway's namespace, which a namespace-scoped run does not manage.
func addOutsideGateways(ctx context.Context, l Lister, gw LiveKind, namespace string, snap *Snapshot) {
	var refs []gatewayv1.ParentReference
	add := func(ns string, prs []gatewayv1.ParentReference) {
		for _, p := range prs {
			if p.Namespace != nil && string(*p.Namespace) != ns {
				refs = append(refs, p)
			}
		}
	}
	for _, x := range snap.HTTPRoutes {
		add(x.Namespace, x.Spec.ParentRefs)
	}
	for _, x := range snap.GRPCRoutes {
		add(x.Namespace, x.Spec.ParentRefs)
	}
	for _, x := range snap.TCPRoutes {
		add(x.Namespace, x.Spec.ParentRefs)
	}
	for _, x := range snap.UDPRoutes {
		add(x.Namespace, x.Spec.ParentRefs)
	}
	for _, x := range snap.TLSRoutes {
		add(x.Namespace, x.Spec.ParentRefs)
	}
	seen := map[string]bool{}
	for _, ref := range refs {
		if (ref.Group != nil && *ref.Group != gatewayv1.GroupName) || (ref.Kind != nil && *ref.Kind != "Gateway") {
			continue
		}
		key := string(*ref.Namespace) + "/" + string(ref.Name)
		if seen[key] {
			continue
		}
		seen[key] = true
		obj, err := l.Get(ctx, gw, string(*ref.Namespace), string(ref.Name))
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			snap.Notes = append(snap.Notes, fmt.Sprintf("could not read Gateway %s outside namespace %s: %v", key, namespace, err))
			continue
		}
		g := obj.(*gatewayv1.Gateway)
		for i := range g.Spec.Listeners {
			if g.Spec.Listeners[i].TLS != nil {
				g.Spec.Listeners[i].TLS.CertificateRefs = nil
			}
		}
		snap.Notes = append(snap.Notes, fmt.Sprintf("Gateway %s lies outside namespace %s: read for its routes' "+
			"acceptance and listeners; its certificates are left to a run over its own namespace", key, namespace))
		gw.info.add(snap, g)
	}
}

// toTyped converts an object listed from the cluster into kongdb's typed version of its kind;
// the type meta is set to that version so objects from every source look the same. A JSON
// round trip, not runtime.DefaultUnstructuredConverter: the converter rejects some Gateway
// API fields whose Go types differ from their JSON shape.
func toTyped(u *unstructured.Unstructured, k kindInfo) (object, error) {
	obj := k.newObject()
	data, err := u.MarshalJSON()
	if err == nil {
		err = json.Unmarshal(data, obj)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", k.gvk.Kind, objectKey(u), err)
	}
	obj.GetObjectKind().SetGroupVersionKind(k.gvk)
	return obj, nil
}
