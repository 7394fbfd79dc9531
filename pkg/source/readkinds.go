package source

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ReadKind is one kind a live read asks the API server for.
type ReadKind struct {
	// GVK is the group, version and kind read (the version preferred; another served one is
	// read when the cluster lacks it).
	GVK schema.GroupVersionKind
	// Resource is the kind's REST resource (its plural), as RBAC rules name it.
	Resource string
	// Namespaced kinds are listed per namespace (or across all namespaces with -A).
	Namespaced bool
	// Optional kinds are CRDs a cluster may not have installed.
	Optional bool
}

// ReadKinds lists every kind ReadCluster reads from a live cluster, in the order it reads them:
// the kinds a Snapshot holds, then Namespaces (read for Gateway listeners' namespace
// selectors). It is what a least-privilege Role for kongdb grants get, list and watch on, so
// it is derived from the very table the reader walks.
func ReadKinds() []ReadKind {
	out := make([]ReadKind, 0, len(kinds)+1)
	for _, k := range kinds {
		out = append(out, readKind(k.gvk, k.namespaced, k.optional))
	}
	return append(out, readKind(namespaceGVK, false, false))
}

func readKind(gvk schema.GroupVersionKind, namespaced, optional bool) ReadKind {
	return ReadKind{GVK: gvk, Resource: plural(gvk.Kind), Namespaced: namespaced, Optional: optional}
}

// plural names a kind's resource as the API server does for every kind kongdb reads, Kong's
// CRDs included (IngressClassParameters' is ingressclassparameterses): lower case, "es" after
// an s, "ies" for a consonant's y, else "s". apimachinery's UnsafeGuessKindToResource would
// say "gatewaies"; pkg/install's tests check every CRD kind against its spec.names.plural.
func plural(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "s"):
		return k + "es"
	case strings.HasSuffix(k, "y") && len(k) > 1 && !strings.ContainsRune("aeiou", rune(k[len(k)-2])):
		return k[:len(k)-1] + "ies"
	}
	return k + "s"
}
