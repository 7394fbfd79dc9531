package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

func (t *table) live() string {
	if t.hasTTL {
		return ` AND ("ttl" IS NULL OR "ttl" >= CURRENT_TIMESTAMP)`
	}
	return ""
}

// Get reads the entity with id; ErrNotFound when absent.
func (s *Store) Get(ctx context.Context, e *schema.Entity, id string) (map[string]any, error) {
	return s.GetBy(ctx, e, "id", id)
}

// GetBy reads the entity whose field (a unique field, or a foreign field
// given as its id) equals value; ErrNotFound when absent.
func (s *Store) GetBy(ctx context.Context, e *schema.Entity, field string, value any) (map[string]any, error) {
	t, err := s.table(e)
	if err != nil {
		return nil, err
	}
	col, ok := t.column(field)
	if !ok {
		return nil, fmt.Errorf("entity %q has no column for %q", e.Name, field)
	}
	if col.udt == "uuid" {
		str, _ := value.(string)
		if _, err := uuid.Parse(str); err != nil {
			return nil, ErrNotFound
		}
	}
	var text string
	// ws_id leads the per-workspace unique indexes, as in Kong's queries.
	err = s.pool.QueryRow(ctx, "SELECT "+t.selectJSON+" FROM "+t.quoted+" WHERE "+
		pgx.Identifier{col.name}.Sanitize()+" = $1"+s.inWorkspace(t, 2)+t.live()+" LIMIT 1", value, s.wsArg(t)).Scan(&text)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, dbError(err)
	}
	return decodeRow(text)
}

// inWorkspace restricts a workspaceable table to the default workspace
// with parameter $n; wsArg supplies the parameter (ignored otherwise).
func (s *Store) inWorkspace(t *table, n int) string {
	if !t.hasWS {
		return " AND $" + strconv.Itoa(n) + "::uuid IS NOT NULL"
	}
	return " AND ws_id = $" + strconv.Itoa(n) + "::uuid"
}

func (s *Store) wsArg(*table) any { return s.wsID }

func (t *table) column(field string) (column, bool) {
	for _, c := range t.cols {
		if c.field != nil && c.field.Name == field {
			return c, true
		}
	}
	return column{}, false
}

// PageOptions select one page of a collection.
type PageOptions struct {
	// Size is the page size (1..1000).
	Size int
	// Offset is the opaque token of the previous page, "" for the first.
	Offset string
	// Tags filter the collection: all of them (TagsAny false) or any.
	Tags    []string
	TagsAny bool
	// Equal restricts rows to fields equal to values (a foreign field is
	// given as its id), e.g. {"service": "<uuid>"} for /services/{s}/routes.
	Equal map[string]any
}

// Page reads one page ordered by id (Kong's keyset pagination); next is the
// offset of the following page, "" on the last one.
func (s *Store) Page(ctx context.Context, e *schema.Entity, o PageOptions) (rows []map[string]any, next string, err error) {
	texts, next, err := s.PageRaw(ctx, e, o)
	if err != nil {
		return nil, "", err
	}
	rows = make([]map[string]any, 0, len(texts))
	for _, text := range texts {
		row, err := decodeRow(string(text))
		if err != nil {
			return nil, "", err
		}
		rows = append(rows, row)
	}
	return rows, next, nil
}

// PageRaw is Page returning each entity as the JSON text PostgreSQL
// rendered, for lists served without changes (no decode/encode round trip).
func (s *Store) PageRaw(ctx context.Context, e *schema.Entity, o PageOptions) (rows []json.RawMessage, next string, err error) {
	t, err := s.table(e)
	if err != nil {
		return nil, "", err
	}
	if o.Size <= 0 {
		o.Size = 100
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if t.hasWS {
		where = append(where, "ws_id = "+arg(s.wsID)+"::uuid")
	}
	if o.Offset != "" {
		id, err := decodeOffset(o.Offset)
		if err != nil {
			return nil, "", err
		}
		where = append(where, `"id" > `+arg(id)+"::uuid")
	}
	for field, v := range o.Equal {
		col, ok := t.column(field)
		if !ok {
			return nil, "", fmt.Errorf("entity %q has no column for %q", e.Name, field)
		}
		if v == nil {
			where = append(where, pgx.Identifier{col.name}.Sanitize()+" IS NULL")
			continue
		}
		where = append(where, pgx.Identifier{col.name}.Sanitize()+" = "+arg(v))
	}
	if len(o.Tags) > 0 {
		op := "@>"
		if o.TagsAny {
			op = "&&"
		}
		where = append(where, `"tags" `+op+" "+arg(o.Tags)+"::text[]")
	}
	// The page's rows are chosen in a subquery and rendered outside it, so
	// PostgreSQL builds JSON for the page only, whatever plan it picks for
	// the ORDER BY (a sort over the whole table otherwise renders every row).
	inner := "SELECT * FROM " + t.quoted + " WHERE TRUE"
	for _, w := range where {
		inner += " AND " + w
	}
	inner += t.live() + ` ORDER BY "id" LIMIT ` + strconv.Itoa(o.Size+1)
	sql := "SELECT " + t.selectJSON + ", id::text FROM (" + inner + ") AS " + t.quoted + ` ORDER BY "id"`
	r, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", dbError(err)
	}
	defer r.Close()
	var lastID string
	for r.Next() {
		var text, id string
		if err := r.Scan(&text, &id); err != nil {
			return nil, "", dbError(err)
		}
		if len(rows) == o.Size {
			next = encodeOffset(lastID)
			break
		}
		rows = append(rows, json.RawMessage(text))
		lastID = id
	}
	if err := r.Err(); err != nil {
		return nil, "", dbError(err)
	}
	if rows == nil {
		rows = []json.RawMessage{}
	}
	return rows, next, nil
}

// All reads every row matching equal (no paging), for small sets such as
// a certificate's SNIs or an upstream's targets.
func (s *Store) All(ctx context.Context, e *schema.Entity, equal map[string]any) ([]map[string]any, error) {
	var out []map[string]any
	offset := ""
	for {
		rows, next, err := s.Page(ctx, e, PageOptions{Size: 1000, Offset: offset, Equal: equal})
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if next == "" {
			return out, nil
		}
		offset = next
	}
}

// ChildNames returns, for each parent id, the sorted values of the
// children's field (a certificate's SNI names), in one query for a whole
// page of parents.
func (s *Store) ChildNames(ctx context.Context, child *schema.Entity, fk, field string, parentIDs []string) (map[string][]string, error) {
	t, err := s.table(child)
	if err != nil {
		return nil, err
	}
	fkCol, ok := t.column(fk)
	if !ok {
		return nil, fmt.Errorf("entity %q has no column for %q", child.Name, fk)
	}
	col, ok := t.column(field)
	if !ok {
		return nil, fmt.Errorf("entity %q has no column for %q", child.Name, field)
	}
	qfk, qcol := pgx.Identifier{fkCol.name}.Sanitize(), pgx.Identifier{col.name}.Sanitize()
	r, err := s.pool.Query(ctx, "SELECT "+qfk+"::text, "+qcol+"::text FROM "+t.quoted+" WHERE "+qfk+
		" = ANY($1::uuid[]) ORDER BY "+qcol+` COLLATE "C"`, parentIDs)
	if err != nil {
		return nil, dbError(err)
	}
	defer r.Close()
	out := make(map[string][]string, len(parentIDs))
	for r.Next() {
		var parent, name string
		if err := r.Scan(&parent, &name); err != nil {
			return nil, dbError(err)
		}
		out[parent] = append(out[parent], name)
	}
	if err := r.Err(); err != nil {
		return nil, dbError(err)
	}
	return out, nil
}

// encodeOffset makes Kong's token: unpadded base64 of a JSON array of the
// primary key.
func encodeOffset(id string) string {
	b, _ := json.Marshal([]string{id})
	return base64.RawStdEncoding.EncodeToString(b)
}

func decodeOffset(tok string) (string, error) {
	bad := func(why string) error {
		return &Error{Code: CodeInvalidOffset, Message: fmt.Sprintf("'%s' is not a valid offset: %s", tok, why)}
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(tok, "="))
	if err != nil {
		return "", bad("bad base64 encoding")
	}
	var pk []string
	if err := json.Unmarshal(raw, &pk); err != nil || len(pk) != 1 {
		return "", bad("bad json encoding")
	}
	if _, err := uuid.Parse(pk[0]); err != nil {
		return "", bad("bad json encoding")
	}
	return pk[0], nil
}

// Tags pages the tags table like Kong (strategies/postgres/tags.lua): GET
// /tags pages over (entity, tag) pairs ordered by entity id then tag
// position; GET /tags/{tag} over the entities carrying tag.
func (s *Store) Tags(ctx context.Context, tag string, size int, offset string) (rows []map[string]any, next string, err error) {
	var args []any
	var sql string
	var afterID string
	afterOrd := 0
	if offset != "" {
		raw, derr := base64.RawStdEncoding.DecodeString(strings.TrimRight(offset, "="))
		var tok []any
		if derr != nil {
			return nil, "", &Error{Code: CodeInvalidOffset, Message: fmt.Sprintf("'%s' is not a valid offset: bad base64 encoding", offset)}
		}
		if json.Unmarshal(raw, &tok) != nil || len(tok) == 0 {
			return nil, "", &Error{Code: CodeInvalidOffset, Message: fmt.Sprintf("'%s' is not a valid offset: bad json encoding", offset)}
		}
		afterID, _ = tok[0].(string)
		if _, perr := uuid.Parse(afterID); perr != nil {
			return nil, "", &Error{Code: CodeInvalidOffset, Message: fmt.Sprintf("'%s' is not a valid offset: bad json encoding", offset)}
		}
		if len(tok) > 1 {
			f, _ := tok[1].(float64)
			afterOrd = int(f)
		}
	}
	switch {
	case tag != "" && offset != "":
		sql, args = `SELECT entity_id::text, entity_name, $2::text, 0 FROM tags WHERE entity_id > $1::uuid AND $2 = ANY(tags)
			ORDER BY entity_id LIMIT $3`, []any{afterID, tag, size + 1}
	case tag != "":
		sql, args = `SELECT entity_id::text, entity_name, $1::text, 0 FROM tags WHERE $1 = ANY(tags)
			ORDER BY entity_id LIMIT $2`, []any{tag, size + 1}
	case offset != "":
		sql, args = `SELECT entity_id::text, entity_name, tag, ordinality FROM tags,
			UNNEST(tags) WITH ORDINALITY AS t_tag (tag, ordinality)
			WHERE entity_id > $1::uuid OR (entity_id = $1::uuid AND ordinality > $2)
			ORDER BY entity_id, ordinality LIMIT $3`, []any{afterID, afterOrd, size + 1}
	default:
		sql, args = `SELECT entity_id::text, entity_name, tag, ordinality FROM tags,
			UNNEST(tags) WITH ORDINALITY AS t_tag (tag, ordinality)
			ORDER BY entity_id, ordinality LIMIT $1`, []any{size + 1}
	}
	r, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", dbError(err)
	}
	defer r.Close()
	rows = []map[string]any{}
	var lastID string
	var lastOrd int64
	for r.Next() {
		var id, name, t string
		var ord int64
		if err := r.Scan(&id, &name, &t, &ord); err != nil {
			return nil, "", dbError(err)
		}
		if len(rows) == size {
			tok := []any{lastID}
			if tag == "" {
				tok = append(tok, lastOrd)
			}
			b, _ := json.Marshal(tok)
			next = base64.RawStdEncoding.EncodeToString(b)
			break
		}
		rows = append(rows, map[string]any{"entity_id": id, "entity_name": name, "tag": t})
		lastID, lastOrd = id, ord
	}
	if err := r.Err(); err != nil {
		return nil, "", dbError(err)
	}
	return rows, next, nil
}

// PluginNamesInUse lists the distinct plugin names stored, for GET /
// "enabled_in_cluster".
func (s *Store) PluginNamesInUse(ctx context.Context) ([]string, error) {
	r, err := s.pool.Query(ctx, `SELECT DISTINCT name FROM plugins ORDER BY name`)
	if err != nil {
		return nil, dbError(err)
	}
	names, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		return nil, dbError(err)
	}
	return names, nil
}
