package kubestatus

import (
	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	kongv1beta1 "github.com/kong/kubernetes-configuration/api/configuration/v1beta1"
	netv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// KIC's Programmed condition on Kong's CRDs (internal/controllers/utils/conditions.go).
const (
	ConditionProgrammed = "Programmed"
	ReasonProgrammed    = "Programmed"
	ReasonInvalid       = "Invalid"
	ReasonPending       = "Pending"

	messageProgrammed = "Object was successfully configured in Kong."
	messagePending    = "Object is pending configuration in Kong."
)

// ingresses: an Ingress of our class whose translation did not fail gets the proxy's addresses
// (KIC writes none on an Ingress that failed translation, and never ports).
func (k *knowledge) ingresses() []Change {
	if len(k.in.Addresses) == 0 {
		return nil
	}
	var lb []netv1.IngressLoadBalancerIngress
	for _, a := range k.in.Addresses {
		if isIP(a) {
			lb = append(lb, netv1.IngressLoadBalancerIngress{IP: a})
		} else {
			lb = append(lb, netv1.IngressLoadBalancerIngress{Hostname: a})
		}
	}
	var out []Change
	for _, ing := range k.in.Snapshot.Ingresses {
		if k.translationFailed[objectKey{"Ingress", ing.Namespace, ing.Name}] {
			continue
		}
		out = append(out, Change{
			Object: &netv1.Ingress{ObjectMeta: nameOf(ing)},
			Read:   ing,
			Apply: func(obj client.Object, _ metav1.Time) bool {
				o := obj.(*netv1.Ingress)
				if equality.Semantic.DeepEqual(o.Status.LoadBalancer.Ingress, lb) {
					return false
				}
				o.Status.LoadBalancer.Ingress = lb
				return true
			},
		})
	}
	return out
}

// kongObjects: Programmed on KongConsumer and KongConsumerGroup (as KIC) and, beyond KIC, on
// KongPlugin and KongClusterPlugin, whose failures KIC leaves invisible.
func (k *knowledge) kongObjects() []Change {
	var out []Change
	snap := k.in.Snapshot
	for _, o := range snap.KongConsumers {
		out = k.programmed(out, "KongConsumer", o, &kongv1.KongConsumer{ObjectMeta: nameOf(o)}, true,
			func(obj client.Object) *[]metav1.Condition { return &obj.(*kongv1.KongConsumer).Status.Conditions })
	}
	for _, o := range snap.KongConsumerGroups {
		out = k.programmed(out, "KongConsumerGroup", o, &kongv1beta1.KongConsumerGroup{ObjectMeta: nameOf(o)}, true,
			func(obj client.Object) *[]metav1.Condition {
				return &obj.(*kongv1beta1.KongConsumerGroup).Status.Conditions
			})
	}
	for _, o := range snap.KongPlugins {
		out = k.programmed(out, "KongPlugin", o, &kongv1.KongPlugin{ObjectMeta: nameOf(o)}, false,
			func(obj client.Object) *[]metav1.Condition { return &obj.(*kongv1.KongPlugin).Status.Conditions })
	}
	for _, o := range snap.KongClusterPlugins {
		out = k.programmed(out, "KongClusterPlugin", o, &kongv1.KongClusterPlugin{ObjectMeta: nameOf(o)}, false,
			func(obj client.Object) *[]metav1.Condition { return &obj.(*kongv1.KongClusterPlugin).Status.Conditions })
	}
	return out
}

// programmed appends the Programmed change of one Kong object: True when it is in Kong and
// nothing of it failed, False/Invalid with the reason when its translation or a write of it
// failed, and otherwise False/Pending, only where no Programmed is set yet (KIC never
// downgrades to Pending). Plugins nothing refers to are not this tool's to judge (another
// ingress class may use them): they get nothing.
func (k *knowledge) programmed(out []Change, kind string, src client.Object, empty client.Object, pendingIfAbsent bool,
	conds func(client.Object) *[]metav1.Condition,
) []Change {
	key := objectKey{kind, src.GetNamespace(), src.GetName()}
	gen := src.GetGeneration()
	var want metav1.Condition
	onlyIfAbsent := false
	switch msg := k.failure(key); {
	case msg != "":
		want = condition(ConditionProgrammed, metav1.ConditionFalse, ReasonInvalid, msg, gen)
	case k.inKong[key]:
		want = condition(ConditionProgrammed, metav1.ConditionTrue, ReasonProgrammed, messageProgrammed, gen)
	case pendingIfAbsent:
		want = condition(ConditionProgrammed, metav1.ConditionFalse, ReasonPending, messagePending, gen)
		onlyIfAbsent = true
	default:
		return out
	}
	return append(out, Change{
		Object: empty,
		Read:   src,
		Apply: func(obj client.Object, now metav1.Time) bool {
			c := conds(obj)
			if onlyIfAbsent && meta.FindStatusCondition(*c, ConditionProgrammed) != nil {
				return false
			}
			before := append([]metav1.Condition(nil), *c...)
			setConditions(c, now, want)
			return !equality.Semantic.DeepEqual(before, *c)
		},
	})
}
