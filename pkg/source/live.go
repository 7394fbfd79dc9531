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

// groupDiscovery is what tells a CRD that is not installed from a discovery that failed.
type groupDiscovery interface {
	ServerGroups() (*metav1.APIGroupList, error)
	ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error)
}

// kindAbsent reports whether the API server definitely does not serve kind: its group is not
// served, or every version of the group answered and none lists the kind. Any failure to ask
// is doubt, returned as an error, and doubt must not read as "not installed" (that would
// delete every entity of the kind).
func kindAbsent(disc groupDiscovery, gvk schema.GroupVersionKind) (bool, error) {
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

// readCluster is ReadCluster on given clients, so tests can use fakes.
// disc, when set, confirms that a kind the mapper does not know is really not installed.
func readCluster(ctx context.Context, client dynamic.Interface, mapper meta.RESTMapper, in ClusterInput, opts Options, disc groupDiscovery) (*Snapshot, error) {
	if in.PageSize <= 0 {
		in.PageSize = DefaultPageSize
	}
	r := &clusterReader{client: client, mapper: mapper, in: in}
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
	for _, k := range kinds {
		mapping, err := r.mapping(k.gvk)
		if meta.IsNoMatchError(err) && k.optional && disc != nil {
			if absent, derr := kindAbsent(disc, k.gvk); !absent {
				raw.snap.Complete = false
				raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("could not tell whether %s (%s) is installed: %v",
					k.gvk.Kind, k.gvk.Group, derr))
				continue
			}
		}
		switch {
		case meta.IsNoMatchError(err) && k.optional:
			raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("%s (%s) is not installed in the cluster: skipped",
				k.gvk.Kind, k.gvk.Group))
			continue
		case err != nil:
			return nil, fmt.Errorf("read cluster: find %s: %w", k.gvk.Kind, err)
		}
		ns := ""
		if k.namespaced {
			ns = in.Namespace
		}
		// With a selector, the selectable kinds are listed whole and narrowed here: the objects
		// outside it are what tells a delete that their entities are not this sync's.
		objs, err := listAll(ctx, r, mapping.Resource, ns, "", func(u *unstructured.Unstructured) (object, error) {
			return toTyped(u, k)
		})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, obj := range objs {
			selected := !k.selectable || selector.Matches(labels.Set(obj.GetLabels()))
			raw.snap.note(k, obj, selected)
			if selected {
				k.add(raw.snap, obj)
			}
		}
		if err != nil {
			raw.snap.Complete = false
			raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("could not read all %s: %v", mapping.Resource.Resource, err))
		}
	}
	if in.Namespace != "" {
		r.addOutsideGateways(ctx, raw.snap)
	}
	// Namespaces only serve Gateway listeners' namespace selectors: without them those
	// selectors are assumed to match, with a note, and the Snapshot stays complete.
	if mapping, err := r.mapping(namespaceGVK); err == nil {
		type nsLabels struct {
			name   string
			labels map[string]string
		}
		namespaces, err := listAll(ctx, r, mapping.Resource, "", "", func(u *unstructured.Unstructured) (nsLabels, error) {
			return nsLabels{u.GetName(), u.GetLabels()}, nil
		})
		if err != nil {
			raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("could not read namespaces: %v", err))
		}
		for _, n := range namespaces {
			raw.namespaceLabels[n.name] = n.labels
		}
	}
	sortSnapshot(raw.snap)
	return prefilter(raw, opts), nil
}

type clusterReader struct {
	client dynamic.Interface
	mapper meta.RESTMapper
	in     ClusterInput
}

// mapping finds the resource for gvk, preferring the version kongdb reads; a cluster that
// serves the kind only in another version is read in that one (the fields kongdb reads are
// the same across the served versions of these kinds).
func (r *clusterReader) mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := r.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return r.mapper.RESTMapping(gvk.GroupKind())
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
func (r *clusterReader) addOutsideGateways(ctx context.Context, snap *Snapshot) {
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
	if len(refs) == 0 {
		return
	}
	gw, ok := kindByGroupKind(gwV1.WithKind("Gateway").GroupKind())
	if !ok {
		return
	}
	mapping, err := r.mapping(gw.gvk)
	if err != nil {
		return
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
		u, err := r.client.Resource(mapping.Resource).Namespace(string(*ref.Namespace)).Get(ctx, string(ref.Name), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			snap.Notes = append(snap.Notes, fmt.Sprintf("could not read Gateway %s outside namespace %s: %v", key, r.in.Namespace, err))
			continue
		}
		u.SetManagedFields(nil)
		obj, err := toTyped(u, gw)
		if err != nil {
			snap.Notes = append(snap.Notes, fmt.Sprintf("could not read Gateway %s: %v", key, err))
			continue
		}
		g := obj.(*gatewayv1.Gateway)
		for i := range g.Spec.Listeners {
			if g.Spec.Listeners[i].TLS != nil {
				g.Spec.Listeners[i].TLS.CertificateRefs = nil
			}
		}
		snap.Notes = append(snap.Notes, fmt.Sprintf("Gateway %s lies outside namespace %s: read for its routes' "+
			"acceptance and listeners; its certificates are left to a run over its own namespace", key, r.in.Namespace))
		gw.add(snap, g)
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
