package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/resource"
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
}

// ReadManifests reads objects from manifests without any cluster, as the API server would
// store them (defaults applied), and pre-filters them as KIC's controllers would.
func ReadManifests(ctx context.Context, in ManifestInput, opts Options) (*Snapshot, error) {
	objs, err := decodeManifests(in)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	selector := labels.Everything()
	if in.Selector != "" {
		if selector, err = labels.Parse(in.Selector); err != nil {
			return nil, fmt.Errorf("read manifests: selector %q: %w", in.Selector, err)
		}
	}
	raw := input{snap: &Snapshot{Complete: true}, namespaceLabels: map[string]map[string]string{}, origin: fromManifests}
	ns := in.Namespace
	if ns == "" {
		ns = "default"
	}
	ignored := map[string]int{}
	var typed []object
	var kindsOf []kindInfo
	index := map[string]int{}
	for _, d := range objs {
		u := d.obj
		gvk := u.GroupVersionKind()
		if gvk.GroupKind() == namespaceGVK.GroupKind() {
			raw.namespaceLabels[u.GetName()] = u.GetLabels()
			continue
		}
		k, ok := kindByGroupKind(gvk.GroupKind())
		if !ok {
			ignored[gvk.Kind]++
			continue
		}
		if k.selectable && !selector.Matches(labels.Set(u.GetLabels())) {
			continue
		}
		if k.namespaced && u.GetNamespace() == "" {
			u.SetNamespace(ns)
		}
		if !k.namespaced {
			u.SetNamespace("")
		}
		obj, err := toTyped(u, k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.source, err)
		}
		applyDefaults(obj)
		key := k.gvk.Kind + " " + objectKey(obj)
		if i, dup := index[key]; dup {
			raw.snap.Notes = append(raw.snap.Notes, fmt.Sprintf("%s appears more than once (%s): the last one read is used",
				key, d.source))
			typed[i] = obj
			continue
		}
		index[key] = len(typed)
		typed = append(typed, obj)
		kindsOf = append(kindsOf, k)
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

// decoded is one object read from a manifest and where it was read from.
type decoded struct {
	obj    *unstructured.Unstructured
	source string
}

// decodeManifests runs cli-runtime's resource builder in local mode: files, directories,
// URLs, kustomizations and stdin, Lists flattened, nothing asked of a server.
func decodeManifests(in ManifestInput) ([]decoded, error) {
	b := resource.NewLocalBuilder().Unstructured().ContinueOnError().Flatten()
	var files []string
	for _, f := range in.Filenames {
		if f != "-" {
			files = append(files, f)
			continue
		}
		if in.Stdin == nil {
			return nil, errors.New("read manifests: -f - given but no standard input")
		}
		b = b.Stream(in.Stdin, "STDIN")
	}
	if len(files) > 0 || in.Kustomize != "" {
		b = b.FilenameParam(false, &resource.FilenameOptions{Filenames: files, Kustomize: in.Kustomize, Recursive: in.Recursive})
	}
	var objs []decoded
	err := b.Do().Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		u, ok := info.Object.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("read %s: unexpected object type %T", info.Source, info.Object)
		}
		objs = append(objs, decoded{obj: u, source: info.Source})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	return objs, nil
}

// toTyped converts an unstructured object into kongdb's typed version of its kind; the type
// meta is set to that version so objects from every source look the same.
func toTyped(u *unstructured.Unstructured, k kindInfo) (object, error) {
	obj := k.newObject()
	// A JSON round trip, not runtime.DefaultUnstructuredConverter: the converter rejects some
	// Gateway API fields whose Go types differ from their JSON shape.
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
