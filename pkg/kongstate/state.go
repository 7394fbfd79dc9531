// Package kongstate is the desired Kong configuration that kongdb computes: go-kong entities
// nested as Kong's declarative format nests them, with KIC's deterministic IDs and ordering, and
// their decK-format serialisation. It knows nothing about where the entities come from.
package kongstate

import "github.com/kong/go-kong/kong"

// State is one complete desired Kong configuration. Its shape follows KIC 3.5's
// kongstate.KongState so that both tools produce the same entities: plugins that KongPlugin
// references attach are top-level with foreign keys by name, as KIC emits them.
type State struct {
	Services       []*Service            `json:"services,omitempty"`
	Upstreams      []*Upstream           `json:"upstreams,omitempty"`
	Certificates   []*Certificate        `json:"certificates,omitempty"`
	CACertificates []*kong.CACertificate `json:"ca_certificates,omitempty"`
	// Plugins holds every KongPlugin/KongClusterPlugin instance, global or attached; an
	// attached plugin names its service/route/consumer/consumer group in the ID field of the
	// foreign key (KIC's convention, which decK resolves by name or ID).
	Plugins        []*kong.Plugin   `json:"plugins,omitempty"`
	Consumers      []*Consumer      `json:"consumers,omitempty"`
	ConsumerGroups []*ConsumerGroup `json:"consumer_groups,omitempty"`
	Vaults         []*kong.Vault    `json:"vaults,omitempty"`

	// secretConfig holds, per plugin, the JSON pointers of config values that came from
	// Kubernetes Secrets (MarkSecretConfig). Unexported, so it is never serialised.
	secretConfig map[*kong.Plugin][]string
}

// Service is a Kong service with the routes and plugins nested under it in decK's format.
type Service struct {
	kong.Service
	Routes []*Route `json:"routes,omitempty"`
	// Plugins are plugins generated for the service itself (not KongPlugin references).
	Plugins []*kong.Plugin `json:"plugins,omitempty"`
}

// Route is a Kong route; its service is the Service it is nested in.
type Route struct {
	kong.Route
	// Plugins are plugins generated for the route itself (for example from Gateway API
	// filters), nested under the route in decK's format.
	Plugins []*kong.Plugin `json:"plugins,omitempty"`
}

// Upstream is a Kong upstream with its targets, which Kong stores as children of the upstream.
type Upstream struct {
	kong.Upstream
	Targets []*kong.Target `json:"targets,omitempty"`
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
	Plugins     []*kong.Plugin           `json:"plugins,omitempty"`
	Groups      []*kong.ConsumerGroup    `json:"groups,omitempty"`
	KeyAuths    []*kong.KeyAuth          `json:"keyauth_credentials,omitempty"`
	HMACAuths   []*kong.HMACAuth         `json:"hmacauth_credentials,omitempty"`
	JWTAuths    []*kong.JWTAuth          `json:"jwt_secrets,omitempty"`
	BasicAuths  []*kong.BasicAuth        `json:"basicauth_credentials,omitempty"`
	ACLGroups   []*kong.ACLGroup         `json:"acls,omitempty"`
	Oauth2Creds []*kong.Oauth2Credential `json:"oauth2_credentials,omitempty"`
	MTLSAuths   []*kong.MTLSAuth         `json:"mtls_auth_credentials,omitempty"`
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
