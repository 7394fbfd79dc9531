package kongstate

import "github.com/kong/go-kong/kong"

// MergeTags adds each tag to every entity of s that lacks it, at the end of its tags, as decK's
// file builder merges select tags before a sync. After it the state is exactly what lands in
// Kong's database, so a diff against a dump compares like with like.
func (s *State) MergeTags(tags ...string) {
	if s == nil || len(tags) == 0 {
		return
	}
	m := func(t *[]*string) { mergeTags(t, tags) }
	for _, svc := range s.Services {
		m(&svc.Tags)
		for _, p := range svc.Plugins {
			m(&p.Tags)
		}
		for _, r := range svc.Routes {
			m(&r.Tags)
			for _, p := range r.Plugins {
				m(&p.Tags)
			}
		}
	}
	for _, u := range s.Upstreams {
		m(&u.Tags)
		for _, t := range u.Targets {
			m(&t.Tags)
		}
	}
	for _, c := range s.Certificates {
		m(&c.Tags)
	}
	for _, c := range s.CACertificates {
		m(&c.Tags)
	}
	for _, p := range s.Plugins {
		m(&p.Tags)
	}
	for _, c := range s.Consumers {
		m(&c.Tags)
		for _, p := range c.Plugins {
			m(&p.Tags)
		}
		mergeAll(c.KeyAuths, func(e *kong.KeyAuth) *[]*string { return &e.Tags }, tags)
		mergeAll(c.HMACAuths, func(e *kong.HMACAuth) *[]*string { return &e.Tags }, tags)
		mergeAll(c.JWTAuths, func(e *kong.JWTAuth) *[]*string { return &e.Tags }, tags)
		mergeAll(c.BasicAuths, func(e *kong.BasicAuth) *[]*string { return &e.Tags }, tags)
		mergeAll(c.ACLGroups, func(e *kong.ACLGroup) *[]*string { return &e.Tags }, tags)
		mergeAll(c.Oauth2Creds, func(e *kong.Oauth2Credential) *[]*string { return &e.Tags }, tags)
		mergeAll(c.MTLSAuths, func(e *kong.MTLSAuth) *[]*string { return &e.Tags }, tags)
	}
	for _, cg := range s.ConsumerGroups {
		m(&cg.Tags)
	}
	for _, v := range s.Vaults {
		m(&v.Tags)
	}
}

func mergeAll[T any](es []*T, tagsOf func(*T) *[]*string, tags []string) {
	for _, e := range es {
		mergeTags(tagsOf(e), tags)
	}
}

func mergeTags(dst *[]*string, tags []string) {
	for _, t := range tags {
		found := false
		for _, have := range *dst {
			if have != nil && *have == t {
				found = true
				break
			}
		}
		if !found {
			*dst = append(*dst, kong.String(t))
		}
	}
}
