package source

import (
	"fmt"

	netv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults of the pre-filtering options, the same as KIC's flags.
const (
	// DefaultIngressClass is KIC's --ingress-class default.
	DefaultIngressClass = "kong"
	// DefaultGatewayClassController is the controllerName KIC's GatewayClass controller serves.
	DefaultGatewayClassController = "konghq.com/kic-gateway-controller"
	// IngressClassController is the spec.controller of the IngressClasses KIC lists.
	IngressClassController = "ingress-controllers.konghq.com/kong"

	ingressClassAnnotation   = "kubernetes.io/ingress.class"
	defaultClassAnnotation   = "ingressclass.kubernetes.io/is-default-class"
	unmanagedClassAnnotation = "konghq.com/gatewayclass-unmanaged"
)

// Options are the pre-filtering choices KIC takes from its flags.
type Options struct {
	// IngressClass is the class this tool serves (--ingress-class); empty means "kong".
	IngressClass string
	// GatewayClassController is the GatewayClass controllerName this tool serves
	// (--gateway-class-controller); empty means KIC's.
	GatewayClassController string
}

func (o Options) withDefaults() Options {
	if o.IngressClass == "" {
		o.IngressClass = DefaultIngressClass
	}
	if o.GatewayClassController == "" {
		o.GatewayClassController = DefaultGatewayClassController
	}
	return o
}

// origin says where objects came from: what the reader cannot know from manifests (a class
// or a Gateway that is not among them) is decided differently from a live cluster.
type origin int

const (
	fromCluster origin = iota
	fromManifests
)

// input is everything a reader collected, before pre-filtering.
type input struct {
	snap *Snapshot
	// namespaceLabels holds the labels of the Namespaces read, for allowedRoutes selectors.
	namespaceLabels map[string]map[string]string
	origin          origin
	// readNamespace is the only namespace a live read covered; "" means all namespaces.
	readNamespace string
}

// classMatching is KIC's annotations.ClassMatching: how an object's class value is compared
// with the class this tool serves.
type classMatching int

const (
	exactClass        classMatching = iota // the value must equal the class
	exactOrEmptyClass                      // ... or be empty
)

func classMatches(value, class string, m classMatching) bool {
	return value == class || (m == exactOrEmptyClass && value == "")
}

// prefilter keeps the objects KIC's controllers would hand to its translator: objects of this
// tool's ingress class, and Gateway API routes accepted by a Gateway of a class this tool
// serves. It writes notes for what it cannot decide and returns the filtered Snapshot.
func prefilter(in input, opts Options) *Snapshot {
	opts = opts.withDefaults()
	src := in.snap
	out := &Snapshot{Complete: src.Complete, Notes: src.Notes, Selector: src.Selector, Existing: src.Existing}
	f := &filterer{in: in, opts: opts, out: out}

	// KIC resolves the default-class rule against the IngressClass named --ingress-class,
	// whatever its controller.
	var ourClass *netv1.IngressClass
	for _, c := range src.IngressClasses {
		if c.Name == opts.IngressClass {
			ourClass = c
		}
		if c.Spec.Controller == IngressClassController {
			out.IngressClasses = append(out.IngressClasses, c)
		}
	}
	classKnown := ourClass != nil || in.origin == fromCluster
	isDefault := ourClass != nil && ourClass.Annotations[defaultClassAnnotation] == "true"
	// CRDs: an empty class is accepted when our class is the default one (store.go's
	// getIngressClassHandling). From manifests without the IngressClass we cannot know, so we
	// accept and say so.
	crdMatching := exactClass
	if isDefault || !classKnown {
		crdMatching = exactOrEmptyClass
	}

	for _, ing := range src.Ingresses {
		if f.keepIngress(ing, isDefault, classKnown) {
			out.Ingresses = append(out.Ingresses, ing)
		}
	}
	out.TCPIngresses = keepByClass(f, src.TCPIngresses, "TCPIngress", crdMatching, classKnown)
	out.UDPIngresses = keepByClass(f, src.UDPIngresses, "UDPIngress", crdMatching, classKnown)
	out.KongConsumers = keepByClass(f, src.KongConsumers, "KongConsumer", crdMatching, classKnown)
	out.KongConsumerGroups = keepByClass(f, src.KongConsumerGroups, "KongConsumerGroup", crdMatching, classKnown)
	out.KongClusterPlugins = keepByClass(f, src.KongClusterPlugins, "KongClusterPlugin", crdMatching, classKnown)
	out.KongVaults = keepByClass(f, src.KongVaults, "KongVault", crdMatching, classKnown)

	// Kinds KIC reads without class filtering.
	out.Services = src.Services
	out.EndpointSlices = src.EndpointSlices
	out.Secrets = src.Secrets
	out.ConfigMaps = src.ConfigMaps
	out.IngressClassParameters = src.IngressClassParameters
	out.KongPlugins = src.KongPlugins
	out.KongIngresses = src.KongIngresses
	out.KongUpstreamPolicies = src.KongUpstreamPolicies
	out.ReferenceGrants = src.ReferenceGrants

	f.filterGatewayAPI()
	return out
}

type filterer struct {
	in   input
	opts Options
	out  *Snapshot
}

func (f *filterer) notef(format string, args ...any) {
	f.out.Notes = append(f.out.Notes, fmt.Sprintf(format, args...))
}

// keepIngress is KIC's ListIngressesV1: the legacy annotation wins over spec.ingressClassName,
// both must match exactly, and an Ingress with neither is ours only when our IngressClass is
// the cluster's default.
func (f *filterer) keepIngress(ing *netv1.Ingress, isDefault, classKnown bool) bool {
	if v := ing.Annotations[ingressClassAnnotation]; v != "" {
		return v == f.opts.IngressClass
	}
	if ing.Spec.IngressClassName != nil {
		return *ing.Spec.IngressClassName == f.opts.IngressClass
	}
	if !classKnown {
		f.notef("Ingress %s/%s has no ingress class and IngressClass %q is not among the manifests: "+
			"translated as if %q were the default class", ing.Namespace, ing.Name, f.opts.IngressClass, f.opts.IngressClass)
		return true
	}
	return isDefault
}

// keepByClass filters a Kong CRD kind by its kubernetes.io/ingress.class annotation.
func keepByClass[P interface {
	GetAnnotations() map[string]string
	GetNamespace() string
	GetName() string
}](
	f *filterer, objs []P, kind string, m classMatching, classKnown bool,
) []P {
	var kept []P
	for _, o := range objs {
		v := o.GetAnnotations()[ingressClassAnnotation]
		if !classMatches(v, f.opts.IngressClass, m) {
			continue
		}
		if v == "" && !classKnown {
			f.notef("%s %s has no %s annotation and IngressClass %q is not among the manifests: "+
				"translated as if %q were the default class", kind, objectKey(o), ingressClassAnnotation,
				f.opts.IngressClass, f.opts.IngressClass)
		}
		kept = append(kept, o)
	}
	return kept
}

func objectKey(o interface {
	GetNamespace() string
	GetName() string
}) string {
	if o.GetNamespace() == "" {
		return o.GetName()
	}
	return o.GetNamespace() + "/" + o.GetName()
}

// conditionStatus returns the status of the condition of type t, or "" when absent.
func conditionStatus(conds []metav1.Condition, t string) metav1.ConditionStatus {
	for _, c := range conds {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}
