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
	err = s.pool.QueryRow(ctx, "SELECT "+t.selectJSON+" FROM "+t.quoted+" WHERE "+
		pgx.Identifier{col.name}.Sanitize()+" = $1"+t.live()+" LIMIT 1", value).Scan(&text)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, dbError(err)
	}
	return decodeRow(text)
}

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
	sql := "SELECT " + t.selectJSON + ", id::text FROM " + t.quoted + " WHERE TRUE"
	for _, w := range where {
		sql += " AND " + w
	}
	sql += t.live() + ` ORDER BY "id" LIMIT ` + strconv.Itoa(o.Size+1)
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
		row, err := decodeRow(text)
		if err != nil {
			return nil, "", err
		}
		rows = append(rows, row)
		lastID = id
	}
	if err := r.Err(); err != nil {
		return nil, "", dbError(err)
	}
	if rows == nil {
		rows = []map[string]any{}
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

// Tags pages the tags table (GET /tags and /tags/{tag}), ordered by
// entity id.
func (s *Store) Tags(ctx context.Context, tag string, size int, offset string) (rows []map[string]any, next string, err error) {
	var args []any
	sql := `SELECT entity_id::text, entity_name, tags FROM tags WHERE TRUE`
	if offset != "" {
		id, err := decodeOffset(offset)
		if err != nil {
			return nil, "", err
		}
		args = append(args, id)
		sql += ` AND entity_id > $1::uuid`
	}
	if tag != "" {
		args = append(args, tag)
		sql += fmt.Sprintf(` AND tags @> ARRAY[$%d::text]`, len(args))
	}
	sql += ` ORDER BY entity_id LIMIT ` + strconv.Itoa(size+1)
	r, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", dbError(err)
	}
	defer r.Close()
	rows = []map[string]any{}
	count, lastID := 0, ""
	for r.Next() {
		var id, name string
		var tags []string
		if err := r.Scan(&id, &name, &tags); err != nil {
			return nil, "", dbError(err)
		}
		if count == size {
			next = encodeOffset(lastID)
			break
		}
		count++
		lastID = id
		if tag != "" {
			rows = append(rows, map[string]any{"entity_id": id, "entity_name": name, "tag": tag})
			continue
		}
		for _, t := range tags {
			rows = append(rows, map[string]any{"entity_id": id, "entity_name": name, "tag": t})
		}
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
