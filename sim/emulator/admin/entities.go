package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// find looks an entity up by id or by its endpoint key (Kong's
// query_entity), within parent when given.
func (s *Server) find(r *http.Request, e *schema.Entity, key string, parent *parentRef) (map[string]any, error) {
	ctx := r.Context()
	var row map[string]any
	var err error
	switch {
	case isUUID(key):
		row, err = s.store.Get(ctx, e, key)
	case e.Name == "certificates":
		var sni map[string]any
		snis, _ := schema.Get("snis")
		sni, err = s.store.GetBy(ctx, snis, "name", key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &httpError{http.StatusNotFound, msg("SNI not found")}
		}
		if err != nil {
			return nil, err
		}
		id, _ := sni["certificate"].(map[string]any)["id"].(string)
		row, err = s.store.Get(ctx, e, id)
	case e.Name == "acls" && parent != nil:
		var rows []map[string]any
		rows, err = s.store.All(ctx, e, map[string]any{"group": key, parent.field: parent.id})
		if err == nil && len(rows) == 0 {
			err = store.ErrNotFound
		} else if err == nil {
			row = rows[0]
		}
	case e.Name == "targets" && parent != nil:
		var rows []map[string]any
		target, ok := schema.FormatTarget(key)
		if !ok {
			return nil, store.ErrNotFound
		}
		rows, err = s.store.All(ctx, e, map[string]any{"target": target, parent.field: parent.id})
		if err == nil && len(rows) == 0 {
			err = store.ErrNotFound
		} else if err == nil {
			row = rows[0]
		}
	case e.EndpointKey != "":
		row, err = s.store.GetBy(ctx, e, e.EndpointKey, key)
	default:
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if parent != nil {
		if id, _ := row[parent.field].(map[string]any)["id"].(string); id != parent.id {
			return nil, store.ErrNotFound
		}
	}
	return row, nil
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request, e *schema.Entity, parent *parentRef) {
	if r.Method == http.MethodPost {
		body, err := readBody(r, e)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		row, err := s.write(r.Context(), e, body, schema.Insert, parent, nil)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeEntity(w, r, e, http.StatusCreated, row)
		return
	}
	if e.Name == "targets" && parent != nil {
		s.listTargets(w, r, e, parent)
		return
	}
	q := r.URL.Query()
	size, err := pageSize(q, "size must be a number")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opts := store.PageOptions{Size: size, Offset: q.Get("offset"), Equal: map[string]any{}}
	if parent != nil {
		opts.Equal[parent.field] = parent.id
	} else if q.Has("tags") {
		tags, anyOf, err := parseTags(q.Get("tags"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		opts.Tags, opts.TagsAny = tags, anyOf
	}
	if e.Name == "consumers" && parent == nil && q.Has("custom_id") {
		opts.Equal["custom_id"] = q.Get("custom_id")
	}
	var data any
	var next string
	if servedAsStored(e) {
		data, next, err = s.store.PageRaw(r.Context(), e, opts)
	} else {
		var rows []map[string]any
		rows, next, err = s.store.Page(r.Context(), e, opts)
		if err == nil {
			err = s.decorateAll(r.Context(), e, rows)
		}
		for i := range rows {
			rows[i] = e.Present(rows[i])
		}
		data = rows
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body := map[string]any{"data": data, "next": nil}
	if next != "" {
		base := "/" + e.AdminPath
		if parent != nil {
			base = parent.path + "/" + e.NestedPath
		}
		v := url.Values{}
		v.Set("offset", next)
		if opts.Tags != nil {
			v.Set("tags", q.Get("tags"))
		}
		v.Set("size", strconv.Itoa(size))
		body["next"] = base + "?" + v.Encode()
		body["offset"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

func parseTags(s string) ([]string, bool, error) {
	opt := func(m string) error {
		return &store.Error{Code: store.CodeInvalidOptions, Message: "invalid option (tags: " + m + ")",
			Options: map[string]any{"tags": m}}
	}
	if s == "" {
		return nil, false, opt("cannot be null")
	}
	hasAnd, hasOr := strings.Contains(s, ","), strings.Contains(s, "/")
	if hasAnd && hasOr {
		return nil, false, opt("invalid filter syntax")
	}
	sep := ","
	if hasOr {
		sep = "/"
	}
	tags := strings.Split(s, sep)
	if len(tags) > 5 {
		return nil, false, opt("cannot query more than 5 tags")
	}
	return tags, hasOr, nil
}

func (s *Server) entity(w http.ResponseWriter, r *http.Request, e *schema.Entity, key string, parent *parentRef) {
	ctx := r.Context()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		row, err := s.find(r, e, key, parent)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeEntity(w, r, e, http.StatusOK, row)
	case http.MethodDelete:
		row, err := s.find(r, e, key, parent)
		if errors.Is(err, store.ErrNotFound) && parent == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := s.store.Delete(ctx, e, row["id"].(string)); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		s.patch(w, r, e, key, parent)
	case http.MethodPut:
		if e.Name == "targets" {
			s.patch(w, r, e, key, parent) // Kong: PUT on a target updates an existing one only
			return
		}
		body, err := readBody(r, e)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var by string
		if isUUID(key) {
			body["id"] = key
		} else if e.Name == "acls" && parent != nil {
			// kong/plugins/acl/api.lua: the key is the group, unique per consumer.
			by = "group"
			body[by] = key
		} else if e.EndpointKey != "" && e.Name != "certificates" {
			by = e.EndpointKey
			body[by] = key
		} else if e.Name == "certificates" {
			snis, _ := body["snis"].([]any)
			body["snis"] = appendUnique(snis, key)
		} else {
			writeJSON(w, http.StatusNotFound, msg("Not found"))
			return
		}
		row, err := s.writeUpsert(ctx, e, body, parent, by)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeEntity(w, r, e, http.StatusOK, row)
	}
}

func appendUnique(list []any, v string) []any {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request, e *schema.Entity, key string, parent *parentRef) {
	body, err := readBody(r, e)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur, err := s.find(r, e, key, parent)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			k := "id"
			if !isUUID(key) && e.EndpointKey != "" {
				k = e.EndpointKey
			}
			err = &store.Error{Code: store.CodeNotFound,
				Message: fmt.Sprintf("could not find the entity with primary key '%s'", store.LuaString(map[string]any{k: key}))}
			if k != "id" {
				err.(*store.Error).Message = fmt.Sprintf("could not find the entity with '%s'", store.LuaString(map[string]any{k: key}))
			}
		}
		s.fail(w, r, err)
		return
	}
	if err := s.decorate(r.Context(), e, cur); err != nil {
		s.fail(w, r, err)
		return
	}
	row, err := s.write(r.Context(), e, body, schema.Update, parent, cur)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeEntity(w, r, e, http.StatusOK, row)
}

// writeEntity decorates (certificate SNIs) and sends an entity.
func (s *Server) writeEntity(w http.ResponseWriter, r *http.Request, e *schema.Entity, status int, row map[string]any) {
	if err := s.decorate(r.Context(), e, row); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, e.Present(row))
}

// decorate adds transient fields Kong serves with an entity.
func (s *Server) decorate(ctx context.Context, e *schema.Entity, row map[string]any) error {
	return s.decorateAll(ctx, e, []map[string]any{row})
}

// decorateAll adds certificates' sorted "snis" names to a page of rows
// with one query.
func (s *Server) decorateAll(ctx context.Context, e *schema.Entity, rows []map[string]any) error {
	if e.Name != "certificates" || len(rows) == 0 {
		return nil
	}
	snis, _ := schema.Get("snis")
	ids := make([]string, 0, len(rows))
	for _, row := range rows {
		if id, ok := row["id"].(string); ok {
			ids = append(ids, id)
		}
	}
	names, err := s.store.ChildNames(ctx, snis, "certificate", "name", ids)
	if err != nil {
		return err
	}
	for _, row := range rows {
		id, _ := row["id"].(string)
		list := make([]any, 0, len(names[id]))
		for _, n := range names[id] {
			list = append(list, n)
		}
		row["snis"] = list
	}
	return nil
}

// sizeOutOfRange is Kong's answer to a page size outside 1..1000.
const sizeOutOfRange = "size must be an integer between 1 and 1000"

// pageSize reads a list's ?size= (100 when absent). A size that is no number
// is answered with notNumber, which differs between Kong's endpoints.
func pageSize(q url.Values, notNumber string) (int, error) {
	v := q.Get("size")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &store.Error{Code: store.CodeInvalidSize, Message: notNumber}
	}
	if n < 1 || n > 1000 {
		return 0, &store.Error{Code: store.CodeInvalidSize, Message: sizeOutOfRange}
	}
	return n, nil
}

// listTargets pages an upstream's targets the way Kong's
// page_for_upstream does: all of them sorted by (created_at, id), newest
// first, with a plain integer offset.
func (s *Server) listTargets(w http.ResponseWriter, r *http.Request, e *schema.Entity, parent *parentRef) {
	q := r.URL.Query()
	size, err := pageSize(q, sizeOutOfRange)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	offset := 0
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.fail(w, r, &store.Error{Code: store.CodeInvalidOffset, Message: fmt.Sprintf("'%s' is not a valid offset", v)})
			return
		}
		offset = n
	}
	rows, err := s.store.All(r.Context(), e, map[string]any{parent.field: parent.id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sort.SliceStable(rows, func(i, j int) bool {
		ci, _ := rows[i]["created_at"].(float64)
		cj, _ := rows[j]["created_at"].(float64)
		if ci != cj {
			return ci > cj
		}
		return fmt.Sprint(rows[i]["id"]) > fmt.Sprint(rows[j]["id"])
	})
	page := []any{}
	for i := offset; i < len(rows) && i < offset+size; i++ {
		page = append(page, e.Present(rows[i]))
	}
	body := map[string]any{"data": page, "next": nil}
	if offset+size < len(rows) {
		next := strconv.Itoa(offset + size)
		body["next"] = parent.path + "/targets?offset=" + next
		body["offset"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

// servedAsStored reports whether an entity's rows are served exactly as
// stored: no transient fields to add (certificates' snis) and nothing for
// schema.Present to echo (deprecated shorthands of records, which only
// subschema entities such as plugins and vaults, or records declaring
// shorthands, have).
func servedAsStored(e *schema.Entity) bool {
	if e.Name == "certificates" || (e.SubschemaKey != "" && e.Name != "routes") {
		return false
	}
	return !hasRecordShorthands(e.Fields)
}

func hasRecordShorthands(fields []*schema.Field) bool {
	for _, f := range fields {
		if f.Type == schema.Record && (len(f.Shorthands) > 0 || hasRecordShorthands(f.Fields)) {
			return true
		}
	}
	return false
}
