package kongstate

import "github.com/kong/go-kong/kong"

// DeepCopy returns a copy of s that shares no memory with it, the record of Secret-sourced
// plugin config included, so that a printer can rewrite the copy while s stays the state that
// is synced.
func (s *State) DeepCopy() *State {
	if s == nil {
		return nil
	}
	c := &State{}
	plugins := func(in []*kong.Plugin) []*kong.Plugin {
		out := cloneAll(in)
		for i, p := range in {
			c.MarkSecretConfig(out[i], s.secretConfig[p]...)
		}
		return out
	}
	c.Services = mapAll(s.Services, func(svc *Service) *Service {
		return &Service{
			Service: *svc.Service.DeepCopy(),
			Routes: mapAll(svc.Routes, func(r *Route) *Route {
				return &Route{Route: *r.Route.DeepCopy(), Plugins: plugins(r.Plugins)}
			}),
			Plugins: plugins(svc.Plugins),
		}
	})
	c.Upstreams = mapAll(s.Upstreams, func(u *Upstream) *Upstream {
		return &Upstream{Upstream: *u.Upstream.DeepCopy(), Targets: cloneAll(u.Targets)}
	})
	c.Certificates = mapAll(s.Certificates, func(cert *Certificate) *Certificate {
		return &Certificate{Certificate: *cert.Certificate.DeepCopy()}
	})
	c.CACertificates = cloneAll(s.CACertificates)
	c.Plugins = plugins(s.Plugins)
	c.Consumers = mapAll(s.Consumers, func(con *Consumer) *Consumer {
		return &Consumer{
			Consumer:    *con.Consumer.DeepCopy(),
			Plugins:     plugins(con.Plugins),
			Groups:      cloneAll(con.Groups),
			KeyAuths:    cloneAll(con.KeyAuths),
			HMACAuths:   cloneAll(con.HMACAuths),
			JWTAuths:    cloneAll(con.JWTAuths),
			BasicAuths:  cloneAll(con.BasicAuths),
			ACLGroups:   cloneAll(con.ACLGroups),
			Oauth2Creds: cloneAll(con.Oauth2Creds),
			MTLSAuths:   cloneAll(con.MTLSAuths),
		}
	})
	c.ConsumerGroups = mapAll(s.ConsumerGroups, func(cg *ConsumerGroup) *ConsumerGroup {
		return &ConsumerGroup{ConsumerGroup: *cg.ConsumerGroup.DeepCopy()}
	})
	c.Vaults = cloneAll(s.Vaults)
	return c
}

// eachPluginList calls f with every list of plugins in s: top-level and nested under
// services, routes and consumers.
func (s *State) eachPluginList(f func([]*kong.Plugin)) {
	f(s.Plugins)
	for _, svc := range s.Services {
		f(svc.Plugins)
		for _, r := range svc.Routes {
			f(r.Plugins)
		}
	}
	for _, con := range s.Consumers {
		f(con.Plugins)
	}
}

// mapAll is f over in, keeping nil as nil so that copies compare equal to their originals.
func mapAll[T any](in []T, f func(T) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
