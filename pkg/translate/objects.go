package translate

import (
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/kong/go-kong/kong"
	kongv1alpha1 "github.com/kong/kubernetes-configuration/api/configuration/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// KIC's tag prefixes (internal/util: GenerateTagsForObject).
const (
	tagName      = "k8s-name:"
	tagNamespace = "k8s-namespace:"
	tagKind      = "k8s-kind:"
	tagUID       = "k8s-uid:"
	tagGroup     = "k8s-group:"
	tagVersion   = "k8s-version:"
)

// gvkOf is the object's group/version/kind: its TypeMeta, or, when a typed object comes without
// one (as from a client-go lister), what the scheme registers for its Go type. KIC's objects
// always carry it, and tags need it.
func gvkOf(obj object) schema.GroupVersionKind {
	if obj == nil {
		return schema.GroupVersionKind{}
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Kind != "" && gvk.Version != "" {
		return gvk
	}
	t := reflect.TypeOf(obj)
	if cached, ok := gvkByType.Load(t); ok {
		return cached.(schema.GroupVersionKind)
	}
	kinds, _, err := source.Scheme().ObjectKinds(obj)
	if err != nil || len(kinds) == 0 {
		return gvk
	}
	gvk = preferredGVK(kinds)
	gvkByType.Store(t, gvk)
	return gvk
}

// gvkByType caches the scheme lookup per Go type: every tag and diagnostic needs a kind, and
// the scheme's reflection would otherwise dominate translating a large cluster.
var gvkByType sync.Map

// preferredGVK picks, among the versions a Go type is registered under, the one the API server
// serves (Gateway API types are registered in several versions with the same Go type).
func preferredGVK(kinds []schema.GroupVersionKind) schema.GroupVersionKind {
	for _, k := range kinds {
		if k.Version == "v1" {
			return k
		}
	}
	return kinds[0]
}

func kindOf(obj object) string {
	if obj == nil {
		return ""
	}
	return gvkOf(obj).Kind
}

// tags are KIC's tags for obj (util.GenerateTagsForObject): name, namespace, kind, uid, group
// and version when present, extra tags, then the konghq.com/tags values without duplicates.
func (t *translator) tags(obj object, extra ...string) []*string {
	if obj == nil {
		return nil
	}
	gvk := gvkOf(obj)
	tags := make([]*string, 0, 8)
	add := func(prefix, v string) {
		if v != "" {
			tags = append(tags, kong.String(prefix+v))
		}
	}
	add(tagName, obj.GetName())
	add(tagNamespace, obj.GetNamespace())
	add(tagKind, gvk.Kind)
	add(tagUID, string(obj.GetUID()))
	add(tagGroup, gvk.Group)
	add(tagVersion, gvk.Version)
	for _, e := range extra {
		tags = append(tags, kong.String(e))
	}
	seen := map[string]bool{}
	for _, u := range userTags(obj.GetAnnotations()) {
		if !seen[u] {
			seen[u] = true
			tags = append(tags, kong.String(u))
		}
	}
	return tags
}

// sortedByCreation returns objs without nils, oldest first, ties by namespace/name (KIC sorts
// stably by creation time over the store's order, which is by namespace/name).
func sortedByCreation[T object](objs []T) []T {
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if any(o) != nil && !isNilObject(o) {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b T) int {
		ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
		if ta.Before(&tb) {
			return -1
		}
		if tb.Before(&ta) {
			return 1
		}
		return strings.Compare(nsName(a.GetNamespace(), a.GetName()), nsName(b.GetNamespace(), b.GetName()))
	})
	return out
}

func isNilObject(o object) bool {
	v := reflect.ValueOf(o)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// ingressClassParams returns the IngressClassParameters of the served IngressClass, or the
// zero value (KIC's getIngressClassParametersOrDefault).
func (t *translator) ingressClassParams() kongv1alpha1.IngressClassParametersSpec {
	for _, ic := range t.snap.IngressClasses {
		if ic == nil || ic.Name != t.opts.IngressClass || ic.Spec.Parameters == nil {
			continue
		}
		p := ic.Spec.Parameters
		if p.Kind != "IngressClassParameters" || p.APIGroup == nil || *p.APIGroup != kongv1alpha1.GroupVersion.Group {
			continue
		}
		ns := ""
		if p.Namespace != nil {
			ns = *p.Namespace
		}
		for _, icp := range t.snap.IngressClassParameters {
			if icp != nil && icp.Namespace == ns && icp.Name == p.Name {
				return icp.Spec
			}
		}
	}
	return kongv1alpha1.IngressClassParametersSpec{}
}

// sortedByName returns objs without nils ordered by namespace/name, the order KIC's store
// lists them in.
func sortedByName[T object](objs []T) []T {
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if !isNilObject(o) {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b T) int {
		return strings.Compare(nsName(a.GetNamespace(), a.GetName()), nsName(b.GetNamespace(), b.GetName()))
	})
	return out
}
