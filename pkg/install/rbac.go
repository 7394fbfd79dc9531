package install

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// The verbs, each granted for one reason:
var (
	// ReadVerbs on every kind pkg/source reads: list for a full read (one-shot sync, and the
	// informers' initial list and their relists), watch for the informers of watch mode, get for
	// the objects read one by one (a Gateway outside the namespace read that routes attach to).
	ReadVerbs = []string{"get", "list", "watch"}
	// StatusVerbs on the status subresource of the kinds whose status is written
	// (--update-status, pkg/kubestatus): get to read the current status, update to replace it
	// under the resourceVersion read (conflicts retried on a fresh read). The writer never
	// patches, and nothing else of these objects is ever written.
	StatusVerbs = []string{"get", "update"}
	// EventVerbs on core Events: create for a new Warning Event on an object that could not be
	// translated or applied (--record-events, KIC's reasons), patch for a recorder that
	// aggregates a repeated event into its count.
	EventVerbs = []string{"create", "patch"}
	// LeaseVerbs on coordination.k8s.io Leases, in the installation's namespace only (a Role):
	// get to read the holder, create for the first holder, update to take over an expired lease
	// and to renew it, delete for the sync lock's release (leader election releases by update).
	// No list or watch: each lease is read by its name.
	LeaseVerbs = []string{"get", "create", "update", "delete"}
)

// StatusKinds are the kinds whose status kongdb writes (pkg/kubestatus, after KIC 3.5; the
// list docs/status.md gives): Gateway API classes, Gateways and routes, Ingress load balancer
// addresses, and the Programmed condition of Kong's plugins, consumers and consumer groups.
// Each is a kind pkg/source reads (a test checks it), so its resource name comes from
// source.ReadKinds.
var StatusKinds = []schema.GroupKind{
	{Group: "networking.k8s.io", Kind: "Ingress"},
	{Group: "configuration.konghq.com", Kind: "KongPlugin"},
	{Group: "configuration.konghq.com", Kind: "KongClusterPlugin"},
	{Group: "configuration.konghq.com", Kind: "KongConsumer"},
	{Group: "configuration.konghq.com", Kind: "KongConsumerGroup"},
	{Group: "gateway.networking.k8s.io", Kind: "GatewayClass"},
	{Group: "gateway.networking.k8s.io", Kind: "Gateway"},
	{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"},
	{Group: "gateway.networking.k8s.io", Kind: "GRPCRoute"},
	{Group: "gateway.networking.k8s.io", Kind: "TCPRoute"},
	{Group: "gateway.networking.k8s.io", Kind: "UDPRoute"},
	{Group: "gateway.networking.k8s.io", Kind: "TLSRoute"},
}

// ClusterRules are the ClusterRole's rules: reads of every kind source.ReadKinds lists, status
// writes of StatusKinds, Events. Cluster-wide, since sync runs with --all-namespaces and
// several kinds (IngressClass, GatewayClass, KongClusterPlugin, KongVault, Namespace) are
// cluster-scoped. No wildcard, and no write of anything but status and Events: Secrets in
// particular are only read.
func ClusterRules() []rbacv1.PolicyRule {
	reads := map[string][]string{}
	resources := map[schema.GroupKind]string{}
	for _, k := range source.ReadKinds() {
		reads[k.GVK.Group] = append(reads[k.GVK.Group], k.Resource)
		resources[k.GVK.GroupKind()] = k.Resource
	}
	status := map[string][]string{}
	for _, gk := range StatusKinds {
		if r, ok := resources[gk]; ok {
			status[gk.Group] = append(status[gk.Group], r+"/status")
		}
	}
	rules := append(groupRules(reads, ReadVerbs), groupRules(status, StatusVerbs)...)
	return append(rules, rbacv1.PolicyRule{APIGroups: []string{corev1.GroupName}, Resources: []string{"events"}, Verbs: EventVerbs})
}

// NamespaceRules are the Role's rules in the installation's namespace: the Leases.
func NamespaceRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: LeaseVerbs}}
}

// groupRules is one rule per API group, groups and resources sorted.
func groupRules(byGroup map[string][]string, verbs []string) []rbacv1.PolicyRule {
	rules := make([]rbacv1.PolicyRule, 0, len(byGroup))
	for g, rs := range byGroup {
		rs = slices.Clone(rs)
		slices.Sort(rs)
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: slices.Compact(rs), Verbs: slices.Clone(verbs)})
	}
	slices.SortFunc(rules, func(a, b rbacv1.PolicyRule) int { return cmp.Compare(a.APIGroups[0], b.APIGroups[0]) })
	return rules
}

func rbac(o Options) []client.Object {
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: o.Name, Namespace: o.Namespace}}
	return []client.Object{
		&rbacv1.ClusterRole{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: o.clusterName(), Labels: o.labels()},
			Rules:      ClusterRules(),
		},
		&rbacv1.ClusterRoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: o.clusterName(), Labels: o.labels()},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: o.clusterName()},
			Subjects:   subject,
		},
		&rbacv1.Role{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
			ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: o.labels()},
			Rules:      NamespaceRules(),
		},
		&rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: o.labels()},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: o.Name},
			Subjects:   subject,
		},
	}
}
