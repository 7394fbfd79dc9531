package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// column maps one schema field onto one table column.
type column struct {
	name  string        // column name
	udt   string        // PostgreSQL type name (udt_name): text, _text, jsonb, _jsonb, uuid, timestamptz ...
	field *schema.Field // nil for ws_id, cache_key
}

// table is an entity's storage layout, derived from its schema and the
// columns PostgreSQL reports for its table.
type table struct {
	entity     *schema.Entity
	name       string
	cols       []column
	hasWS      bool
	hasKey     bool // cache_key column
	hasTTL     bool
	hasTags    bool
	selectJSON string // expression producing the entity's JSON text
	exportJSON string // the same for Export: bare foreign ids, absolute ttl
	quoted     string // quoted table name
	colList    string // quoted column list for writes
}

// constraint is a unique or foreign key constraint, for error mapping.
type constraint struct {
	table   string
	kind    byte // 'u', 'f', 'p'
	columns []string
	refTbl  string
}

func (s *Store) loadLayout(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT table_name, column_name, udt_name FROM information_schema.columns
		WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	if err != nil {
		return fmt.Errorf("read table layout: %w", err)
	}
	cols := map[string]map[string]string{}
	for rows.Next() {
		var t, c, u string
		if err := rows.Scan(&t, &c, &u); err != nil {
			return fmt.Errorf("read table layout: %w", err)
		}
		if cols[t] == nil {
			cols[t] = map[string]string{}
		}
		cols[t][c] = u
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read table layout: %w", err)
	}
	for _, e := range schema.All() {
		if e.Table == "" || cols[e.Table] == nil {
			continue
		}
		if e.Internal {
			s.internal[e.Name] = internalTable(e, cols[e.Table])
			continue
		}
		t := buildTable(e, cols[e.Table])
		t.exportJSON = exportObject(t)
		s.tables[e.Name] = t
		s.byTbl[e.Table] = t
	}
	return s.loadConstraints(ctx)
}

func buildTable(e *schema.Entity, cols map[string]string) *table {
	t := &table{entity: e, name: e.Table, quoted: pgx.Identifier{e.Table}.Sanitize()}
	for _, f := range e.Fields {
		name := f.Name
		if f.Type == schema.Foreign {
			name = f.Name + "_id"
		}
		udt, ok := cols[name]
		if !ok {
			continue // transient fields (certificates.snis) have no column
		}
		t.cols = append(t.cols, column{name: name, udt: udt, field: f})
		if f.Name == "tags" {
			t.hasTags = true
		}
	}
	if _, ok := cols["ws_id"]; ok && e.Workspaceable {
		t.hasWS = true
		t.cols = append(t.cols, column{name: "ws_id", udt: "uuid"})
	}
	if _, ok := cols["cache_key"]; ok && len(e.CacheKey) > 0 {
		t.hasKey = true
		t.cols = append(t.cols, column{name: "cache_key", udt: "text"})
	}
	if _, ok := cols["ttl"]; ok && e.TTL {
		t.hasTTL = true
		t.cols = append(t.cols, column{name: "ttl", udt: "timestamptz"})
	}
	var names, pairs []string
	for _, c := range t.cols {
		q := pgx.Identifier{c.name}.Sanitize()
		names = append(names, q)
		if c.field == nil && c.name != "ttl" {
			continue // internal columns are not served
		}
		key := c.name
		if c.field != nil {
			key = c.field.Name
		}
		pairs = append(pairs, "'"+key+"', "+readExpr(c, q))
	}
	t.colList = strings.Join(names, ", ")
	t.selectJSON = jsonObject(pairs)
	return t
}

// jsonObject builds the row's JSON, splitting jsonb_build_object calls to
// stay under PostgreSQL's 100-argument limit.
func jsonObject(pairs []string) string {
	if len(pairs) > 0 && len(pairs) <= 50 {
		// json (not jsonb) builds the text without a binary round trip.
		return "json_build_object(" + strings.Join(pairs, ", ") + ")::text"
	}
	var parts []string
	for i := 0; i < len(pairs); i += 40 {
		end := min(i+40, len(pairs))
		parts = append(parts, "jsonb_build_object("+strings.Join(pairs[i:end], ", ")+")")
	}
	if len(parts) == 0 {
		return "'{}'::jsonb"
	}
	return "(" + strings.Join(parts, " || ") + ")::text"
}

// readExpr renders a column the way Kong serves the field.
func readExpr(c column, q string) string {
	switch {
	case c.name == "ttl":
		return "CASE WHEN " + q + " IS NULL THEN NULL ELSE GREATEST(0, FLOOR(EXTRACT(EPOCH FROM (" + q + " - CURRENT_TIMESTAMP))))::bigint END"
	case c.field != nil && c.field.Type == schema.Foreign:
		return "CASE WHEN " + q + " IS NULL THEN NULL ELSE jsonb_build_object('id', " + q + ") END"
	case c.udt == "timestamptz":
		if c.field != nil && c.field.Type == schema.Number {
			return "ROUND(EXTRACT(EPOCH FROM " + q + ")::numeric, 3)"
		}
		return "FLOOR(EXTRACT(EPOCH FROM " + q + "))::bigint"
	default:
		return q
	}
}

func (s *Store) loadConstraints(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT con.conname, con.contype::text, rel.relname,
		  COALESCE(ref.relname, ''),
		  ARRAY(SELECT att.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
		        JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = k.attnum ORDER BY k.ord)
		FROM pg_constraint con
		JOIN pg_class rel ON rel.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = rel.relnamespace
		LEFT JOIN pg_class ref ON ref.oid = con.confrelid
		WHERE n.nspname = current_schema() AND con.contype IN ('u', 'f', 'p')`)
	if err != nil {
		return fmt.Errorf("read constraints: %w", err)
	}
	defer rows.Close()
	s.cons = map[string]constraint{}
	for rows.Next() {
		var name, kind, tbl, ref string
		var colNames []string
		if err := rows.Scan(&name, &kind, &tbl, &ref, &colNames); err != nil {
			return fmt.Errorf("read constraints: %w", err)
		}
		s.cons[name] = constraint{table: tbl, kind: kind[0], columns: colNames, refTbl: ref}
	}
	return rows.Err()
}

// uniqueConflictTarget returns the ON CONFLICT target for upserts keyed by
// field (the constraint's columns, ws_id included).
func (s *Store) uniqueConflictTarget(t *table, field string) (string, bool) {
	col := field
	for _, c := range s.cons {
		if c.table != t.name || (c.kind != 'u' && c.kind != 'p') {
			continue
		}
		cols := c.columns
		rest := make([]string, 0, len(cols))
		for _, x := range cols {
			if x != "ws_id" {
				rest = append(rest, x)
			}
		}
		if len(rest) == 1 && rest[0] == col {
			q := make([]string, len(cols))
			for i, x := range cols {
				q[i] = pgx.Identifier{x}.Sanitize()
			}
			return strings.Join(q, ", "), true
		}
	}
	return "", false
}
