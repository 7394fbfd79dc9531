package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// noExport are the entities Kong marks db_export = false: they never reach
// a data plane or a declarative export.
var noExport = map[string]bool{
	"tags": true, "clustering_data_planes": true, "oauth2_tokens": true,
	"oauth2_authorization_codes": true, "ratelimiting_metrics": true, "sessions": true,
}

// Export reads the whole configuration the way Kong's export_config does
// for a control plane's reconfigure payload (kong/db/declarative/export.lua):
// one REPEATABLE READ read-only transaction, entities in dependency order,
// every field present (null included), foreign keys flattened to the bare
// id, no ws_id, ttl as an absolute epoch, and disabled services (with
// their routes and plugins) and disabled plugins left out. An entity key is
// present only when it has rows.
//
// The tables are read by two transactions sharing one snapshot
// (pg_export_snapshot), so the two largest render in parallel and the
// result is still one consistent view.
func (s *Store) Export(ctx context.Context) (*Export, error) {
	tx, err := s.pool.BeginTx(ctx, exportTx)
	if err != nil {
		return nil, fmt.Errorf("export: %w", dbError(err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var snapshot string
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		return nil, fmt.Errorf("export: %w", dbError(err))
	}
	tables := s.exportTables()
	results := make([]tableRows, len(tables))
	next := make(chan int, len(tables))
	for i := range tables {
		next <- i
	}
	close(next)
	read := func(tx pgx.Tx) {
		for i := range next {
			r := &results[i]
			r.rows, r.texts, r.err = s.exportRows(ctx, tx, tables[i])
		}
	}
	helperDone := make(chan error, 1)
	go func() { helperDone <- s.inSnapshot(ctx, snapshot, read) }()
	read(tx)
	if err := <-helperDone; err != nil {
		return nil, err
	}
	out := map[string]any{"_format_version": "3.0", "_transform": false}
	x := &Export{Config: out, raw: map[string][]json.RawMessage{}}
	skipped := map[string]bool{} // ids of disabled services and their routes
	for i, t := range tables {
		rows, texts, err := results[i].rows, results[i].texts, results[i].err
		if err != nil {
			return nil, err
		}
		kept := make([]any, 0, len(rows))
		var keptText []json.RawMessage
		for i, row := range rows {
			if s.skipExport(t.entity, row, skipped) {
				continue
			}
			kept, keptText = append(kept, row), append(keptText, texts[i])
		}
		if len(kept) > 0 {
			out[t.entity.Name], x.raw[t.entity.Name] = kept, keptText
		}
	}
	params, err := exportParameters(ctx, tx)
	if err != nil {
		return nil, err
	}
	if len(params) > 0 {
		out["parameters"] = params
	}
	return x, nil
}

var exportTx = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

type tableRows struct {
	rows  []map[string]any
	texts []json.RawMessage
	err   error
}

// inSnapshot runs read in a second read-only transaction on the snapshot
// the first one exported.
func (s *Store) inSnapshot(ctx context.Context, snapshot string, read func(pgx.Tx)) error {
	tx, err := s.pool.BeginTx(ctx, exportTx)
	if err != nil {
		return fmt.Errorf("export: %w", dbError(err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(snapshot)); err != nil {
		return fmt.Errorf("export: share snapshot: %w", dbError(err))
	}
	read(tx)
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Export is the whole configuration as read in one transaction.
type Export struct {
	// Config is the decoded configuration, for hashing and compiling.
	Config map[string]any
	// raw holds each exported row's JSON text as PostgreSQL rendered it,
	// so AppendJSON need not encode ten thousand maps again.
	raw map[string][]json.RawMessage
}

// AppendJSON appends Config as one JSON object to b (a reconfigure
// frame's config_table).
func (x *Export) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	first := true
	for k, v := range x.Config {
		if !first {
			b = append(b, ',')
		}
		first = false
		key, _ := json.Marshal(k)
		b = append(append(b, key...), ':')
		rows, ok := x.raw[k]
		if !ok {
			val, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("encode export %s: %w", k, err)
			}
			b = append(b, val...)
			continue
		}
		b = append(b, '[')
		for i, row := range rows {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, row...)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// skipExport applies export.lua's skip_disabled_entities rules; it records
// disabled services and their routes in skipped so dependents follow.
func (s *Store) skipExport(e *schema.Entity, row map[string]any, skipped map[string]bool) bool {
	id, _ := row["id"].(string)
	switch {
	case e.Name == "services" && row["enabled"] == false:
		skipped[id] = true
		return true
	case e.Name == "routes" && skipped[str(row["service"])]:
		skipped[id] = true
		return true
	case e.Name == "plugins" && row["enabled"] == false:
		return true
	}
	for _, f := range e.Fields {
		if f.Type == schema.Foreign && skipped[str(row[f.Name])] {
			return true
		}
	}
	return false
}

func str(v any) string { s, _ := v.(string); return s }

// exportTables are the exported tables in dependency order: workspaces
// first, then the entities as the schema registers them (parents first).
func (s *Store) exportTables() []*table {
	var out []*table
	for _, e := range schema.All() {
		if noExport[e.Name] {
			continue
		}
		if t, ok := s.tables[e.Name]; ok {
			out = append(out, t)
		} else if t, ok := s.internal[e.Name]; ok {
			out = append(out, t)
		}
	}
	return out
}

func (s *Store) exportRows(ctx context.Context, tx pgx.Tx, t *table) ([]map[string]any, []json.RawMessage, error) {
	r, err := tx.Query(ctx, "SELECT "+t.exportJSON+" FROM "+t.quoted+` WHERE TRUE`+t.live()+` ORDER BY "id"`)
	if err != nil {
		return nil, nil, fmt.Errorf("export %s: %w", t.entity.Name, dbError(err))
	}
	defer r.Close()
	var rows []map[string]any
	var raw []json.RawMessage
	// Each row is decoded as it arrives, while PostgreSQL renders the next.
	for r.Next() {
		text := append([]byte(nil), r.RawValues()[0]...)
		var row map[string]any
		if err := json.Unmarshal(text, &row); err != nil {
			return nil, nil, fmt.Errorf("export %s: decode row: %w", t.entity.Name, err)
		}
		rows, raw = append(rows, row), append(raw, text)
	}
	if err := r.Err(); err != nil {
		return nil, nil, fmt.Errorf("export %s: %w", t.entity.Name, dbError(err))
	}
	return rows, raw, nil
}

// exportParameters reads Kong's parameters table (cluster_id), which Kong
// exports too because its schema does not set db_export = false.
func exportParameters(ctx context.Context, tx pgx.Tx) ([]any, error) {
	r, err := tx.Query(ctx, `SELECT key, value, FLOOR(EXTRACT(EPOCH FROM created_at))::bigint FROM parameters ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("export parameters: %w", dbError(err))
	}
	defer r.Close()
	var out []any
	for r.Next() {
		var key, value string
		var created *int64
		if err := r.Scan(&key, &value, &created); err != nil {
			return nil, fmt.Errorf("export parameters: %w", dbError(err))
		}
		row := map[string]any{"key": key, "value": value, "created_at": nil}
		if created != nil {
			row["created_at"] = float64(*created)
		}
		out = append(out, row)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("export parameters: %w", dbError(err))
	}
	return out, nil
}

// exportObject is the export form of a row: readExpr's, except foreign keys
// are the bare id and ttl is the absolute expiry epoch (export.lua's
// *_for_export statements).
func exportObject(t *table) string {
	var pairs []string
	for _, c := range t.cols {
		q := pgx.Identifier{c.name}.Sanitize()
		switch {
		case c.name == "ttl":
			pairs = append(pairs, "'ttl', FLOOR(EXTRACT(EPOCH FROM "+q+"))::bigint")
		case c.field == nil:
		case c.field.Type == schema.Foreign:
			pairs = append(pairs, "'"+c.field.Name+"', "+q)
		default:
			pairs = append(pairs, "'"+c.field.Name+"', "+readExpr(c, q))
		}
	}
	return jsonObject(pairs)
}

// internalTable lays out an internal entity (workspaces) for export only.
func internalTable(e *schema.Entity, cols map[string]string) *table {
	t := buildTable(e, cols)
	t.exportJSON = exportObject(t)
	return t
}
