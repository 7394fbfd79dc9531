package plan

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// entity is one Kong entity of either side, flattened out of kongstate's nesting: its body as
// the Admin API takes it, without id, timestamps and foreign keys, which are kept apart so
// that they can be resolved to the IDs the plan settles on.
type entity struct {
	kind *spec
	id   string
	body map[string]any
	// refs are the raw foreign keys: field → the parent's ID or name as this side states it.
	refs map[string]string
	// parents are refs resolved within the same side (nil when the parent is not there).
	parents map[string]*entity
	// listed are the entities named by ID in the kind's idLists (a service's CA certificates).
	listed []*entity
	// secretConfig are JSON pointers into a plugin's config that came from Secrets.
	secretConfig []string

	key     string
	keyDone bool
	// final is the ID the entity gets in Kong (set on desired entities by matching).
	final string
	match *entity
}

// side is every entity of one state, indexed for resolving references.
type side struct {
	all []*entity
	// byRef finds an entity of a kind by ID or by name (what references may carry).
	byRef map[Kind]map[string]*entity
}

func (s *side) add(e *entity) {
	s.all = append(s.all, e)
	if s.byRef == nil {
		s.byRef = map[Kind]map[string]*entity{}
	}
	m := s.byRef[e.kind.kind]
	if m == nil {
		m = map[string]*entity{}
		s.byRef[e.kind.kind] = m
	}
	if e.id != "" {
		m[e.id] = e
	}
	for _, f := range []string{"name", "username", "custom_id", "prefix"} {
		if v, ok := e.body[f].(string); ok && v != "" {
			if _, taken := m[v]; !taken {
				m[v] = e
			}
		}
	}
}

// ref is how children refer to e: its ID, else its name.
func (e *entity) ref() string {
	if e.id != "" {
		return e.id
	}
	v, _ := e.body["name"].(string)
	return v
}

// flatten turns a State into entities. ownershipTag is given to SNIs, whose tags kongstate
// does not keep (decK's builder gives them the select tags, as KIC's push does).
func flatten(s *kongstate.State, ownershipTag string) (*side, error) {
	f := &flattener{state: s, side: &side{}, tag: ownershipTag}
	if s == nil {
		return f.side, nil
	}
	for _, ca := range s.CACertificates {
		f.add(KindCACertificate, ca, nil)
	}
	for _, c := range s.Certificates {
		cert := c.Certificate
		cert.SNIs = nil
		ce := f.add(KindCertificate, &cert, nil)
		for _, name := range c.SNIs {
			sni := &kong.SNI{Name: name}
			if ownershipTag != "" {
				sni.Tags = []*string{kong.String(ownershipTag)}
			}
			f.add(KindSNI, sni, map[string]string{"certificate": ce.ref()})
		}
	}
	for _, v := range s.Vaults {
		f.add(KindVault, v, nil)
	}
	for _, svc := range s.Services {
		se := f.add(KindService, &svc.Service, nil)
		f.plugins(svc.Plugins, "service", se)
		for _, r := range svc.Routes {
			re := f.add(KindRoute, &r.Route, map[string]string{"service": se.ref()})
			f.plugins(r.Plugins, "route", re)
		}
	}
	for _, u := range s.Upstreams {
		ue := f.add(KindUpstream, &u.Upstream, nil)
		for _, t := range u.Targets {
			f.add(KindTarget, t, map[string]string{"upstream": ue.ref()})
		}
	}
	for _, g := range s.ConsumerGroups {
		f.add(KindConsumerGroup, &g.ConsumerGroup, nil)
	}
	for _, c := range s.Consumers {
		ce := f.add(KindConsumer, &c.Consumer, nil)
		parent := map[string]string{"consumer": ce.ref()}
		if ce.ref() == "" {
			parent["consumer"], _ = ce.body["custom_id"].(string)
		}
		f.plugins(c.Plugins, "consumer", ce)
		addAll(f, KindKeyAuth, c.KeyAuths, parent)
		addAll(f, KindBasicAuth, c.BasicAuths, parent)
		addAll(f, KindHMACAuth, c.HMACAuths, parent)
		addAll(f, KindJWT, c.JWTAuths, parent)
		addAll(f, KindACL, c.ACLGroups, parent)
		addAll(f, KindOAuth2, c.Oauth2Creds, parent)
		addAll(f, KindMTLSAuth, c.MTLSAuths, parent)
		for _, g := range c.Groups {
			if ref := groupRef(g); ref != "" {
				f.add(KindConsumerGroupMember, struct{}{}, map[string]string{"consumer_group": ref, "consumer": parent["consumer"]})
			}
		}
	}
	f.plugins(s.Plugins, "", nil)
	if f.err != nil {
		return nil, f.err
	}
	return f.side, nil
}

// groupRef is how a consumer's membership names its group: its ID, else its name.
func groupRef(g *kong.ConsumerGroup) string {
	switch {
	case g == nil:
		return ""
	case g.ID != nil && *g.ID != "":
		return *g.ID
	case g.Name != nil:
		return *g.Name
	}
	return ""
}

type flattener struct {
	state *kongstate.State
	side  *side
	tag   string
	err   error
}

func addAll[T any](f *flattener, kind Kind, es []*T, refs map[string]string) {
	for _, e := range es {
		f.add(kind, e, refs)
	}
}

func (f *flattener) plugins(ps []*kong.Plugin, field string, parent *entity) {
	for _, p := range ps {
		var refs map[string]string
		if parent != nil {
			refs = map[string]string{field: parent.ref()}
		}
		e := f.add(KindPlugin, p, refs)
		e.secretConfig = f.state.SecretConfig(p)
	}
}

// add flattens one go-kong entity. Its JSON is what the Admin API reads and writes, so one
// generic path serves every kind.
func (f *flattener) add(kind Kind, v any, refs map[string]string) *entity {
	sp := specOf[kind]
	e := &entity{kind: sp, refs: map[string]string{}}
	raw, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(raw, &e.body)
	}
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("encode %s: %w", kind, err)
	}
	if e.body == nil {
		e.body = map[string]any{}
	}
	e.id, _ = e.body["id"].(string)
	if _, hasID := e.body["id"]; hasID && e.id == "" {
		f.emptyID(kind, e.body, "id")
	}
	for _, drop := range append([]string{"id", "created_at", "updated_at"}, sp.computed...) {
		delete(e.body, drop)
	}
	if kind == KindTarget {
		if t, ok := e.body["target"].(string); ok {
			e.body["target"] = normalizeTarget(t)
		}
	}
	for _, k := range sp.fks {
		if m, ok := e.body[k.field].(map[string]any); ok {
			id, _ := m["id"].(string)
			if _, hasID := m["id"]; hasID && id == "" {
				f.emptyID(kind, e.body, k.field+".id")
			}
			if id == "" {
				id, _ = m["name"].(string)
			}
			if id != "" {
				e.refs[k.field] = id
			}
		}
		delete(e.body, k.field)
	}
	for field, ref := range refs {
		if ref != "" {
			e.refs[field] = ref
		}
	}
	f.side.add(e)
	return e
}

// emptyID records, as the flattening's error, an entity stating an empty ID (its own or a
// foreign key's): Kong refuses it, or worse, the entity would match nothing and its children
// would lose their parent. Translation never leaves one; this names the entity and its
// Kubernetes object should a new path do so.
func (f *flattener) emptyID(kind Kind, body map[string]any, field string) {
	if f.err != nil {
		return
	}
	what := string(kind)
	for _, k := range []string{"name", "username", "prefix", "target"} { // never a secret
		if v, ok := body[k].(string); ok && v != "" {
			what += fmt.Sprintf(" %q", v)
			break
		}
	}
	if o := ObjectOf(tagsOf(body)); o != nil {
		what += " (from " + o.String() + ")"
	}
	f.err = fmt.Errorf("%s: empty %s", what, field)
}

// resolve links every entity of s to its parents within s.
func (s *side) resolve() {
	for _, e := range s.all {
		e.parents = map[string]*entity{}
		for _, k := range e.kind.fks {
			if ref, ok := e.refs[k.field]; ok {
				e.parents[k.field] = s.byRef[k.kind][ref]
			}
		}
		e.listed = nil
		for _, k := range e.kind.idLists {
			ids, _ := e.body[k.field].([]any)
			for _, id := range ids {
				if ref, ok := id.(string); ok && s.byRef[k.kind][ref] != nil {
					e.listed = append(e.listed, s.byRef[k.kind][ref])
				}
			}
		}
	}
}

// namesID reports whether e's body names id in one of its kind's idLists.
func (e *entity) namesID(id string) bool {
	for _, k := range e.kind.idLists {
		ids, _ := e.body[k.field].([]any)
		if slices.Contains(ids, any(id)) {
			return true
		}
	}
	return false
}

// keyOf is the entity's identity among its kind: the spec's key fields, a foreign key
// contributing its parent's key (or the raw reference when the parent is not on this side).
func (e *entity) keyOf() string {
	if e.keyDone {
		return e.key
	}
	e.keyDone = true
	if len(e.kind.key) == 0 {
		e.key = e.id
		return e.key
	}
	parts := make([]string, len(e.kind.key))
	for i, f := range e.kind.key {
		if p, isFK := e.parents[f]; isFK || e.refs[f] != "" {
			if p != nil {
				parts[i] = string(p.kind.kind) + ":" + p.keyOf()
			} else {
				parts[i] = "id:" + e.refs[f]
			}
			continue
		}
		if v, ok := e.body[f]; ok && v != nil {
			parts[i] = fmt.Sprint(v)
		}
	}
	e.key = strings.Join(parts, "|")
	return e.key
}

// name is what reports and diffs call the entity: never a secret.
func (e *entity) name() string {
	fields := e.kind.display
	if len(fields) == 0 {
		fields = e.kind.key
	}
	if len(fields) == 0 {
		return e.final
	}
	var parts []string
	for _, f := range fields {
		switch {
		case f == "id":
			parts = append(parts, shortID(e.final))
		case e.parents[f] != nil:
			parts = append(parts, e.parents[f].name())
		case e.refs[f] != "":
			parts = append(parts, e.refs[f])
		default:
			if v, ok := e.body[f]; ok && v != nil {
				parts = append(parts, fmt.Sprint(v))
			}
		}
	}
	return strings.Join(parts, "/")
}

// normalizeTarget writes a target as host:port with IPv6 compressed and Kong's default port
// 8000, so that what Kong stores (it expands IPv6 addresses) matches what was asked for.
func normalizeTarget(t string) string {
	if ap, err := netip.ParseAddrPort(t); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
	}
	if a, err := netip.ParseAddr(strings.Trim(t, "[]")); err == nil {
		return netip.AddrPortFrom(a.Unmap(), 8000).String()
	}
	if !strings.Contains(t, ":") {
		return t + ":8000"
	}
	return t
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
