package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// WriteOptions carries per-write options taken from the request, like
// Kong's `ttl` for ttl-enabled entities.
type WriteOptions struct {
	// TTL in seconds; nil keeps no expiry.
	TTL *float64
	// Children, when set, replaces the parent's set of child rows in the
	// same transaction (a certificate's SNIs).
	Children *ChildSet
}

// ChildSet is the complete set of an entity's children of one kind, as
// Kong's certificates DAO maintains SNIs from the transient snis field.
type ChildSet struct {
	Entity *schema.Entity
	// Field is the child's foreign field pointing at the parent.
	Field string
	// Key identifies a child within the set ("name").
	Key string
	// Rows are the processed children; their Field is set by the store.
	Rows []map[string]any
}

func (s *Store) table(e *schema.Entity) (*table, error) {
	t, ok := s.tables[e.Name]
	if !ok {
		return nil, fmt.Errorf("entity %q has no table", e.Name)
	}
	return t, nil
}

// rowDoc turns a processed entity into the JSON object that
// jsonb_populate_record converts to a row of the entity's table.
func (s *Store) rowDoc(t *table, ent map[string]any, opts WriteOptions) ([]byte, error) {
	doc := make(map[string]any, len(t.cols))
	for _, c := range t.cols {
		switch {
		case c.name == "ws_id":
			doc["ws_id"] = s.wsID
		case c.name == "cache_key":
			doc["cache_key"] = s.cacheKey(t.entity, ent)
		case c.name == "ttl":
			if opts.TTL != nil && *opts.TTL > 0 {
				doc["ttl"] = time.Now().Add(time.Duration(*opts.TTL * float64(time.Second))).UTC().Format(time.RFC3339Nano)
			} else {
				doc["ttl"] = nil
			}
		case c.field.Type == schema.Foreign:
			doc[c.name] = foreignID(ent[c.field.Name])
		case c.udt == "timestamptz":
			doc[c.name] = timestamp(ent[c.field.Name])
		default:
			doc[c.name] = ent[c.field.Name]
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode %s row: %w", t.entity.Name, err)
	}
	return b, nil
}

func foreignID(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	return m["id"]
}

func timestamp(v any) any {
	f, ok := v.(float64)
	if !ok {
		if i, isInt := v.(int64); isInt {
			f, ok = float64(i), true
		} else if i, isInt := v.(int); isInt {
			f, ok = float64(i), true
		}
	}
	if !ok {
		return nil
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC().Format(time.RFC3339Nano)
}

// cacheKey is Kong's dao:cache_key for entities with a cache_key: the
// schema name, five key slots (foreign keys as their id) and the workspace.
func (s *Store) cacheKey(e *schema.Entity, ent map[string]any) string {
	parts := make([]string, 5)
	for i, name := range e.CacheKey {
		if i >= len(parts) {
			break
		}
		v := ent[name]
		if id := foreignID(v); id != nil {
			v = id
		}
		if v != nil {
			parts[i] = fmt.Sprint(v)
		}
	}
	ws := ""
	if e.Workspaceable {
		ws = s.wsID
	}
	return e.Name + ":" + strings.Join(parts, ":") + ":" + ws
}

func (s *Store) pkCacheKey(e *schema.Entity, id string) string {
	ws := ""
	if e.Workspaceable {
		ws = s.wsID
	}
	return e.Name + ":" + id + ":::::" + ws
}

func decodeRow(text string) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return nil, fmt.Errorf("decode row: %w", err)
	}
	return m, nil
}

func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return dbError(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return s.mapErr(nil, nil, err)
	}
	return nil
}

// Insert stores a new entity (POST) and returns it as served.
func (s *Store) Insert(ctx context.Context, e *schema.Entity, ent map[string]any, opts WriteOptions) (map[string]any, error) {
	t, err := s.table(e)
	if err != nil {
		return nil, err
	}
	doc, err := s.rowDoc(t, ent, opts)
	if err != nil {
		return nil, err
	}
	sql := "INSERT INTO " + t.quoted + " (" + t.colList + ") SELECT " + t.colList +
		" FROM jsonb_populate_record(NULL::" + t.quoted + ", $1::jsonb) RETURNING " + t.selectJSON
	if opts.Children != nil {
		var out map[string]any
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			var text string
			if err := tx.QueryRow(ctx, sql, doc).Scan(&text); err != nil {
				return s.mapErr(t, ent, err)
			}
			var err error
			if out, err = decodeRow(text); err != nil {
				return err
			}
			if err := s.crudEvents(ctx, tx, t, "create", out, nil); err != nil {
				return err
			}
			return s.replaceChildren(ctx, tx, out["id"], opts.Children)
		})
		return out, err
	}
	// One round trip: the row and its cluster events are sent as one batch,
	// which PostgreSQL runs as one implicit transaction. The events are
	// computed from the processed entity, which carries the id.
	batch := &pgx.Batch{}
	var text string
	batch.Queue(sql, doc).QueryRow(func(row pgx.Row) error { return row.Scan(&text) })
	if evs := s.eventsFor(t, "create", ent, nil); len(evs) > 0 {
		batch.Queue(eventsSQL, s.eventArgs(evs)...)
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return nil, s.mapErr(t, ent, err)
	}
	return decodeRow(text)
}

// Upsert creates or fully replaces the entity with ent's id (PUT). created
// tells which one happened.
func (s *Store) Upsert(ctx context.Context, e *schema.Entity, ent map[string]any, opts WriteOptions) (map[string]any, bool, error) {
	return s.upsertOn(ctx, e, "id", ent, opts)
}

// UpsertBy creates or replaces the entity whose unique field equals ent's
// value (PUT /services/{name}); an existing row keeps its id.
func (s *Store) UpsertBy(ctx context.Context, e *schema.Entity, field string, ent map[string]any, opts WriteOptions) (map[string]any, bool, error) {
	return s.upsertOn(ctx, e, field, ent, opts)
}

func (s *Store) upsertOn(ctx context.Context, e *schema.Entity, field string, ent map[string]any, opts WriteOptions) (map[string]any, bool, error) {
	t, err := s.table(e)
	if err != nil {
		return nil, false, err
	}
	target := `"id"`
	// oldCol/oldVal find the row the upsert may replace, for its events.
	oldCol, oldVal := field, ent[field]
	if field != "id" {
		var ok bool
		if target, ok = s.uniqueConflictTarget(t, field); !ok {
			if !t.hasKey || !slices.Contains(e.CacheKey, field) {
				return nil, false, fmt.Errorf("entity %q has no unique constraint on %q", e.Name, field)
			}
			// Unique only within its cache key (acls: consumer + group).
			target, oldCol, oldVal = `"cache_key"`, "cache_key", s.cacheKey(e, ent)
		}
	}
	doc, err := s.rowDoc(t, ent, opts)
	if err != nil {
		return nil, false, err
	}
	var sets []string
	for _, c := range t.cols {
		if c.name == "id" && field != "id" {
			continue // the existing row keeps its id
		}
		q := pgx.Identifier{c.name}.Sanitize()
		sets = append(sets, q+" = EXCLUDED."+q)
	}
	sql := "INSERT INTO " + t.quoted + " AS cur (" + t.colList + ") SELECT " + t.colList +
		" FROM jsonb_populate_record(NULL::" + t.quoted + ", $1::jsonb) ON CONFLICT (" + target +
		") DO UPDATE SET " + strings.Join(sets, ", ") + " RETURNING (xmax = 0), " + t.selectJSON
	var out, old map[string]any
	var created bool
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var oldText *string
		if err := tx.QueryRow(ctx, "SELECT "+t.selectJSON+" FROM "+t.quoted+" WHERE "+
			pgx.Identifier{oldCol}.Sanitize()+" = $1 FOR UPDATE", oldVal).Scan(&oldText); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return s.mapErr(t, ent, err)
		}
		if oldText != nil {
			if old, err = decodeRow(*oldText); err != nil {
				return err
			}
		}
		var text string
		if err := tx.QueryRow(ctx, sql, doc).Scan(&created, &text); err != nil {
			return s.mapErr(t, ent, err)
		}
		if out, err = decodeRow(text); err != nil {
			return err
		}
		op := "update"
		if created {
			op = "create"
		}
		if err := s.crudEvents(ctx, tx, t, op, out, old); err != nil {
			return err
		}
		return s.replaceChildren(ctx, tx, out["id"], opts.Children)
	})
	return out, created, err
}

// Update replaces the stored entity with id by ent (PATCH after merge);
// ErrNotFound when it vanished meanwhile.
func (s *Store) Update(ctx context.Context, e *schema.Entity, id string, ent map[string]any, opts WriteOptions) (map[string]any, error) {
	t, err := s.table(e)
	if err != nil {
		return nil, err
	}
	doc, err := s.rowDoc(t, ent, opts)
	if err != nil {
		return nil, err
	}
	cols := t.colList
	if t.hasTTL && opts.TTL == nil {
		cols = strings.Replace(cols, `, "ttl"`, "", 1) // PATCH without ttl keeps the expiry
	}
	sql := "UPDATE " + t.quoted + " SET (" + cols + ") = (SELECT " + cols + " FROM jsonb_populate_record(NULL::" +
		t.quoted + ", $1::jsonb)) WHERE id = $2 RETURNING " + t.selectJSON
	var out map[string]any
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var oldText string
		if err := tx.QueryRow(ctx, "SELECT "+t.selectJSON+" FROM "+t.quoted+" WHERE id = $1 FOR UPDATE", id).Scan(&oldText); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			return s.mapErr(t, ent, err)
		}
		old, err := decodeRow(oldText)
		if err != nil {
			return err
		}
		var text string
		if err := tx.QueryRow(ctx, sql, doc, id).Scan(&text); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			return s.mapErr(t, ent, err)
		}
		if out, err = decodeRow(text); err != nil {
			return err
		}
		if err := s.crudEvents(ctx, tx, t, "update", out, old); err != nil {
			return err
		}
		return s.replaceChildren(ctx, tx, out["id"], opts.Children)
	})
	return out, err
}

// Delete removes the entity with id, and what Kong cascades with it; it
// returns the deleted entity, or nil when there was none.
func (s *Store) Delete(ctx context.Context, e *schema.Entity, id string) (map[string]any, error) {
	t, err := s.table(e)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if e.Name == "ca_certificates" {
			var svc string
			err := tx.QueryRow(ctx, `SELECT id::text FROM services WHERE $1::uuid = ANY(ca_certificates) LIMIT 1`, id).Scan(&svc)
			if err == nil {
				return &Error{Code: CodeReferencedByOthers,
					Message: fmt.Sprintf("ca certificate %s is still referenced by services (id = %s)", id, svc)}
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return s.mapErr(t, nil, err)
			}
		}
		for _, child := range s.cascades(e) {
			ct := s.tables[child.entity]
			rows, err := tx.Query(ctx, "DELETE FROM "+ct.quoted+" WHERE "+pgx.Identifier{child.column}.Sanitize()+
				" = $1 RETURNING "+ct.selectJSON, id)
			if err != nil {
				return s.mapErr(ct, nil, err)
			}
			var deleted []map[string]any
			for rows.Next() {
				var text string
				if err := rows.Scan(&text); err != nil {
					rows.Close()
					return s.mapErr(ct, nil, err)
				}
				row, err := decodeRow(text)
				if err != nil {
					rows.Close()
					return err
				}
				deleted = append(deleted, row)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return s.mapErr(ct, nil, err)
			}
			for _, row := range deleted {
				if err := s.crudEvents(ctx, tx, ct, "delete", row, nil); err != nil {
					return err
				}
			}
		}
		var text string
		err := tx.QueryRow(ctx, "DELETE FROM "+t.quoted+" WHERE id = $1 RETURNING "+t.selectJSON, id).Scan(&text)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return s.mapErr(t, nil, err)
		}
		if out, err = decodeRow(text); err != nil {
			return err
		}
		return s.crudEvents(ctx, tx, t, "delete", out, nil)
	})
	return out, err
}

type cascade struct{ entity, column string }

// cascades lists the children Kong deletes with an entity: foreign fields
// with on_delete = cascade, plus certificates' SNIs, which the certificates
// DAO deletes itself.
func (s *Store) cascades(e *schema.Entity) []cascade {
	var out []cascade
	for _, child := range s.opts.schemas().All() {
		ct, ok := s.tables[child.Name]
		if !ok {
			continue
		}
		for _, f := range child.Fields {
			if f.Type != schema.Foreign || f.Reference != e.Name {
				continue
			}
			if f.OnDelete == "cascade" || (e.Name == "certificates" && child.Name == "snis") {
				out = append(out, cascade{entity: ct.entity.Name, column: f.Name + "_id"})
			}
		}
	}
	return out
}

// replaceChildren makes the parent's children of set's kind exactly
// set.Rows (matched by set.Key): others are deleted, missing ones inserted,
// each with its cluster events, inside the caller's transaction.
func (s *Store) replaceChildren(ctx context.Context, tx pgx.Tx, parentID any, set *ChildSet) error {
	if set == nil {
		return nil
	}
	ct, err := s.table(set.Entity)
	if err != nil {
		return err
	}
	fk, ok := ct.column(set.Field)
	if !ok {
		return fmt.Errorf("entity %q has no column for %q", set.Entity.Name, set.Field)
	}
	key, ok := ct.column(set.Key)
	if !ok {
		return fmt.Errorf("entity %q has no column for %q", set.Entity.Name, set.Key)
	}
	keep := make([]string, 0, len(set.Rows))
	for _, r := range set.Rows {
		keep = append(keep, fmt.Sprint(r[set.Key]))
	}
	qfk, qkey := pgx.Identifier{fk.name}.Sanitize(), pgx.Identifier{key.name}.Sanitize()
	rows, err := tx.Query(ctx, "DELETE FROM "+ct.quoted+" WHERE "+qfk+" = $1 AND NOT ("+qkey+
		" = ANY($2::text[])) RETURNING "+ct.selectJSON, parentID, keep)
	if err != nil {
		return s.mapErr(ct, nil, err)
	}
	texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return s.mapErr(ct, nil, err)
	}
	for _, text := range texts {
		row, err := decodeRow(text)
		if err != nil {
			return err
		}
		if err := s.crudEvents(ctx, tx, ct, "delete", row, nil); err != nil {
			return err
		}
	}
	rows, err = tx.Query(ctx, "SELECT "+qkey+"::text FROM "+ct.quoted+" WHERE "+qfk+" = $1", parentID)
	if err != nil {
		return s.mapErr(ct, nil, err)
	}
	existing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return s.mapErr(ct, nil, err)
	}
	have := map[string]bool{}
	for _, k := range existing {
		have[k] = true
	}
	insert := "INSERT INTO " + ct.quoted + " (" + ct.colList + ") SELECT " + ct.colList +
		" FROM jsonb_populate_record(NULL::" + ct.quoted + ", $1::jsonb) RETURNING " + ct.selectJSON
	for _, r := range set.Rows {
		if have[fmt.Sprint(r[set.Key])] {
			continue
		}
		r[set.Field] = map[string]any{"id": parentID}
		doc, err := s.rowDoc(ct, r, WriteOptions{})
		if err != nil {
			return err
		}
		var text string
		if err := tx.QueryRow(ctx, insert, doc).Scan(&text); err != nil {
			return s.mapErr(ct, r, err)
		}
		row, err := decodeRow(text)
		if err != nil {
			return err
		}
		if err := s.crudEvents(ctx, tx, ct, "create", row, nil); err != nil {
			return err
		}
	}
	return nil
}
