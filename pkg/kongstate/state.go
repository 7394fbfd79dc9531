// Package kongstate is the desired Kong configuration that kongdb computes: go-kong entities
// nested as Kong's declarative format nests them, with KIC's deterministic IDs and ordering, and
// their decK-format serialisation. It knows nothing about where the entities come from.
package kongstate

import "github.com/kong/go-kong/kong"

// State is one complete desired Kong configuration. Its shape follows KIC 3.5's
// kongstate.KongState so that both tools produce the same entities: plugins that KongPlugin
// references attach are top-level with foreign keys by name, as KIC emits them.
type State struct {
	Services       []*Service
	Upstreams      []*Upstream
	Certificates   []*Certificate
	CACertificates []*kong.CACertificate
	// Plugins holds every KongPlugin/KongClusterPlugin instance, global or attached; an
	// attached plugin names its service/route/consumer/consumer group in the ID field of the
	// foreign key (KIC's convention, which decK resolves by name or ID).
	Plugins        []*kong.Plugin
	Consumers      []*Consumer
	ConsumerGroups []*ConsumerGroup
	Vaults         []*kong.Vault
}

// Service is a Kong service with the routes and plugins nested under it in decK's format.
type Service struct {
	kong.Service
	Routes []*Route
	// Plugins are plugins generated for the service itself (not KongPlugin references).
	Plugins []*kong.Plugin
}

// Route is a Kong route; its service is the Service it is nested in.
type Route struct {
	kong.Route
	// Plugins are plugins generated for the route itself (for example from Gateway API
	// filters), nested under the route in decK's format.
	Plugins []*kong.Plugin
}

// Upstream is a Kong upstream with its targets, which Kong stores as children of the upstream.
type Upstream struct {
	kong.Upstream
	Targets []*kong.Target
}

// Certificate is a Kong certificate; its SNIs are kong.Certificate.SNIs (names), which the decK
// output expands into SNI entities as KIC's deckgen does.
type Certificate struct {
	kong.Certificate
}

// Consumer is a Kong consumer with its credentials of every type, its consumer-group
// memberships and plugins nested as decK nests them.
type Consumer struct {
	kong.Consumer
	Plugins     []*kong.Plugin
	Groups      []*kong.ConsumerGroup
	KeyAuths    []*kong.KeyAuth
	HMACAuths   []*kong.HMACAuth
	JWTAuths    []*kong.JWTAuth
	BasicAuths  []*kong.BasicAuth
	ACLGroups   []*kong.ACLGroup
	Oauth2Creds []*kong.Oauth2Credential
	MTLSAuths   []*kong.MTLSAuth
}

// ConsumerGroup is a Kong consumer group (Enterprise); members are listed on the consumers.
type ConsumerGroup struct {
	kong.ConsumerGroup
}

// Counts is the number of entities of each kind in a State; reports and tests use it.
type Counts struct {
	Services, Routes, Upstreams, Targets, Certificates, SNIs, CACertificates, Plugins int
	Consumers, Credentials, ConsumerGroups, Vaults                                    int
}

// Count returns how many entities of each kind s holds, nested ones included.
func (s *State) Count() Counts {
	var c Counts
	if s == nil {
		return c
	}
	c.Services = len(s.Services)
	for _, svc := range s.Services {
		c.Routes += len(svc.Routes)
		c.Plugins += len(svc.Plugins)
		for _, r := range svc.Routes {
			c.Plugins += len(r.Plugins)
		}
	}
	c.Upstreams = len(s.Upstreams)
	for _, u := range s.Upstreams {
		c.Targets += len(u.Targets)
	}
	c.Certificates = len(s.Certificates)
	for _, cert := range s.Certificates {
		c.SNIs += len(cert.SNIs)
	}
	c.CACertificates = len(s.CACertificates)
	c.Plugins += len(s.Plugins)
	c.Consumers = len(s.Consumers)
	for _, con := range s.Consumers {
		c.Plugins += len(con.Plugins)
		c.Credentials += len(con.KeyAuths) + len(con.HMACAuths) + len(con.JWTAuths) +
			len(con.BasicAuths) + len(con.ACLGroups) + len(con.Oauth2Creds) + len(con.MTLSAuths)
	}
	c.ConsumerGroups = len(s.ConsumerGroups)
	c.Vaults = len(s.Vaults)
	return c
}
