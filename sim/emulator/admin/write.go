package admin

import (
	"context"
	"errors"
	"fmt"

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
			if m := schema.TTLOptionError(e, v); m != "" {
				return opts, &store.Error{Code: store.CodeInvalidOptions, Message: "invalid option (ttl: " + m + ")",
					Options: map[string]any{"ttl": m}}
			}
			if n, isNum := v.(float64); isNum {
				opts.TTL = &n
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
		target, ok := s.entities.Get(f.Reference)
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
	if e.Name == "certificates" && hasSNIs {
		if opts.Children, err = s.sniSet(ent, snis); err != nil {
			return nil, err
		}
	}
	if op == schema.Update {
		return s.store.Update(ctx, e, cur["id"].(string), ent, opts)
	}
	return s.store.Insert(ctx, e, ent, opts)
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
	if e.Name == "certificates" && hasSNIs {
		if opts.Children, err = s.sniSet(ent, snis); err != nil {
			return nil, err
		}
	}
	var row map[string]any
	if by == "" {
		row, _, err = s.store.Upsert(ctx, e, ent, opts)
	} else {
		row, _, err = s.store.UpsertBy(ctx, e, by, ent, opts)
	}
	return row, err
}

// sniSet validates the transient snis of a certificate as SNI entities,
// for the store to write in the certificate's transaction.
func (s *Server) sniSet(cert map[string]any, names any) (*store.ChildSet, error) {
	snis, _ := schema.Get("snis")
	list, _ := names.([]any)
	set := &store.ChildSet{Entity: snis, Field: "certificate", Key: "name"}
	for _, n := range list {
		ent, err := snis.Process(map[string]any{"name": n, "certificate": map[string]any{"id": cert["id"]}}, schema.Insert, s.now())
		if err != nil {
			return nil, err
		}
		set.Rows = append(set.Rows, ent)
	}
	return set, nil
}
