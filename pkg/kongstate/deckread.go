package kongstate

import (
	"fmt"
	"io"

	"github.com/kong/go-database-reconciler/pkg/file"
	"github.com/kong/go-kong/kong"
	"sigs.k8s.io/yaml"
)

// ReadDeck parses a decK declarative file (YAML or JSON, as ToDeck and decK write it) back into
// a State, so an exported or hand-written file can serve as the desired state or be compared
// with a translation. Nesting is undone: nested plugins stay with their service, route or
// consumer; _info.select_tags are returned separately.
func ReadDeck(r io.Reader) (*State, []string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read deck file: %w", err)
	}
	var c file.Content
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, nil, fmt.Errorf("parse deck file: %w", err)
	}
	s := FromDeck(&c)
	var tags []string
	if c.Info != nil {
		tags = c.Info.SelectorTags
	}
	return s, tags, nil
}

// FromDeck converts decK content into a State (the inverse of ToDeck, without its defaults).
func FromDeck(c *file.Content) *State {
	s := &State{}
	for _, fs := range c.Services {
		svc := &Service{Service: *fs.Service.DeepCopy()}
		for _, p := range fs.Plugins {
			svc.Plugins = append(svc.Plugins, p.Plugin.DeepCopy())
		}
		for _, fr := range fs.Routes {
			r := &Route{Route: *fr.Route.DeepCopy()}
			for _, p := range fr.Plugins {
				r.Plugins = append(r.Plugins, p.Plugin.DeepCopy())
			}
			svc.Routes = append(svc.Routes, r)
		}
		s.Services = append(s.Services, svc)
	}
	for _, p := range c.Plugins {
		s.Plugins = append(s.Plugins, p.Plugin.DeepCopy())
	}
	for _, fu := range c.Upstreams {
		u := &Upstream{Upstream: *fu.Upstream.DeepCopy()}
		for _, t := range fu.Targets {
			u.Targets = append(u.Targets, t.Target.DeepCopy())
		}
		s.Upstreams = append(s.Upstreams, u)
	}
	for _, fc := range c.Certificates {
		cert := &Certificate{Certificate: kong.Certificate{ID: fc.ID, Cert: fc.Cert, Key: fc.Key, Tags: fc.Tags}}
		for _, sni := range fc.SNIs {
			cert.SNIs = append(cert.SNIs, sni.Name)
		}
		s.Certificates = append(s.Certificates, cert)
	}
	for _, ca := range c.CACertificates {
		s.CACertificates = append(s.CACertificates, ca.CACertificate.DeepCopy())
	}
	for _, fc := range c.Consumers {
		con := &Consumer{
			Consumer:    *fc.Consumer.DeepCopy(),
			Groups:      cloneAll(fc.Groups),
			KeyAuths:    cloneAll(fc.KeyAuths),
			HMACAuths:   cloneAll(fc.HMACAuths),
			JWTAuths:    cloneAll(fc.JWTAuths),
			BasicAuths:  cloneAll(fc.BasicAuths),
			ACLGroups:   cloneAll(fc.ACLGroups),
			Oauth2Creds: cloneAll(fc.Oauth2Creds),
			MTLSAuths:   cloneAll(fc.MTLSAuths),
		}
		for _, p := range fc.Plugins {
			con.Plugins = append(con.Plugins, p.Plugin.DeepCopy())
		}
		s.Consumers = append(s.Consumers, con)
	}
	for _, g := range c.ConsumerGroups {
		s.ConsumerGroups = append(s.ConsumerGroups, &ConsumerGroup{ConsumerGroup: *g.ConsumerGroup.DeepCopy()})
	}
	for _, v := range c.Vaults {
		s.Vaults = append(s.Vaults, v.Vault.DeepCopy())
	}
	return s
}
