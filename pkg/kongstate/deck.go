package kongstate

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/kong/go-database-reconciler/pkg/file"
	"github.com/kong/go-kong/kong"
	"sigs.k8s.io/yaml"
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
	for _, svc := range s.Services {
		fs := file.FService{Service: *svc.Service.DeepCopy()}
		for _, p := range svc.Plugins {
			fs.Plugins = append(fs.Plugins, &file.FPlugin{Plugin: *p.DeepCopy()})
		}
		sortDesc(fs.Plugins, func(p *file.FPlugin) string { return deref(p.Name) })
		for _, r := range svc.Routes {
			fr := &file.FRoute{Route: *r.Route.DeepCopy()}
			if fr.HTTPSRedirectStatusCode == nil {
				fr.HTTPSRedirectStatusCode = kong.Int(426)
			}
			if fr.PathHandling == nil && !opts.ExpressionRoutes {
				fr.PathHandling = kong.String("v0")
			}
			for _, p := range r.Plugins {
				fr.Plugins = append(fr.Plugins, &file.FPlugin{Plugin: *p.DeepCopy()})
			}
			sortDesc(fr.Plugins, func(p *file.FPlugin) string { return deref(p.Name) })
			fs.Routes = append(fs.Routes, fr)
		}
		sortDesc(fs.Routes, func(r *file.FRoute) string { return deref(r.Name) })
		c.Services = append(c.Services, fs)
	}
	sortDesc(c.Services, func(s file.FService) string { return deref(s.Name) })

	for _, p := range s.Plugins {
		c.Plugins = append(c.Plugins, file.FPlugin{Plugin: *p.DeepCopy()})
	}
	sortDesc(c.Plugins, pluginString)

	for _, cg := range s.ConsumerGroups {
		c.ConsumerGroups = append(c.ConsumerGroups, file.FConsumerGroupObject{ConsumerGroup: *cg.ConsumerGroup.DeepCopy()})
	}
	sortDesc(c.ConsumerGroups, func(g file.FConsumerGroupObject) string { return deref(g.Name) })

	for _, u := range s.Upstreams {
		fu := file.FUpstream{Upstream: *u.Upstream.DeepCopy()}
		if fu.Algorithm == nil {
			fu.Algorithm = kong.String("round-robin")
		}
		for _, t := range u.Targets {
			fu.Targets = append(fu.Targets, &file.FTarget{Target: *t.DeepCopy()})
		}
		sortDesc(fu.Targets, func(t *file.FTarget) string { return deref(t.Target.Target) })
		c.Upstreams = append(c.Upstreams, fu)
	}
	sortDesc(c.Upstreams, func(u file.FUpstream) string { return deref(u.Name) })

	for _, cert := range s.Certificates {
		c.Certificates = append(c.Certificates, deckCertificate(cert, opts.SelectTags))
	}
	sortDesc(c.Certificates, func(f file.FCertificate) string { return deref(f.Cert) })

	for _, ca := range s.CACertificates {
		c.CACertificates = append(c.CACertificates, file.FCACertificate{CACertificate: *ca.DeepCopy()})
	}
	sortDesc(c.CACertificates, func(f file.FCACertificate) string { return deref(f.Cert) })

	for _, con := range s.Consumers {
		if con.Username == nil && con.CustomID == nil {
			continue // deckgen drops such consumers; translation never makes them.
		}
		c.Consumers = append(c.Consumers, deckConsumer(con))
	}
	slices.SortStableFunc(c.Consumers, compareConsumers)

	for _, v := range s.Vaults {
		c.Vaults = append(c.Vaults, file.FVault{Vault: *v.DeepCopy()})
	}
	sortDesc(c.Vaults, func(v file.FVault) string { return deref(v.Prefix) })

	if len(opts.SelectTags) > 0 {
		c.Info = &file.Info{SelectorTags: slices.Clone(opts.SelectTags)}
	}
	return c
}

func deckCertificate(cert *Certificate, selectTags []string) file.FCertificate {
	k := cert.Certificate.DeepCopy()
	f := file.FCertificate{ID: k.ID, Cert: k.Cert, Key: k.Key, Tags: k.Tags}
	for _, name := range k.SNIs {
		sni := kong.SNI{Name: name}
		if k.ID != nil {
			sni.Certificate = &kong.Certificate{ID: kong.String(*k.ID)}
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
	f := file.FConsumer{Consumer: *con.Consumer.DeepCopy()}
	f.Groups = cloneAll(con.Groups)
	for _, p := range con.Plugins {
		f.Plugins = append(f.Plugins, &file.FPlugin{Plugin: *p.DeepCopy()})
	}
	f.KeyAuths = cloneAll(con.KeyAuths)
	f.HMACAuths = cloneAll(con.HMACAuths)
	f.BasicAuths = cloneAll(con.BasicAuths)
	f.JWTAuths = cloneAll(con.JWTAuths)
	f.ACLGroups = cloneAll(con.ACLGroups)
	f.Oauth2Creds = cloneAll(con.Oauth2Creds)
	f.MTLSAuths = cloneAll(con.MTLSAuths)
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

// sortDesc orders by key, greatest first, stably: deckgen's order (strings.Compare(a, b) > 0).
func sortDesc[T any](s []T, key func(T) string) {
	slices.SortStableFunc(s, func(a, b T) int { return cmp.Compare(key(b), key(a)) })
}

// pluginString is deckgen.PluginString: name then the IDs of consumer, consumer group, route
// and service, in that order.
func pluginString(p file.FPlugin) string {
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
func compareConsumers(a, b file.FConsumer) int {
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

// Format is an output format of the state.
type Format string

// Output formats: decK's declarative file, or the plain State as YAML or JSON.
const (
	FormatDeck Format = "deck"
	FormatYAML Format = "yaml"
	FormatJSON Format = "json"
)

// WriteOptions shape what Write prints.
type WriteOptions struct {
	DeckOptions
	// ShowSecrets prints credential secrets, private keys and Secret-sourced plugin config as
	// they are, for output meant to be fed to decK; by default Write prints s.Redacted(), since
	// output ends up in terminals, logs and CI artefacts.
	ShowSecrets bool
}

// Write writes s to w in the given format, with secrets redacted unless opts.ShowSecrets. deck
// is decK's YAML as decK itself writes it (sigs.k8s.io/yaml: JSON field names, sorted keys);
// yaml and json are the State's own shape, for scripts that want entities without decK's
// conventions. s is not modified.
func Write(w io.Writer, s *State, format Format, opts WriteOptions) error {
	if !opts.ShowSecrets {
		s = s.Redacted()
	}
	var (
		out []byte
		err error
	)
	switch format {
	case FormatDeck:
		out, err = yaml.Marshal(ToDeck(s, opts.DeckOptions))
	case FormatYAML:
		out, err = yaml.Marshal(s)
	case FormatJSON:
		// Unescaped, so that <redacted> and expression routes' && read as written.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err = enc.Encode(s)
		out = b.Bytes()
	default:
		return fmt.Errorf("unknown output format %q (want deck, yaml or json)", format)
	}
	if err != nil {
		return fmt.Errorf("encode kong state as %s: %w", format, err)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write kong state: %w", err)
	}
	return nil
}
