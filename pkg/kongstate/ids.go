package kongstate

import (
	"fmt"

	"github.com/kong/go-kong/kong"
)

// FillIDs gives services, routes, consumers, consumer groups, vaults and plugins the UUIDv5 IDs
// that KIC's FillIDs gives them (go-kong's FillID: a per-type namespace and the entity's name,
// prefixed by "workspace/" when a workspace is set). Identical inputs thus get identical IDs in
// both tools, which is what lets kongdb take over a KIC-managed Kong without rewrites.
// Upstreams, targets, SNIs and credentials get none (decK matches them by key); certificates and
// CA certificates carry the IDs translation gave them. Entities whose key is empty (a consumer
// with only custom_id) are left without an ID, as KIC leaves them; their errors are returned.
func (s *State) FillIDs(workspace string) []error {
	var errs []error
	fill := func(e kong.IDFillable, what string) {
		if err := e.FillID(workspace); err != nil {
			errs = append(errs, fmt.Errorf("fill id of %s: %w", what, err))
		}
	}
	for _, svc := range s.Services {
		fill(&svc.Service, "service "+deref(svc.Name))
		for _, r := range svc.Routes {
			fill(&r.Route, "route "+deref(r.Name))
		}
	}
	for _, c := range s.Consumers {
		if c.Username == nil || *c.Username == "" {
			continue // KIC: consumers keyed by custom_id only get no ID.
		}
		fill(&c.Consumer, "consumer "+deref(c.Username))
	}
	for _, cg := range s.ConsumerGroups {
		fill(&cg.ConsumerGroup, "consumer group "+deref(cg.Name))
	}
	for _, v := range s.Vaults {
		fill(v, "vault "+deref(v.Prefix))
	}
	for _, p := range s.Plugins {
		fill(p, "plugin "+deref(p.Name))
	}
	return errs
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
