package admin

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"

	"github.com/kong/go-kong/kong"
	"golang.org/x/sync/errgroup"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// PageSize is the most Kong returns per list request.
const PageSize = 1000

// ReadOptions say which entities are ours.
type ReadOptions struct {
	// Tag is the ownership tag: only entities carrying it are read.
	Tag string
	// Concurrency bounds the lists in flight (every entity type and every upstream's targets);
	// 0 means 10.
	Concurrency int
}

// page is Kong's list answer.
type page[T any] struct {
	Data   []*T   `json:"data"`
	Offset string `json:"offset"`
}

// listAll reads every entity of a collection carrying tag (all when tag is ""), PageSize per
// request, following Kong's offset. It returns how many entities Kong listed that do not
// carry tag (left out).
func listAll[T any](ctx context.Context, c *kong.Client, path, tag string) ([]*T, int, error) {
	var all []*T
	foreign, err := listPages(ctx, c, path, tag, func(p []*T) { all = append(all, p...) })
	return all, foreign, err
}

// listPages hands each page of a collection's entities carrying tag to got, as it arrives.
// Kong's tag filter is not trusted alone: every entity is checked for the tag again (a filter
// Kong reads differently, a proxy or a Kong version that ignores it would otherwise make a
// foreign entity ours, and so a delete candidate); those without it are counted, not handed
// on. A server that repeats an offset is an error, not an endless loop.
func listPages[T any](ctx context.Context, c *kong.Client, path, tag string, got func([]*T)) (foreign int, err error) {
	offset := ""
	var pages Pager
	for {
		q := struct {
			Size   int    `url:"size"`
			Tags   string `url:"tags,omitempty"`
			Offset string `url:"offset,omitempty"`
		}{PageSize, tag, offset}
		var p page[T]
		if err := Do(ctx, c, http.MethodGet, path, q, nil, &p); err != nil {
			return foreign, fmt.Errorf("list %s: %w", path, err)
		}
		if tag != "" {
			n := len(p.Data)
			p.Data = slices.DeleteFunc(p.Data, func(e *T) bool { return e == nil || !hasTag(tagsOf(e), tag) })
			foreign += n - len(p.Data)
		}
		got(p.Data)
		if p.Offset == "" {
			return foreign, nil
		}
		if err := pages.Next(p.Offset); err != nil {
			return foreign, fmt.Errorf("list %s: %w", path, err)
		}
		offset = p.Offset
	}
}

// into is a list of path into dst, as an errgroup function; foreign entities (listed without
// the tag) are counted into f.
func into[T any](ctx context.Context, c *kong.Client, tag, path string, dst *[]*T, f *foreignCount) func() error {
	return func() error {
		all, n, err := listAll[T](ctx, c, path, tag)
		*dst = all
		f.add(path, n)
		return err
	}
}

// foreignCount counts, per collection, the entities Kong listed under the ownership tag's
// filter that do not carry it.
type foreignCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (f *foreignCount) add(path string, n int) {
	if n == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[path] += n
}

// notes says which collections held foreign entities, sorted.
func (f *foreignCount) notes(tag string) []string {
	var out []string
	for _, path := range slices.Sorted(maps.Keys(f.n)) {
		out = append(out, fmt.Sprintf("Kong listed %d entities of %s under the filter tags=%s that do not carry that tag: left alone", f.n[path], path, tag))
	}
	return out
}

// optional turns a 404 (a collection Kong OSS does not have) into an empty list.
func optional(list func() error) func() error {
	return func() error {
		if err := list(); !IsStatus(err, http.StatusNotFound) {
			return err
		}
		return nil
	}
}

// upstream is an owned upstream and its owned targets.
type upstream struct {
	upstream *kong.Upstream
	targets  []*kong.Target
}

// current is every owned entity as listed, before nesting.
type current struct {
	services       []*kong.Service
	routes         []*kong.Route
	upstreams      []*upstream
	certificates   []*kong.Certificate
	snis           []*kong.SNI
	caCertificates []*kong.CACertificate
	plugins        []*kong.Plugin
	consumers      []*kong.Consumer
	consumerGroups []*kong.ConsumerGroup
	vaults         []*kong.Vault
	keyAuths       []*kong.KeyAuth
	basicAuths     []*kong.BasicAuth
	hmacAuths      []*kong.HMACAuth
	jwts           []*kong.JWTAuth
	acls           []*kong.ACLGroup
	oauth2         []*kong.Oauth2Credential
	mtls           []*kong.MTLSAuth
	// members are the consumer IDs of each owned consumer group (Enterprise).
	members map[string][]string
}

// listMembers reads /consumer_groups/{id}/consumers page by page. Kong Enterprise answers
// {"data": [...], "offset": ...} as every list; earlier 3.x releases answered
// {"consumer_group": ..., "consumers": [...]} in one piece (go-kong's ListAll reads both).
func listMembers(ctx context.Context, c *kong.Client, group string) ([]*kong.Consumer, error) {
	path := "/consumer_groups/" + group + "/consumers"
	var all []*kong.Consumer
	var pages Pager
	offset := ""
	for {
		q := struct {
			Size   int    `url:"size"`
			Offset string `url:"offset,omitempty"`
		}{PageSize, offset}
		var p struct {
			Data      []*kong.Consumer `json:"data"`
			Consumers []*kong.Consumer `json:"consumers"`
			Offset    string           `json:"offset"`
		}
		if err := Do(ctx, c, http.MethodGet, path, q, nil, &p); err != nil {
			return nil, fmt.Errorf("list %s: %w", path, err)
		}
		all = append(append(all, p.Data...), p.Consumers...)
		if p.Offset == "" {
			return all, nil
		}
		if err := pages.Next(p.Offset); err != nil {
			return nil, fmt.Errorf("list %s: %w", path, err)
		}
		offset = p.Offset
	}
}

// readMembers lists the consumers of every owned consumer group (Kong Enterprise's
// /consumer_groups/{id}/consumers; a nested collection, so untagged), at most limit at once.
// Only Enterprise has consumer groups, so an OSS Kong, whose group list was empty, makes no
// request here.
func (cur *current) readMembers(ctx context.Context, c *kong.Client, limit int) error {
	var g errgroup.Group
	g.SetLimit(limit)
	var mu sync.Mutex
	for _, cg := range cur.consumerGroups {
		if cg.ID == nil {
			continue
		}
		g.Go(func() error {
			cons, err := listMembers(ctx, c, *cg.ID)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if cur.members == nil {
				cur.members = map[string][]string{}
			}
			for _, con := range cons {
				if con != nil && con.ID != nil {
					cur.members[*cg.ID] = append(cur.members[*cg.ID], *con.ID)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// ReadState reads every entity carrying opts.Tag through c: all entity types concurrently,
// and the targets of each owned upstream as soon as the page listing it arrives. Children
// whose parent is not owned (a tagged route on an untagged service) cannot be represented in
// the nested state and are left out; each such case is returned as a note, and they are
// neither updated nor deleted.
func ReadState(ctx context.Context, c *kong.Client, opts ReadOptions) (*kongstate.State, []string, error) {
	limit := opts.Concurrency
	if limit <= 0 {
		limit = 10
	}
	var cur current
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	tag := opts.Tag
	// Targets live under their upstream; Kong's /upstreams/{id}/targets takes no tag filter in
	// every version, so they are filtered here. They are read while the other collections
	// are, not one upstream after another as decK's dump does. The upstreams' lister holds
	// no slot of the group while it waits for one for a target list, so the lists it waits
	// on can always run.
	var upstreams errgroup.Group
	var foreign foreignCount
	upstreams.Go(func() error {
		n, err := listPages(gctx, c, "/upstreams", tag, func(us []*kong.Upstream) {
			for _, u := range us {
				ur := &upstream{upstream: u}
				cur.upstreams = append(cur.upstreams, ur)
				g.Go(func() error {
					ts, _, err := listAll[kong.Target](gctx, c, "/upstreams/"+*u.ID+"/targets", "")
					if err != nil {
						return err
					}
					ur.targets = slices.DeleteFunc(ts, func(t *kong.Target) bool { return tag != "" && !hasTag(t.Tags, tag) })
					return nil
				})
			}
		})
		foreign.add("/upstreams", n)
		return err
	})
	g.Go(into(gctx, c, tag, "/services", &cur.services, &foreign))
	g.Go(into(gctx, c, tag, "/routes", &cur.routes, &foreign))
	g.Go(into(gctx, c, tag, "/certificates", &cur.certificates, &foreign))
	g.Go(into(gctx, c, tag, "/snis", &cur.snis, &foreign))
	g.Go(into(gctx, c, tag, "/ca_certificates", &cur.caCertificates, &foreign))
	g.Go(into(gctx, c, tag, "/plugins", &cur.plugins, &foreign))
	g.Go(into(gctx, c, tag, "/consumers", &cur.consumers, &foreign))
	g.Go(into(gctx, c, tag, "/vaults", &cur.vaults, &foreign))
	g.Go(into(gctx, c, tag, "/key-auths", &cur.keyAuths, &foreign))
	g.Go(into(gctx, c, tag, "/basic-auths", &cur.basicAuths, &foreign))
	g.Go(into(gctx, c, tag, "/hmac-auths", &cur.hmacAuths, &foreign))
	g.Go(into(gctx, c, tag, "/jwts", &cur.jwts, &foreign))
	g.Go(into(gctx, c, tag, "/acls", &cur.acls, &foreign))
	g.Go(into(gctx, c, tag, "/oauth2", &cur.oauth2, &foreign))
	// Enterprise collections: OSS Kong answers 404, which means none.
	g.Go(optional(into(gctx, c, tag, "/consumer_groups", &cur.consumerGroups, &foreign)))
	g.Go(optional(into(gctx, c, tag, "/mtls-auths", &cur.mtls, &foreign)))
	// The lister is waited for first: once it is done, no target list is added to g.
	uerr := upstreams.Wait()
	if err := g.Wait(); err != nil {
		return nil, nil, fmt.Errorf("read kong: %w", err)
	}
	if uerr != nil {
		return nil, nil, fmt.Errorf("read kong: %w", uerr)
	}
	if err := cur.readMembers(ctx, c, limit); err != nil {
		return nil, nil, fmt.Errorf("read kong: %w", err)
	}
	s, notes := cur.nest()
	return s, append(foreign.notes(tag), notes...), nil
}

func hasTag(tags []*string, tag string) bool {
	return slices.ContainsFunc(tags, func(t *string) bool { return t != nil && *t == tag })
}

// nest builds the State's nesting from foreign keys.
func (cur *current) nest() (*kongstate.State, []string) {
	s := &kongstate.State{}
	var notes []string
	orphan := func(kind, name, parentKind string) {
		notes = append(notes, fmt.Sprintf("%s %s carries the ownership tag but its %s does not: left alone", kind, name, parentKind))
	}
	services := map[string]*kongstate.Service{}
	for _, svc := range cur.services {
		ks := &kongstate.Service{Service: *svc}
		services[*svc.ID] = ks
		s.Services = append(s.Services, ks)
	}
	for _, r := range cur.routes {
		parent := services[fkID(r.Service)]
		if parent == nil {
			orphan("route", str(r.Name, r.ID), "service")
			continue
		}
		parent.Routes = append(parent.Routes, &kongstate.Route{Route: *r})
	}
	for _, u := range cur.upstreams {
		s.Upstreams = append(s.Upstreams, &kongstate.Upstream{Upstream: *u.upstream, Targets: u.targets})
	}
	certs := map[string]*kongstate.Certificate{}
	for _, c := range cur.certificates {
		kc := &kongstate.Certificate{Certificate: *c}
		// Kong lists a certificate's SNI names on it; the SNI entities below are the truth.
		kc.SNIs = nil
		certs[*c.ID] = kc
		s.Certificates = append(s.Certificates, kc)
	}
	for _, sni := range cur.snis {
		var certID string
		if sni.Certificate != nil {
			certID = str(sni.Certificate.ID, nil)
		}
		parent := certs[certID]
		if parent == nil {
			orphan("sni", str(sni.Name, sni.ID), "certificate")
			continue
		}
		parent.SNIs = append(parent.SNIs, sni.Name)
	}
	s.CACertificates = cur.caCertificates
	s.Plugins = cur.plugins
	consumers := map[string]*kongstate.Consumer{}
	for _, c := range cur.consumers {
		kc := &kongstate.Consumer{Consumer: *c}
		consumers[*c.ID] = kc
		s.Consumers = append(s.Consumers, kc)
	}
	attach(consumers, cur.keyAuths, func(e *kong.KeyAuth) *kong.Consumer { return e.Consumer },
		func(c *kongstate.Consumer, e *kong.KeyAuth) { c.KeyAuths = append(c.KeyAuths, e) }, orphan, "key-auth")
	attach(consumers, cur.basicAuths, func(e *kong.BasicAuth) *kong.Consumer { return e.Consumer },
		func(c *kongstate.Consumer, e *kong.BasicAuth) { c.BasicAuths = append(c.BasicAuths, e) }, orphan, "basic-auth")
	attach(consumers, cur.hmacAuths, func(e *kong.HMACAuth) *kong.Consumer { return e.Consumer },
		func(c *kongstate.Consumer, e *kong.HMACAuth) { c.HMACAuths = append(c.HMACAuths, e) }, orphan, "hmac-auth")
	attach(consumers, cur.jwts, func(e *kong.JWTAuth) *kong.Consumer { return e.Consumer },
		func(c *kongstate.Consumer, e *kong.JWTAuth) { c.JWTAuths = append(c.JWTAuths, e) }, orphan, "jwt")
	attach(consumers, cur.acls, func(e *kong.ACLGroup) *kong.Consumer { return e.Consumer },
		func(c *kongstate.Consumer, e *kong.ACLGroup) { c.ACLGroups = append(c.ACLGroups, e) }, orphan, "acl")
	attach(consumers, cur.oauth2, func(e *kong.Oauth2Credential) *kong.Consumer { return e.Consumer },
		func(c *kongstate.Consumer, e *kong.Oauth2Credential) { c.Oauth2Creds = append(c.Oauth2Creds, e) }, orphan, "oauth2")
	attach(consumers, cur.mtls, func(e *kong.MTLSAuth) *kong.Consumer { return e.Consumer },
		func(c *kongstate.Consumer, e *kong.MTLSAuth) { c.MTLSAuths = append(c.MTLSAuths, e) }, orphan, "mtls-auth")
	for _, g := range cur.consumerGroups {
		s.ConsumerGroups = append(s.ConsumerGroups, &kongstate.ConsumerGroup{ConsumerGroup: *g})
		for _, id := range cur.members[*g.ID] {
			// A member that is not an owned consumer is someone else's membership: left alone.
			if con := consumers[id]; con != nil {
				con.Groups = append(con.Groups, &kong.ConsumerGroup{ID: g.ID, Name: g.Name})
			}
		}
	}
	s.Vaults = cur.vaults
	return s, notes
}

// attach nests credentials of one type under their consumers.
func attach[T any](consumers map[string]*kongstate.Consumer, es []*T, consumerOf func(*T) *kong.Consumer,
	add func(*kongstate.Consumer, *T), orphan func(kind, name, parent string), kind string,
) {
	for _, e := range es {
		c := consumerOf(e)
		var id string
		if c != nil {
			id = str(c.ID, nil)
		}
		if parent := consumers[id]; parent != nil {
			add(parent, e)
			continue
		}
		orphan(kind, "of consumer "+id, "consumer")
	}
}

func fkID(s *kong.Service) string {
	if s == nil || s.ID == nil {
		return ""
	}
	return *s.ID
}

// str is the first non-nil of a and b, or "".
func str(a, b *string) string {
	switch {
	case a != nil:
		return *a
	case b != nil:
		return *b
	}
	return ""
}
