package translate

import (
	"fmt"
	"slices"
	"time"

	"github.com/kong/go-kong/kong"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kongdb/kubectl-kongdb/internal/kongversion"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// Options are the settings of one translation: the KIC flags and feature gates that change
// what KIC's translator produces, and kongdb's ownership tag.
type Options struct {
	// IngressClass is the class this tool serves (KIC's --ingress-class, default "kong"). The
	// snapshot is already filtered by it; translation uses it to find IngressClassParameters.
	IngressClass string
	// ControllerName is the GatewayClass controllerName served (default
	// konghq.com/kic-gateway-controller); used by the Gateway API kinds.
	ControllerName string
	// OwnershipTag is added to every entity and to _info.select_tags (default
	// managed-by-kongdb; KIC's is managed-by-ingress-controller).
	OwnershipTag string
	// Workspace prefixes the UUIDv5 keys, as KIC's --kong-workspace does.
	Workspace string
	// ClusterDomain is appended to service-upstream targets (KIC's --cluster-domain, default "").
	ClusterDomain string
	// EnableDrainSupport keeps terminating endpoints as targets of weight 0.
	EnableDrainSupport bool
	// RewriteURIs is KIC's RewriteURIs feature gate (default off): enables konghq.com/rewrite.
	RewriteURIs bool
	// CombinedServicesFromDifferentHTTPRoutes is KIC's flag of that name (default false in
	// v3.5.13, internal/cmd/rootcmd/config/cli.go).
	CombinedServicesFromDifferentHTTPRoutes bool
	// KongVersion is the Kong Gateway version KIC would see (kongversion.Version); some translations
	// depend on it (the redirect plugin from 3.9, sticky sessions from 3.11).
	KongVersion string
	// Now is the time CA certificates are checked for expiry against (KIC drops expired ones).
	// The zero time skips the check, which keeps translation free of clocks; the command sets it.
	Now time.Time
}

// DefaultOptions are KIC 3.5's defaults with kongdb's own ownership tag.
func DefaultOptions() Options {
	return Options{
		IngressClass:   "kong",
		ControllerName: "konghq.com/kic-gateway-controller",
		OwnershipTag:   "managed-by-kongdb",
		KongVersion:    kongversion.Version,
	}
}

// object is what every Kubernetes object is: metadata plus a kind.
type object interface {
	metav1.Object
	runtime.Object
}

// translator holds one translation's inputs, indexes and results; per-kind files add methods.
type translator struct {
	snap *source.Snapshot
	opts Options
	idx  *index

	diags Diagnostics
	state kongstate.State
	// upstreamServices pairs each upstream with the service it was built for.
	upstreamServices []upstreamOf
	// consumers and consumerGroups keep each entity's Kubernetes object for plugin attachment.
	consumers      []*consumerEntry
	consumerGroups []*consumerGroupEntry
}

// Translate computes the Kong state KIC 3.5 would compute from snap, and a diagnostic for every
// object (or part of one) it left out. It never fails as a whole: what cannot be translated is
// reported and skipped. snap is not modified.
func Translate(snap *source.Snapshot, opts Options) (*kongstate.State, Diagnostics) {
	if snap == nil {
		snap = &source.Snapshot{}
	}
	t := &translator{snap: snap, opts: opts, idx: newIndex(snap)}
	t.run()
	return &t.state, t.diags.normalize()
}

func (t *translator) run() {
	rules := newRuleSet()
	for _, rs := range t.ruleSets() {
		rules.merge(rs)
	}
	skip := t.populateServices(rules)
	services := t.buildUpstreams(rules, skip)
	t.applyOverrides(services)
	t.fillConsumers()
	t.fillVaults()
	t.fillConsumerGroups()
	t.fillPlugins(services)
	t.state.Services = make([]*kongstate.Service, 0, len(services))
	for _, s := range services {
		t.state.Services = append(t.state.Services, s.entity())
	}
	t.fillCertificates(rules, services)
	t.fillCACertificates()
	for _, err := range t.state.FillIDs(t.opts.Workspace) {
		// The entity stays, as KIC keeps it, but without a deterministic ID Kong gives it a
		// random one, which a later sync cannot match: worth a warning.
		t.diags = append(t.diags, Diagnostic{Severity: SeverityWarning, Kind: "Kong " + err.Entity, Name: err.Name,
			Reason: fmt.Sprintf("left without an ID, so Kong will give it a random one: %v", err.Err)})
	}
	if t.opts.OwnershipTag != "" {
		t.state.MergeTags(t.opts.OwnershipTag)
	}
	t.sortState()
}

// ruleSets returns every route-producing kind's contribution in KIC's merge order.
func (t *translator) ruleSets() []*ruleSet {
	return []*ruleSet{
		t.translateIngresses(),
		t.translateTCPIngresses(),
		t.translateUDPIngresses(),
		t.translateHTTPRoutes(),
		t.translateUDPRoutes(),
		t.translateTCPRoutes(),
		t.translateTLSRoutes(),
		t.translateGRPCRoutes(),
	}
}

// sortState puts entities into a canonical order so that equal snapshots give equal states
// (Go map iteration would otherwise leak into the output); ToDeck re-sorts in deckgen's order.
func (t *translator) sortState() {
	byName := func(a, b *string) int { return compareStr(deref(a), deref(b)) }
	slices.SortFunc(t.state.Services, func(a, b *kongstate.Service) int { return byName(a.Name, b.Name) })
	slices.SortFunc(t.state.Upstreams, func(a, b *kongstate.Upstream) int { return byName(a.Name, b.Name) })
	slices.SortFunc(t.state.Certificates, func(a, b *kongstate.Certificate) int { return byName(a.ID, b.ID) })
	slices.SortFunc(t.state.CACertificates, func(a, b *kong.CACertificate) int { return byName(a.ID, b.ID) })
	slices.SortFunc(t.state.Plugins, func(a, b *kong.Plugin) int { return byName(a.ID, b.ID) })
	slices.SortFunc(t.state.Consumers, func(a, b *kongstate.Consumer) int {
		if c := byName(a.Username, b.Username); c != 0 {
			return c
		}
		return byName(a.CustomID, b.CustomID)
	})
	slices.SortFunc(t.state.ConsumerGroups, func(a, b *kongstate.ConsumerGroup) int { return byName(a.Name, b.Name) })
	slices.SortFunc(t.state.Vaults, func(a, b *kong.Vault) int { return byName(a.Prefix, b.Prefix) })
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// secretKey is "namespace/name", the key of every namespaced index.
func nsName(namespace, name string) string { return namespace + "/" + name }

// k8sService returns the Service namespace/name, or nil.
func (t *translator) k8sService(namespace, name string) *corev1.Service {
	return t.idx.services[nsName(namespace, name)]
}
