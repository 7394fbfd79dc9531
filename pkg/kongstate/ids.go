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
// with only custom_id) are left without an ID, as KIC leaves them. Any other entity whose key
// is empty (a plugin without a name, a vault without a prefix) is left without an ID too, and
// reported as an *IDError.
func (s *State) FillIDs(workspace string) []*IDError {
	var errs []*IDError
	fill := func(e kong.IDFillable, entity, name string) {
		if err := e.FillID(workspace); err != nil {
			errs = append(errs, &IDError{Entity: entity, Name: name, Err: err})
		}
	}
	for _, svc := range s.Services {
		fill(&svc.Service, "service", deref(svc.Name))
		for _, r := range svc.Routes {
			fill(&r.Route, "route", deref(r.Name))
		}
	}
	for _, c := range s.Consumers {
		if c.Username == nil || *c.Username == "" {
			continue // KIC: consumers keyed by custom_id only get no ID.
		}
		fill(&c.Consumer, "consumer", deref(c.Username))
	}
	for _, cg := range s.ConsumerGroups {
		fill(&cg.ConsumerGroup, "consumer group", deref(cg.Name))
	}
	for _, v := range s.Vaults {
		fill(v, "vault", deref(v.Prefix))
	}
	for _, p := range s.Plugins {
		fill(p, "plugin", deref(p.Name))
	}
	return errs
}

// IDError names an entity FillIDs could not give an ID, so the caller can report it.
type IDError struct {
	// Entity is the Kong entity type ("service", "plugin", ...); Name its name, maybe empty.
	Entity, Name string
	Err          error
}

func (e *IDError) Error() string {
	return fmt.Sprintf("fill id of %s %q: %v", e.Entity, e.Name, e.Err)
}

func (e *IDError) Unwrap() error { return e.Err }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
