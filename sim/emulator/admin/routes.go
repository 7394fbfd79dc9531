package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// nestedRef is a child collection under a parent entity: the child's
// schema and the foreign field that points to the parent.
type nestedRef struct {
	child *schema.Entity
	field string
}

// parentRef is a resolved parent of a nested request.
type parentRef struct {
	entity *schema.Entity
	field  string // the child's foreign field
	id     string
	path   string // "/services/<key>"
}

// enterpriseOnly are the collections OSS 3.9 does not have; they answer
// 404 like any unknown path.
var enterpriseOnly = map[string]bool{
	"consumer_groups": true, "partials": true, "mtls-auths": true, "licenses": true, "rbac": true,
	"developers": true, "workspaces": true, "degraphql_routes": true, "event-hooks": true,
}

type routes struct {
	top    map[string]*schema.Entity
	nested map[string]map[string]nestedRef // parent schema name → nested path → child
}

func buildRoutes() routes {
	rt := routes{top: map[string]*schema.Entity{}, nested: map[string]map[string]nestedRef{}}
	for _, e := range schema.All() {
		if e.Internal {
			continue
		}
		if e.AdminPath != "" {
			rt.top[e.AdminPath] = e
		}
		if e.NestedPath == "" {
			continue
		}
		for _, f := range e.Fields {
			if f.Type != schema.Foreign {
				continue
			}
			if rt.nested[f.Reference] == nil {
				rt.nested[f.Reference] = map[string]nestedRef{}
			}
			rt.nested[f.Reference][e.NestedPath] = nestedRef{child: e, field: f.Name}
		}
	}
	return rt
}

var allRoutes = buildRoutes()

func splitPath(u *url.URL) []string {
	p := strings.Trim(u.EscapedPath(), "/")
	if p == "" {
		return nil
	}
	raw := strings.Split(p, "/")
	out := make([]string, 0, len(raw))
	for _, s := range raw {
		if s == "" {
			continue
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			d = s
		}
		out = append(out, d)
	}
	return out
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	segs := splitPath(r.URL)
	if len(segs) == 0 {
		if allow(w, r, http.MethodGet) {
			s.root(w, r)
		}
		return
	}
	switch segs[0] {
	case "status":
		if len(segs) == 1 && allow(w, r, http.MethodGet) {
			s.status(w, r)
			return
		}
		if len(segs) == 1 {
			return
		}
	case "endpoints":
		if len(segs) == 1 && allow(w, r, http.MethodGet) {
			s.endpoints(w, r)
			return
		}
		if len(segs) == 1 {
			return
		}
	case "config":
		if len(segs) == 1 && allow(w, r, http.MethodGet, http.MethodPost) {
			writeJSON(w, http.StatusBadRequest, msg("this endpoint is only available when Kong is configured to not use a database"))
		}
		if len(segs) == 1 {
			return
		}
	case "tags":
		if len(segs) <= 2 && allow(w, r, http.MethodGet) {
			tag := ""
			if len(segs) == 2 {
				tag = segs[1]
			}
			s.tags(w, r, tag)
		}
		if len(segs) <= 2 {
			return
		}
	case "schemas":
		if s.schemas(w, r, segs[1:]) {
			return
		}
	case "plugins":
		if len(segs) == 2 && segs[1] == "enabled" {
			if allow(w, r, http.MethodGet) {
				writeJSON(w, http.StatusOK, map[string]any{"enabled_plugins": schema.PluginNames()})
			}
			return
		}
		if len(segs) == 3 && segs[1] == "schema" {
			if allow(w, r, http.MethodGet) {
				s.legacyPluginSchema(w, r, segs[2])
			}
			return
		}
	case "targets":
		writeJSON(w, http.StatusNotFound, msg("Not found"))
		return
	case "clustering":
		if len(segs) == 2 && (segs[1] == "data-planes" || segs[1] == "status") {
			if allow(w, r, http.MethodGet) {
				if segs[1] == "status" {
					s.clusteringStatus(w, r)
				} else {
					s.dataPlanes(w, r)
				}
			}
			return
		}
	}
	if enterpriseOnly[segs[0]] {
		writeJSON(w, http.StatusNotFound, msg("Not found"))
		return
	}
	e, ok := allRoutes.top[segs[0]]
	if !ok {
		writeJSON(w, http.StatusNotFound, msg("Not found"))
		return
	}
	s.entityRoute(w, r, e, segs)
}

func (s *Server) entityRoute(w http.ResponseWriter, r *http.Request, e *schema.Entity, segs []string) {
	switch len(segs) {
	case 1:
		if allow(w, r, http.MethodGet, http.MethodPost) {
			s.collection(w, r, e, nil)
		}
		return
	case 2:
		if allow(w, r, http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete) {
			s.entity(w, r, e, segs[1], nil)
		}
		return
	}
	// /{c}/{key}/{sub}[/{childKey}]
	parent, err := s.find(r, e, segs[1], nil)
	sub := segs[2]
	if ref, ok := allRoutes.nested[e.Name][sub]; ok {
		if err != nil {
			if r.Method == http.MethodOptions {
				allow(w, r, http.MethodGet, http.MethodPost)
				return
			}
			s.fail(w, r, err)
			return
		}
		p := &parentRef{entity: e, field: ref.field, id: parent["id"].(string), path: "/" + segs[0] + "/" + url.PathEscape(segs[1])}
		switch {
		case len(segs) == 3:
			if allow(w, r, http.MethodGet, http.MethodPost) {
				s.collection(w, r, ref.child, p)
			}
		case len(segs) == 4 && ref.child.Name == "targets" && segs[3] == "all":
			if allow(w, r, http.MethodGet) {
				s.collection(w, r, ref.child, p)
			}
		case len(segs) == 5 && ref.child.Name == "targets" && (segs[4] == "healthy" || segs[4] == "unhealthy"):
			if allow(w, r, http.MethodPut) {
				w.WriteHeader(http.StatusNoContent)
			}
		case len(segs) == 4:
			if allow(w, r, http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete) {
				s.entity(w, r, ref.child, segs[3], p)
			}
		default:
			writeJSON(w, http.StatusNotFound, msg("Not found"))
		}
		return
	}
	if e.Name == "upstreams" && sub == "health" && len(segs) == 3 {
		if allow(w, r, http.MethodGet) {
			if err != nil {
				s.fail(w, r, err)
				return
			}
			s.upstreamHealth(w, r, parent)
		}
		return
	}
	// /{c}/{key}/{foreignField}: the referenced entity.
	if len(segs) == 3 {
		for _, f := range e.Fields {
			if f.Type != schema.Foreign || f.Name != sub || disabledForeign[e.Name+"/"+sub] {
				continue
			}
			if !allow(w, r, http.MethodGet) {
				return
			}
			if err != nil {
				s.fail(w, r, err)
				return
			}
			ref, _ := schema.Get(f.Reference)
			id, _ := parent[f.Name].(map[string]any)["id"].(string)
			if id == "" || ref == nil {
				writeJSON(w, http.StatusNotFound, msg("Not found"))
				return
			}
			row, gerr := s.store.Get(r.Context(), ref, id)
			if gerr != nil {
				s.fail(w, r, gerr)
				return
			}
			s.writeEntity(w, r, ref, http.StatusOK, row)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, msg("Not found"))
}

// disabledForeign are foreign endpoints Kong turns off.
var disabledForeign = map[string]bool{"snis/certificate": true, "targets/upstream": true}
