package source

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ManifestInput says which manifests to read: kubectl's -f, -k and -R.
type ManifestInput struct {
	// Filenames are files, directories or URLs; "-" reads Stdin.
	Filenames []string
	// Kustomize is a kustomization directory (-k).
	Kustomize string
	// Recursive descends into directories (-R).
	Recursive bool
	// Namespace is given to namespaced objects that name none, as kubectl apply would.
	Namespace string
	// Stdin is read for "-"; injected so tests need not touch the process's stdin.
	Stdin io.Reader
	// Selector (-l) keeps only the matching objects of the kinds that yield routes or
	// consumers, as ClusterInput.Selector does on a live cluster.
	Selector string
	// URLTimeout bounds reading one URL, body included; 0 means DefaultURLTimeout.
	URLTimeout time.Duration
	// MaxURLBytes bounds the body of one URL; 0 means DefaultMaxURLBytes.
	MaxURLBytes int64
}

// Bounds of reading a manifest URL: a server that never ends its answer, or ends it slowly,
// must not hold a sync (or its lock) for ever, nor fill the memory of a watch.
const (
	DefaultURLTimeout  = 2 * time.Minute
	DefaultMaxURLBytes = 256 << 20
)

// ReadManifests reads objects from manifests without any cluster, as the API server would
// store them (defaults applied), and pre-filters them as KIC's controllers would. Each document
// is decoded once, straight into its typed object, and dropped as soon as that is done.
func ReadManifests(ctx context.Context, in ManifestInput, opts Options) (*Snapshot, error) {
	selector := labels.Everything()
	if in.Selector != "" {
		var err error
		if selector, err = labels.Parse(in.Selector); err != nil {
			return nil, fmt.Errorf("read manifests: selector %q: %w", in.Selector, err)
		}
	}
	raw := input{snap: &Snapshot{Complete: true, Selector: in.Selector}, namespaceLabels: map[string]map[string]string{}, origin: fromManifests}
	ns := in.Namespace
	if ns == "" {
		ns = "default"
	}
	ignored := map[string]int{}
	var typed []object
	var kindsOf []kindInfo
	index := map[string]int{}
	decode := func(d document) (any, error) {
		if d.gvk.GroupKind() == namespaceGVK.GroupKind() {
			var nsObj metav1.PartialObjectMetadata
			if err := json.Unmarshal(d.data, &nsObj); err != nil {
				return nil, fmt.Errorf("%s: decode Namespace: %w", d.source, err)
			}
			return &nsObj, nil
		}
		k, ok := kindByGroupKind(d.gvk.GroupKind())
		if !ok {
			return nil, nil
		}
		obj, err := decodeTyped(d, k, ns)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.source, err)
		}
		applyDefaults(obj)
		return obj, nil
	}
	err := readDocuments(ctx, in, docReader{decode: decode, fn: func(d document) error {
		if d.err != nil {
			return d.err
		}
		if nsObj, ok := d.decoded.(*metav1.PartialObjectMetadata); ok {
			raw.namespaceLabels[nsObj.Name] = nsObj.Labels
			return nil
		}
		k, ok := kindByGroupKind(d.gvk.GroupKind())
		if !ok {
			ignored[d.gvk.Kind]++
			return nil
		}
		obj := d.decoded.(object)
		selected := !k.selectable || selector.Matches(labels.Set(obj.GetLabels()))
		raw.snap.note(k, obj, selected)
		if !selected {
			return nil
		}
		key := k.gvk.Kind + " " + objectKey(obj)
		if i, dup := index[key]; dup {
			raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("%s appears more than once (%s): the last one read is used",
				key, d.source))
			typed[i] = obj
			return nil
		}
		index[key] = len(typed)
		typed = append(typed, obj)
		kindsOf = append(kindsOf, k)
		return nil
	}})
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	for i, obj := range typed {
		kindsOf[i].add(raw.snap, obj)
	}
	if len(ignored) > 0 {
		raw.snap.Notes = append(raw.snap.Notes, "ignored objects of kinds kongdb does not translate: "+countsString(ignored))
	}
	sortSnapshot(raw.snap)
	return prefilter(raw, opts), nil
}

// decodeTyped decodes a document into kongdb's typed version of its kind, in the namespace
// kubectl apply would give it; the type meta is set to that version so objects from every
// source look the same. encoding/json, as the live reader's conversion, not a scheme
// converter: those reject some Gateway API fields whose Go types differ from their JSON shape.
func decodeTyped(d document, k kindInfo, defaultNamespace string) (object, error) {
	obj := k.newObject()
	if err := json.Unmarshal(d.data, obj); err != nil {
		var meta metav1.PartialObjectMetadata
		_ = json.Unmarshal(d.data, &meta) // for the error message only
		if k.namespaced && meta.Namespace == "" {
			meta.Namespace = defaultNamespace
		}
		return nil, fmt.Errorf("decode %s %s: %w", k.gvk.Kind, objectKey(&meta), err)
	}
	switch {
	case !k.namespaced:
		obj.SetNamespace("")
	case obj.GetNamespace() == "":
		obj.SetNamespace(defaultNamespace)
	}
	obj.GetObjectKind().SetGroupVersionKind(k.gvk)
	return obj, nil
}

func countsString(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s (%d)", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
