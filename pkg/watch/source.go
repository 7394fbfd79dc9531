// Package watch keeps Kong in step with Kubernetes continuously: informers on every kind a
// sync reads feed the engine's RunOnce on each (debounced) change and on a resync period,
// under leader election, so `sync --watch` is the one-shot engine plus triggers, never a
// second engine (external-dns's Controller.Run).
package watch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kwatch "k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// Source is an engine.Source read from informer caches instead of the API server: the same
// kinds, scope and pre-filtering as source.Cluster (both go through source.ReadLive), so the
// same objects give the same Snapshot, but a Read costs no request. Its Snapshot is complete
// only once every informer has synced and while none of their lists or watches is failing,
// so a watch never deletes on doubt.
type Source struct {
	client    dynamic.Interface
	mapper    meta.RESTMapper
	disc      source.GroupDiscovery
	in        source.ClusterInput
	opts      source.Options
	describe  string
	changes   chan struct{}
	startOnce sync.Once
	ctx       context.Context // the informers' context, set by Start

	mu         sync.Mutex
	kinds      []source.LiveKind
	informers  map[schema.GroupVersionResource]cache.SharedIndexInformer
	namespaces cache.SharedIndexInformer
	failing    map[string]error // by informer name: its last list or watch failed
}

// NewSource resolves the kinds to watch (a CRD that is not installed is skipped, as a one-shot
// read does; one that cannot be told is retried at every Read). Start runs the informers.
func NewSource(client dynamic.Interface, mapper meta.RESTMapper, disc source.GroupDiscovery, in source.ClusterInput, opts source.Options) (*Source, error) {
	kinds, err := source.ResolveKinds(mapper, disc)
	if err != nil {
		return nil, err
	}
	desc := "the cluster (all namespaces, watched)"
	if in.Namespace != "" {
		desc = "the cluster (namespace " + in.Namespace + ", watched)"
	}
	return &Source{client: client, mapper: mapper, disc: disc, in: in, opts: opts, describe: desc,
		changes: make(chan struct{}, 1), kinds: kinds,
		informers: map[schema.GroupVersionResource]cache.SharedIndexInformer{}, failing: map[string]error{}}, nil
}

// Start runs an informer per kind and one on Namespaces until ctx ends. It returns at once.
func (s *Source) Start(ctx context.Context) {
	s.startOnce.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ctx = ctx
		for _, k := range s.kinds {
			s.startKindLocked(k)
		}
		nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
		s.namespaces = s.newInformer("namespaces", nsGVR, "", func(u *unstructured.Unstructured) (any, error) {
			// Only the labels serve (listeners' namespace selectors): keep nothing else.
			return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
				ObjectMeta: metav1.ObjectMeta{Name: u.GetName(), Labels: u.GetLabels(), ResourceVersion: u.GetResourceVersion()}}, nil
		})
		go s.namespaces.RunWithContext(ctx)
	})
}

// startKindLocked starts the informer of one resolved kind, once.
func (s *Source) startKindLocked(k source.LiveKind) {
	if k.Absent || k.Doubt != nil || s.informers[k.Resource] != nil || s.ctx == nil {
		return
	}
	ns := ""
	if k.Namespaced {
		ns = s.in.Namespace
	}
	inf := s.newInformer(k.Resource.String(), k.Resource, ns, func(u *unstructured.Unstructured) (any, error) {
		obj, err := source.Decode(k, u)
		if err != nil {
			// Kept as it came: the Read that meets it decodes again, fails and says which
			// object, and the kind is then incomplete (as a one-shot read would be).
			u = u.DeepCopy()
			u.SetManagedFields(nil)
			return u, nil
		}
		return obj, nil
	})
	s.informers[k.Resource] = inf
	go inf.RunWithContext(s.ctx)
}

// newInformer is an informer whose list and watch failures mark it failing until one of them
// succeeds again, and whose events wake the watch loop. decode turns what is listed into what
// is cached, once, as it arrives.
func (s *Source) newInformer(name string, gvr schema.GroupVersionResource, ns string, decode func(*unstructured.Unstructured) (any, error)) cache.SharedIndexInformer {
	ri := s.client.Resource(gvr).Namespace(ns)
	lw := listWatch{&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			l, err := ri.List(ctx, opts)
			s.setFailing(name, err)
			return l, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (kwatch.Interface, error) {
			w, err := ri.Watch(ctx, opts)
			s.setFailing(name, err)
			return w, err
		},
	}}
	inf := cache.NewSharedIndexInformer(lw, &unstructured.Unstructured{}, 0, cache.Indexers{})
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		s.setFailing(name, err)
		cache.DefaultWatchErrorHandler(ctx, r, err)
	})
	_ = inf.SetTransform(func(o any) (any, error) {
		if u, ok := o.(*unstructured.Unstructured); ok {
			return decode(u)
		}
		return o, nil
	})
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.kick() },
		UpdateFunc: func(old, cur any) { s.changed(old, cur) },
		DeleteFunc: func(any) { s.kick() },
	})
	return inf
}

// listWatch lists and then watches, never a streaming watch-list: a list that returned is the
// only proof that a cache holds everything, which is what lets a failing informer be told
// from a recovered one (and every API server and fake serves it).
type listWatch struct{ *cache.ListWatch }

// IsWatchListSemanticsUnSupported turns client-go's WatchListClient off for this informer.
func (listWatch) IsWatchListSemanticsUnSupported() bool { return true }

// changed wakes the loop unless an update changed nothing (a relist's Sync of an object
// already cached).
func (s *Source) changed(old, cur any) {
	o, ok1 := old.(metav1.Object)
	c, ok2 := cur.(metav1.Object)
	if ok1 && ok2 && o.GetResourceVersion() == c.GetResourceVersion() && o.GetResourceVersion() != "" {
		return
	}
	s.kick()
}

func (s *Source) kick() {
	select {
	case s.changes <- struct{}{}:
	default:
	}
}

// setFailing records the outcome of one list or watch; a recovery wakes the loop, since
// deletes held back while it failed can now be made.
func (s *Source) setFailing(name string, err error) {
	s.mu.Lock()
	_, was := s.failing[name]
	if err != nil {
		s.failing[name] = err
	} else {
		delete(s.failing, name)
	}
	s.mu.Unlock()
	if was && err == nil {
		s.kick()
	}
}

// Changes receives a value (coalesced) whenever a watched object was added, changed or
// deleted, or a failing informer recovered.
func (s *Source) Changes() <-chan struct{} { return s.changes }

// Synced reports whether every informer has listed its kind once.
func (s *Source) Synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.namespaces == nil || !s.namespaces.HasSynced() {
		return false
	}
	for _, inf := range s.informers {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

// WaitForSync waits until every informer has either listed its kind or failed to (a kind
// this identity may not list, say), or ctx ends (false). A failing informer does not hold the
// watch back: its Reads are incomplete, so nothing is deleted, until it lists again.
func (s *Source) WaitForSync(ctx context.Context) bool {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !s.settled() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// settled reports whether every informer has synced or is failing.
func (s *Source) settled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.namespaces == nil {
		return false
	}
	if _, failing := s.failing["namespaces"]; !s.namespaces.HasSynced() && !failing {
		return false
	}
	for gvr, inf := range s.informers {
		if _, failing := s.failing[gvr.String()]; !inf.HasSynced() && !failing {
			return false
		}
	}
	return true
}

// Failing returns why informers are failing, by informer; empty when none is.
func (s *Source) Failing() map[string]error {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]error, len(s.failing))
	for k, v := range s.failing {
		out[k] = v
	}
	return out
}

// Describe names the cluster's scope for reports.
func (s *Source) Describe() string { return s.describe }

// Read assembles a Snapshot from the caches, exactly as a one-shot read of the same objects
// would. Kinds whose CRD could not be told installed are resolved again first.
func (s *Source) Read(ctx context.Context) (*source.Snapshot, error) {
	s.retryDoubts()
	s.mu.Lock()
	kinds := append([]source.LiveKind(nil), s.kinds...)
	s.mu.Unlock()
	return source.ReadLive(ctx, kinds, (*cacheLister)(s), s.in, s.opts)
}

// retryDoubts resolves the kinds again when some could not be told installed, and starts the
// informers of those now found.
func (s *Source) retryDoubts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	doubt := false
	for _, k := range s.kinds {
		doubt = doubt || k.Doubt != nil
	}
	if !doubt {
		return
	}
	if r, ok := s.mapper.(meta.ResettableRESTMapper); ok {
		r.Reset()
	}
	kinds, err := source.ResolveKinds(s.mapper, s.disc)
	if err != nil {
		return
	}
	s.kinds = kinds
	for _, k := range kinds {
		s.startKindLocked(k)
	}
}

// cacheLister serves source.ReadLive from the informers.
type cacheLister Source

var errNotSynced = errors.New("the informer has not listed it yet")

// List returns copies of the cached objects of k in ns: callers may change what they get. A
// kind whose informer has not synced, or is failing, returns what it has and an error, so the
// Snapshot is incomplete.
func (l *cacheLister) List(_ context.Context, k source.LiveKind, ns string) ([]source.Object, error) {
	s := (*Source)(l)
	s.mu.Lock()
	inf := s.informers[k.Resource]
	failErr := s.failing[k.Resource.String()]
	s.mu.Unlock()
	if inf == nil || !inf.HasSynced() {
		if failErr != nil {
			return nil, fmt.Errorf("list failing: %w", failErr)
		}
		return nil, errNotSynced
	}
	// The informer is scoped to ns already (startKindLocked).
	items := inf.GetStore().List()
	out := make([]source.Object, 0, len(items))
	for _, it := range items {
		switch o := it.(type) {
		case source.Object:
			if u, ok := o.(*unstructured.Unstructured); ok {
				if _, err := source.Decode(k, u); err != nil {
					return out, err
				}
			}
			out = append(out, o.DeepCopyObject().(source.Object))
		default:
			return out, fmt.Errorf("unexpected %T in the %s cache", it, k.Resource.Resource)
		}
	}
	if failErr != nil {
		return out, fmt.Errorf("list or watch failing: %w", failErr)
	}
	return out, nil
}

// Get reads one object from the API server: the Gateways a namespace-scoped watch's routes
// attach to lie outside what it watches.
func (l *cacheLister) Get(ctx context.Context, k source.LiveKind, ns, name string) (source.Object, error) {
	u, err := l.client.Resource(k.Resource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return source.Decode(k, u)
}

// NamespaceLabels returns the cached Namespaces' labels.
func (l *cacheLister) NamespaceLabels(context.Context) (map[string]map[string]string, error) {
	s := (*Source)(l)
	s.mu.Lock()
	inf := s.namespaces
	failErr := s.failing["namespaces"]
	s.mu.Unlock()
	if inf == nil || !inf.HasSynced() {
		return nil, errNotSynced
	}
	out := map[string]map[string]string{}
	for _, it := range inf.GetStore().List() {
		if o, ok := it.(metav1.Object); ok {
			out[o.GetName()] = o.GetLabels()
		}
	}
	return out, failErr
}
