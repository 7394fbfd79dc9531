package admin

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// prepare applies what Kong's endpoints do before the DAO: the parent's
// foreign key from the URL, resolution of foreign keys given by endpoint
// key, and extraction of the ttl option.
func (s *Server) prepare(ctx context.Context, e *schema.Entity, body map[string]any, parent *parentRef) (store.WriteOptions, error) {
	var opts store.WriteOptions
	if e.TTL {
		if v, ok := body["ttl"]; ok {
			delete(body, "ttl")
			switch n := v.(type) {
			case float64:
				opts.TTL = &n
			case nil:
			default:
				return opts, &schema.Error{Fields: map[string]any{"ttl": "expected a number"}}
			}
		}
	}
	if parent != nil {
		body[parent.field] = map[string]any{"id": parent.id}
	}
	for _, f := range e.Fields {
		if f.Type != schema.Foreign {
			continue
		}
		ref, ok := body[f.Name].(map[string]any)
		if !ok || ref["id"] != nil || len(ref) == 0 {
			continue
		}
		target, ok := schema.Get(f.Reference)
		if !ok {
			continue
		}
		for k, v := range ref {
			if k != target.EndpointKey {
				continue
			}
			row, err := s.store.GetBy(ctx, target, k, v)
			if errors.Is(err, store.ErrNotFound) {
				return opts, &store.Error{Code: store.CodeForeignUnresolved,
					Message: fmt.Sprintf("foreign key unresolved (%s: the foreign key cannot be resolved with '%s' for an existing '%s' entity)",
						f.Name, store.LuaString(ref), target.Name),
					Fields: map[string]any{f.Name: fmt.Sprintf("the foreign key cannot be resolved with '%s' for an existing '%s' entity",
						store.LuaString(ref), target.Name)}}
			}
			if err != nil {
				return opts, err
			}
			body[f.Name] = map[string]any{"id": row["id"]}
		}
	}
	return opts, nil
}

// write runs POST (Insert) and PATCH (Update, cur = the stored entity).
func (s *Server) write(ctx context.Context, e *schema.Entity, body map[string]any, op schema.Op, parent *parentRef, cur map[string]any) (map[string]any, error) {
	opts, err := s.prepare(ctx, e, body, parent)
	if err != nil {
		return nil, err
	}
	snis, hasSNIs := body["snis"]
	var ent map[string]any
	if op == schema.Update {
		ent, err = e.ProcessUpdate(cur, body, s.now())
	} else {
		ent, err = e.Process(body, op, s.now())
	}
	if err != nil {
		return nil, err
	}
	var row map[string]any
	if op == schema.Update {
		row, err = s.store.Update(ctx, e, cur["id"].(string), ent, opts)
	} else {
		row, err = s.store.Insert(ctx, e, ent, opts)
	}
	if err != nil {
		return nil, err
	}
	if e.Name == "certificates" && hasSNIs {
		if err := s.setSNIs(ctx, row["id"].(string), snis); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// writeUpsert runs PUT: a full replacement keyed by id or by endpoint key.
func (s *Server) writeUpsert(ctx context.Context, e *schema.Entity, body map[string]any, parent *parentRef, by string) (map[string]any, error) {
	opts, err := s.prepare(ctx, e, body, parent)
	if err != nil {
		return nil, err
	}
	snis, hasSNIs := body["snis"]
	ent, err := e.Process(body, schema.Upsert, s.now())
	if err != nil {
		return nil, err
	}
	var row map[string]any
	if by == "" {
		row, _, err = s.store.Upsert(ctx, e, ent, opts)
	} else {
		row, _, err = s.store.UpsertBy(ctx, e, by, ent, opts)
	}
	if err != nil {
		return nil, err
	}
	if e.Name == "certificates" && hasSNIs {
		if err := s.setSNIs(ctx, row["id"].(string), snis); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// setSNIs makes the certificate's SNI rows match names, as Kong's
// certificates DAO does for the transient snis field.
func (s *Server) setSNIs(ctx context.Context, certID string, names any) error {
	snis, _ := schema.Get("snis")
	list, _ := names.([]any)
	want := map[string]bool{}
	for _, n := range list {
		if str, ok := n.(string); ok {
			want[str] = true
		}
	}
	rows, err := s.store.All(ctx, snis, map[string]any{"certificate": certID})
	if err != nil {
		return err
	}
	for _, row := range rows {
		name, _ := row["name"].(string)
		if want[name] {
			delete(want, name)
			continue
		}
		if _, err := s.store.Delete(ctx, snis, row["id"].(string)); err != nil {
			return err
		}
	}
	sorted := make([]string, 0, len(want))
	for n := range want {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		ent, err := snis.Process(map[string]any{"name": n, "certificate": map[string]any{"id": certID}}, schema.Insert, s.now())
		if err != nil {
			return err
		}
		if _, err := s.store.Insert(ctx, snis, ent, store.WriteOptions{}); err != nil {
			return err
		}
	}
	return nil
}
