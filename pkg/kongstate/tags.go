package kongstate

import "github.com/kong/go-kong/kong"

// MergeTags adds each tag to every entity of s that lacks it, at the end of its tags, as decK's
// file builder merges select tags before a sync. After it the state is exactly what lands in
// Kong's database, so a diff against a dump compares like with like.
func (s *State) MergeTags(tags ...string) {
	if s == nil || len(tags) == 0 {
		return
	}
	s.eachTagList(func(t *[]*string) { mergeTags(t, tags) })
}

// EachTags calls f with the tags of every entity of s, nested ones included: what tells which
// Kubernetes objects the state holds something of (their k8s-* tags).
func (s *State) EachTags(f func(tags []*string)) {
	if s == nil {
		return
	}
	s.eachTagList(func(t *[]*string) { f(*t) })
}

// eachTagList calls f with the tag list of every entity of s.
func (s *State) eachTagList(m func(*[]*string)) {
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
		eachOf(c.KeyAuths, func(e *kong.KeyAuth) *[]*string { return &e.Tags }, m)
		eachOf(c.HMACAuths, func(e *kong.HMACAuth) *[]*string { return &e.Tags }, m)
		eachOf(c.JWTAuths, func(e *kong.JWTAuth) *[]*string { return &e.Tags }, m)
		eachOf(c.BasicAuths, func(e *kong.BasicAuth) *[]*string { return &e.Tags }, m)
		eachOf(c.ACLGroups, func(e *kong.ACLGroup) *[]*string { return &e.Tags }, m)
		eachOf(c.Oauth2Creds, func(e *kong.Oauth2Credential) *[]*string { return &e.Tags }, m)
		eachOf(c.MTLSAuths, func(e *kong.MTLSAuth) *[]*string { return &e.Tags }, m)
	}
	for _, cg := range s.ConsumerGroups {
		m(&cg.Tags)
	}
	for _, v := range s.Vaults {
		m(&v.Tags)
	}
}

func eachOf[T any](es []*T, tagsOf func(*T) *[]*string, m func(*[]*string)) {
	for _, e := range es {
		m(tagsOf(e))
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
