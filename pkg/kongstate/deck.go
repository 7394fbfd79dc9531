package kongstate

import (
	"cmp"
	"slices"

	"github.com/kong/go-database-reconciler/pkg/file"
	"github.com/kong/go-kong/kong"
)

// DeckFormatVersion is the decK file format KIC 3.5's deckgen writes.
const DeckFormatVersion = "3.0"

// DeckOptions shape the decK content.
type DeckOptions struct {
	// SelectTags go to _info.select_tags; decK (and KIC's database push) reads and writes only
	// entities carrying all of them.
	SelectTags []string
	// ExpressionRoutes is true when Kong runs the expressions router; then routes get no
	// path_handling default (as KIC's deckgen.fillRoute).
	ExpressionRoutes bool
}

// ToDeck converts s into decK's declarative content exactly as KIC's deckgen.ToDeckContent
// shapes it: the same nesting (routes and generated plugins under services, targets under
// upstreams, credentials and groups under consumers), the same defaults it fills
// (https_redirect_status_code 426, path_handling v0, upstream algorithm round-robin) and the
// same order (names descending, consumers by username then custom_id ascending). Plugin config
// defaults from Kong's schemas are not filled: that needs a live Kong and is the planner's job.
// s is not modified.
func ToDeck(s *State, opts DeckOptions) *file.Content {
	c := &file.Content{FormatVersion: DeckFormatVersion}
	if s == nil {
		return c
	}
	// The deck* conversions share the entities' memory; the copy keeps s unmodified by
	// whoever edits the content.
	s = s.DeepCopy()
	for _, svc := range sortedDesc(s.Services, func(svc *Service) string { return deref(svc.Name) }) {
		c.Services = append(c.Services, deckService(svc, opts))
	}
	for _, p := range sortedDesc(s.Plugins, pluginString) {
		c.Plugins = append(c.Plugins, file.FPlugin{Plugin: *p})
	}
	for _, cg := range sortedDesc(s.ConsumerGroups, func(g *ConsumerGroup) string { return deref(g.Name) }) {
		c.ConsumerGroups = append(c.ConsumerGroups, file.FConsumerGroupObject{ConsumerGroup: cg.ConsumerGroup})
	}
	for _, u := range sortedDesc(s.Upstreams, func(u *Upstream) string { return deref(u.Name) }) {
		c.Upstreams = append(c.Upstreams, deckUpstream(u))
	}
	for _, cert := range sortedDesc(s.Certificates, func(c *Certificate) string { return deref(c.Cert) }) {
		c.Certificates = append(c.Certificates, deckCertificate(cert, opts.SelectTags))
	}
	for _, ca := range sortedDesc(s.CACertificates, func(c *kong.CACertificate) string { return deref(c.Cert) }) {
		c.CACertificates = append(c.CACertificates, file.FCACertificate{CACertificate: *ca})
	}
	for _, con := range deckConsumers(s.Consumers) {
		c.Consumers = append(c.Consumers, deckConsumer(con))
	}
	for _, v := range sortedDesc(s.Vaults, func(v *kong.Vault) string { return deref(v.Prefix) }) {
		c.Vaults = append(c.Vaults, file.FVault{Vault: *v})
	}
	c.Info = deckInfo(opts)
	return c
}

func deckInfo(opts DeckOptions) *file.Info {
	if len(opts.SelectTags) == 0 {
		return nil
	}
	return &file.Info{SelectorTags: slices.Clone(opts.SelectTags)}
}

// The deck* conversions below wrap the entities they are given without copying them, and
// never modify them: defaults are set on the wrapper's own fields.

// deckService nests the service's routes and plugins in deckgen's order, routes defaulted.
func deckService(svc *Service, opts DeckOptions) file.FService {
	fs := file.FService{Service: svc.Service}
	fs.Plugins = deckPlugins(svc.Plugins)
	for _, r := range sortedDesc(svc.Routes, func(r *Route) string { return deref(r.Name) }) {
		fr := &file.FRoute{Route: r.Route, Plugins: deckPlugins(r.Plugins)}
		if fr.HTTPSRedirectStatusCode == nil {
			fr.HTTPSRedirectStatusCode = kong.Int(426)
		}
		if fr.PathHandling == nil && !opts.ExpressionRoutes {
			fr.PathHandling = kong.String("v0")
		}
		fs.Routes = append(fs.Routes, fr)
	}
	return fs
}

// deckPlugins wraps nested plugins, names descending.
func deckPlugins(ps []*kong.Plugin) []*file.FPlugin {
	var out []*file.FPlugin
	for _, p := range sortedDesc(ps, func(p *kong.Plugin) string { return deref(p.Name) }) {
		out = append(out, &file.FPlugin{Plugin: *p})
	}
	return out
}

func deckUpstream(u *Upstream) file.FUpstream {
	fu := file.FUpstream{Upstream: u.Upstream}
	if fu.Algorithm == nil {
		fu.Algorithm = kong.String("round-robin")
	}
	for _, t := range sortedDesc(u.Targets, func(t *kong.Target) string { return deref(t.Target) }) {
		fu.Targets = append(fu.Targets, &file.FTarget{Target: *t})
	}
	return fu
}

// deckConsumers is the consumers deckgen writes, in its order.
func deckConsumers(cons []*Consumer) []*Consumer {
	var out []*Consumer
	for _, con := range cons {
		if con.Username == nil && con.CustomID == nil {
			continue // deckgen drops such consumers; translation never makes them.
		}
		out = append(out, con)
	}
	slices.SortStableFunc(out, compareConsumers)
	return out
}

func deckCertificate(cert *Certificate, selectTags []string) file.FCertificate {
	k := &cert.Certificate
	f := file.FCertificate{ID: k.ID, Cert: k.Cert, Key: k.Key, Tags: k.Tags}
	for _, name := range k.SNIs {
		sni := kong.SNI{Name: name}
		if k.ID != nil {
			sni.Certificate = &kong.Certificate{ID: k.ID}
		}
		// decK's builder gives SNIs the select tags; saying so here keeps the file and
		// the database equal.
		for _, t := range selectTags {
			sni.Tags = append(sni.Tags, kong.String(t))
		}
		f.SNIs = append(f.SNIs, sni)
	}
	return f
}

func deckConsumer(con *Consumer) file.FConsumer {
	f := file.FConsumer{
		Consumer: con.Consumer, Groups: con.Groups,
		KeyAuths: con.KeyAuths, HMACAuths: con.HMACAuths, BasicAuths: con.BasicAuths, JWTAuths: con.JWTAuths,
		ACLGroups: con.ACLGroups, Oauth2Creds: con.Oauth2Creds, MTLSAuths: con.MTLSAuths,
	}
	for _, p := range con.Plugins {
		f.Plugins = append(f.Plugins, &file.FPlugin{Plugin: *p})
	}
	return f
}

// deepCopier is every go-kong entity: they all have a generated DeepCopy.
type deepCopier[T any] interface {
	*T
	DeepCopy() *T
}

func cloneAll[T any, P deepCopier[T]](in []P) []P {
	if in == nil {
		return nil
	}
	out := make([]P, len(in))
	for i, v := range in {
		out[i] = v.DeepCopy()
	}
	return out
}

// sortedDesc returns s ordered by key, greatest first, stably: deckgen's order
// (strings.Compare(a, b) > 0). s itself keeps its order.
func sortedDesc[T any](s []T, key func(T) string) []T {
	out := slices.Clone(s)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(key(b), key(a)) })
	return out
}

// pluginString is deckgen.PluginString: name then the IDs of consumer, consumer group, route
// and service, in that order.
func pluginString(p *kong.Plugin) string {
	s := deref(p.Name)
	if p.Consumer != nil {
		s += deref(p.Consumer.ID)
	}
	if p.ConsumerGroup != nil {
		s += deref(p.ConsumerGroup.ID)
	}
	if p.Route != nil {
		s += deref(p.Route.ID)
	}
	if p.Service != nil {
		s += deref(p.Service.ID)
	}
	return s
}

// compareConsumers is deckgen's fConsumerByUsernameAndCustomID: absent before present,
// username first, then custom_id, ascending.
func compareConsumers(a, b *Consumer) int {
	if c := comparePtr(a.Username, b.Username); c != 0 {
		return c
	}
	return comparePtr(a.CustomID, b.CustomID)
}

func comparePtr(a, b *string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(*a, *b)
}
