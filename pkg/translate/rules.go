package translate

import (
	"strconv"

	"github.com/kong/go-kong/kong"
	corev1 "k8s.io/api/core/v1"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// portMode says how a backend names its Service port, which KIC keeps in service names.
type portMode int

const (
	portModeImplicit portMode = iota
	portModeByNumber
	portModeByName
)

// portDef is a reference to a Service port (KIC's kongstate.PortDef).
type portDef struct {
	Mode   portMode
	Name   string
	Number int32
}

// canonical is the port as KIC writes it in service and upstream names.
func (p portDef) canonical() string {
	switch p.Mode {
	case portModeByNumber:
		return strconv.Itoa(int(p.Number))
	case portModeByName:
		return p.Name
	}
	return "implicitPort"
}

// serviceBackend is one Kubernetes Service (and port) behind a Kong service.
type serviceBackend struct {
	Namespace string
	Name      string
	Port      portDef
	// Weight is set by Gateway API backendRefs; nil means unweighted.
	Weight *int32
}

// kongService is a Kong service under construction: the entity plus what KIC's
// ServiceNameToServices entry carries until the service is complete.
type kongService struct {
	kong.Service
	// Namespace is the namespace of the route object that made the service.
	Namespace string
	Backends  []serviceBackend
	// Parent is the route object (Ingress, HTTPRoute, ...) that made the service; its tags are
	// used when the service has several Kubernetes backends.
	Parent object
	Routes []*kongRoute
	// Plugins are plugins the kind generated for the service itself.
	Plugins []*kong.Plugin

	// k8sServices are the resolved backends by namespace/name, filled by populateServices.
	k8sServices map[string]*corev1.Service
	// k8sServiceKeys are the keys of k8sServices, sorted.
	k8sServiceKeys []string
}

// kongRoute is a Kong route under construction with the object whose annotations and plugins
// apply to it.
type kongRoute struct {
	kongstate.Route
	// Parent is the route object; konghq.com/* route annotations and konghq.com/plugins on it
	// apply to the route.
	Parent object
}

// entity returns the finished kongstate service with its routes.
func (s *kongService) entity() *kongstate.Service {
	out := &kongstate.Service{Service: s.Service, Plugins: s.Plugins}
	for _, r := range s.Routes {
		rr := r.Route
		out.Routes = append(out.Routes, &rr)
	}
	return out
}

// ruleSet is one kind's contribution (KIC's ingressRules): Kong services by name and the
// Secrets whose certificates must be served for which SNIs.
type ruleSet struct {
	services map[string]*kongService
	order    []string // service names in insertion order, for determinism
	snis     *secretSNIs
}

func newRuleSet() *ruleSet {
	return &ruleSet{services: map[string]*kongService{}, snis: newSecretSNIs()}
}

// service returns the service called name, creating it with create on first use.
func (rs *ruleSet) service(name string, create func() *kongService) *kongService {
	if s, ok := rs.services[name]; ok {
		return s
	}
	s := create()
	s.Name = kong.String(name)
	rs.services[name] = s
	rs.order = append(rs.order, name)
	return s
}

// addSNIs records that the TLS Secret namespace/name serves hosts for parent.
func (rs *ruleSet) addSNIs(namespace, name string, hosts []string, parent object) {
	key := nsName(namespace, name)
	rs.snis.addHosts(key, hosts...)
	rs.snis.addParent(key, parent)
}

// merge adds o to rs; a service of o replaces one of the same name in rs (KIC's
// mergeIngressRules), SNIs accumulate.
func (rs *ruleSet) merge(o *ruleSet) {
	if o == nil {
		return
	}
	for _, name := range o.order {
		if _, ok := rs.services[name]; !ok {
			rs.order = append(rs.order, name)
		}
		rs.services[name] = o.services[name]
	}
	for _, key := range o.snis.order {
		e := o.snis.entries[key]
		for _, p := range e.parents {
			rs.snis.addParent(key, p)
		}
		rs.snis.addHosts(key, e.hosts...)
	}
}

// secretSNIs is KIC's SecretNameToSNIs: per TLS Secret, the hosts it serves and the objects that
// asked for it. A host belongs to the first Secret that claims it.
type secretSNIs struct {
	entries   map[string]*sniEntry
	order     []string
	seenHosts map[string]bool
}

type sniEntry struct {
	hosts   []string
	parents []object
	// parentKeys makes adding a parent constant-time even when thousands of objects share one
	// wildcard certificate.
	parentKeys map[string]bool
}

func newSecretSNIs() *secretSNIs {
	return &secretSNIs{entries: map[string]*sniEntry{}, seenHosts: map[string]bool{}}
}

func (m *secretSNIs) entry(key string) *sniEntry {
	e, ok := m.entries[key]
	if !ok {
		e = &sniEntry{}
		m.entries[key] = e
		m.order = append(m.order, key)
	}
	return e
}

func (m *secretSNIs) addHosts(key string, hosts ...string) {
	e := m.entry(key)
	for _, h := range hosts {
		if m.seenHosts[h] {
			continue
		}
		m.seenHosts[h] = true
		e.hosts = append(e.hosts, h)
	}
}

func (m *secretSNIs) addParent(key string, parent object) {
	e := m.entry(key)
	pk := kindOf(parent) + "/" + parent.GetNamespace() + "/" + parent.GetName() + "/" + string(parent.GetUID())
	if e.parentKeys == nil {
		e.parentKeys = map[string]bool{}
	}
	if e.parentKeys[pk] {
		return
	}
	e.parentKeys[pk] = true
	e.parents = append(e.parents, parent)
}
