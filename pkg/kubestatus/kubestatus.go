// Package kubestatus writes what a sync did back into Kubernetes, where kubectl, Argo CD and
// external-dns look: GatewayClass and Gateway conditions and addresses, the parents of every
// Gateway API route, Ingress load-balancer addresses, and Programmed on Kong's CRDs. What to
// write is a pure function of one sync's result (Compute, unit-tested on typed objects); the
// Writer reads each object, applies the change and writes the status subresource only when it
// differs, so a sync with nothing new writes nothing.
//
// The semantics are KIC 3.5's where KIC writes status (reference/kic-controllers-and-conformance.md
// §2), and the Gateway API spec's where KIC does not or departs from it; docs/status.md lists
// every condition, reason and deviation.
package kubestatus

import (
	"fmt"
	"net"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kongdb/kubectl-kongdb/internal/redact"
	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/engine"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// Input is what one sync knew and did: the objects it read, how their translation went, what
// it put in Kong and how the writes went.
type Input struct {
	Snapshot    *source.Snapshot
	Diagnostics translate.Diagnostics
	// Desired is the state the sync asked Kong to hold; its entities' k8s-* tags say which
	// objects are in Kong.
	Desired *kongstate.State
	// Outcome is how the writes went (nil: nothing was written).
	Outcome *apply.Outcome
	// ControllerName is the GatewayClass controllerName served (routes' parent statuses carry it).
	ControllerName string
	// Addresses are the proxy's addresses (IPs or hostnames) for Gateways and Ingresses; none
	// leaves addresses as they are.
	Addresses []string
	// Namespace is the only namespace the sync read ("" for all): Gateways outside it were read
	// only for their routes' sake and their listeners' counts would be partial, so they are left.
	Namespace string
}

// InputOf is the Input of one engine run.
func InputOf(res *engine.Result, controllerName, namespace string, addresses []string) Input {
	return Input{Snapshot: res.Snapshot, Diagnostics: res.Diagnostics, Desired: res.Desired, Outcome: res.Outcome,
		ControllerName: controllerName, Namespace: namespace, Addresses: addresses}
}

// Change is the status one object should have.
type Change struct {
	// Object is an empty object of its kind naming it (namespace, name): what the writer reads.
	Object client.Object
	// Read is the object as the sync read it (status and resourceVersion included), nil when
	// unknown: the writer changes a copy of it first, so an object whose status holds costs no
	// request at all, and a stale copy costs one conflict and a fresh read.
	Read client.Object
	// Apply sets the status on obj, as read from the API server, keeping what is not this
	// tool's (other controllers' route parents, unknown condition types) and each condition's
	// lastTransitionTime when its status did not change; it reports whether anything changed.
	Apply func(obj client.Object, now metav1.Time) bool
}

// Describe is "Kind namespace/name" for errors and logs.
func (c Change) Describe() string {
	kind := fmt.Sprintf("%T", c.Object)
	if i := strings.LastIndex(kind, "."); i >= 0 {
		kind = kind[i+1:]
	}
	if c.Object.GetNamespace() == "" {
		return kind + " " + c.Object.GetName()
	}
	return kind + " " + c.Object.GetNamespace() + "/" + c.Object.GetName()
}

// Compute is every status change one sync calls for, in a stable order: GatewayClasses,
// Gateways, routes, Ingresses, then Kong's CRDs.
func Compute(in Input) []Change {
	if in.Snapshot == nil {
		return nil
	}
	k := newKnowledge(in)
	var out []Change
	out = append(out, k.gatewayClasses()...)
	out = append(out, k.gateways()...)
	out = append(out, k.routes()...)
	out = append(out, k.ingresses()...)
	out = append(out, k.kongObjects()...)
	return out
}

// objectKey names one Kubernetes object as entities' k8s-* tags and diagnostics do.
type objectKey struct{ kind, namespace, name string }

// knowledge is an Input indexed: which objects failed translation or a write, and which are in Kong.
type knowledge struct {
	in Input
	// failed holds why an object is not (fully) in Kong: its translation errors, then the
	// writes Kong refused.
	failed map[objectKey][]string
	// translationFailed marks the objects of failed whose translation failed.
	translationFailed map[objectKey]bool
	inKong            map[objectKey]bool
	refs              *translate.BackendRefs
}

func newKnowledge(in Input) *knowledge {
	k := &knowledge{in: in, failed: map[objectKey][]string{}, translationFailed: map[objectKey]bool{}, inKong: map[objectKey]bool{},
		refs: translate.NewBackendRefs(in.Snapshot)}
	for _, d := range in.Diagnostics.Errors() {
		key := objectKey{d.Kind, d.Namespace, d.Name}
		k.failed[key] = append(k.failed[key], strings.TrimPrefix(d.String(), "error: "))
		k.translationFailed[key] = true
	}
	if in.Outcome != nil {
		for _, r := range in.Outcome.Results {
			o := r.Op.Object
			if o == nil || r.Status == apply.Done {
				continue
			}
			key := objectKey{o.Kind, o.Namespace, o.Name}
			// r.Error names the op and carries Kong's answer, its secrets already hidden.
			k.failed[key] = append(k.failed[key], r.Error)
		}
	}
	in.Desired.EachTags(func(tags []*string) {
		plain := make([]string, 0, len(tags))
		for _, t := range tags {
			if t != nil {
				plain = append(plain, *t)
			}
		}
		if o := plan.ObjectOf(plain); o != nil {
			k.inKong[objectKey{o.Kind, o.Namespace, o.Name}] = true
		}
	})
	return k
}

// failure is why obj is not fully in Kong ("" when nothing failed): a few messages, each cut
// short, without URLs' credentials. Conditions are read by whoever may read the object.
func (k *knowledge) failure(key objectKey) string {
	const most, longest = 3, 1024
	msgs := k.failed[key]
	if len(msgs) > most {
		msgs = append(msgs[:most:most], fmt.Sprintf("and %d more", len(k.failed[key])-most))
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		if r := []rune(m); len(r) > longest {
			m = string(r[:longest]) + "…"
		}
		out[i] = redact.URLs(m)
	}
	return strings.Join(out, "; ")
}

// isIP tells an IP from a hostname, as KIC's address conversion does.
func isIP(a string) bool { return net.ParseIP(a) != nil }
