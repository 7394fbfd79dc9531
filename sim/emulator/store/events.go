package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Cluster event channels, as Kong names them (kong/cache, kong/runloop/events.lua).
const (
	ChannelInvalidations     = "invalidations"
	ChannelCoreInvalidations = "invalidations_kong_core_db_cache"
	ChannelBalancerTargets   = "balancer:targets"
	ChannelBalancerUpstreams = "balancer:upstreams"
	ChannelPushConfig        = "clustering:push_config"
)

// coreCached are the entities Kong caches in kong.core_cache
// (constants.ENTITY_CACHE_STORE); the rest live in kong.cache.
var coreCached = map[string]bool{
	"certificates": true, "services": true, "routes": true, "snis": true, "upstreams": true, "targets": true,
	"plugins": true, "ca_certificates": true, "vaults": true, "key_sets": true, "keys": true,
}

type event struct{ channel, data string }

// crudEvents inserts the cluster_events rows a Kong node inserts for one
// CRUD operation (kong/runloop/events.lua): invalidation of the entity's
// cache key (and its previous one on update), then the entity-specific
// keys: router:version, plugins_iterator:version, snis:<name>, consumer
// username keys, and the balancer channels.
func (s *Store) crudEvents(ctx context.Context, tx pgx.Tx, t *table, op string, ent, old map[string]any) error {
	return s.insertEvents(ctx, tx, s.eventsFor(t, op, ent, old))
}

// eventsFor computes the cluster events of one CRUD operation.
func (s *Store) eventsFor(t *table, op string, ent, old map[string]any) []event {
	e := t.entity
	channel := ChannelInvalidations
	if coreCached[e.Name] {
		channel = ChannelCoreInvalidations
	}
	var evs []event
	key := func(m map[string]any) string {
		if len(e.CacheKey) > 0 {
			return s.cacheKey(e, m)
		}
		id, _ := m["id"].(string)
		return s.pkCacheKey(e, id)
	}
	k := key(ent)
	evs = append(evs, event{channel, k})
	if old != nil {
		if ok := key(old); ok != k {
			evs = append(evs, event{channel, ok})
		}
	}
	core := func(data string) { evs = append(evs, event{ChannelCoreInvalidations, data}) }
	switch e.Name {
	case "routes":
		core("router:version")
	case "services":
		if op == "update" {
			core("router:version")
		}
	case "plugins":
		core("plugins_iterator:version")
	case "snis":
		for _, m := range []map[string]any{ent, old} {
			if name, ok := m["name"].(string); ok {
				core("snis:" + name)
			}
		}
	case "consumers":
		for _, m := range []map[string]any{ent, old} {
			if name, ok := m["username"].(string); ok {
				evs = append(evs, event{ChannelInvalidations, s.pkCacheKey(e, name)})
			}
		}
	case "targets":
		evs = append(evs, event{ChannelBalancerTargets, op + ":" + fmt.Sprint(foreignID(ent["upstream"]))})
	case "upstreams":
		evs = append(evs, event{ChannelBalancerUpstreams, fmt.Sprintf("%s:%s:%v:%v", op, s.wsID, ent["id"], ent["name"])})
	}
	if s.opts.ControlPlane && !noExport[e.Name] {
		evs = append(evs, event{ChannelPushConfig, e.Name + ":" + op})
	}
	return evs
}

// eventsSQL inserts (Kong: nbf = now + db_update_propagation, NULL when
// 0; expire_at = now + max(propagation × 10, 3600) s) cluster events given as three parallel arrays ($1 ids,
// $2 channels, $3 data), $4 the node id and $5 db_update_propagation.
const eventsSQL = `INSERT INTO cluster_events (id, node_id, at, nbf, expire_at, channel, data)
		SELECT u.id, $4::uuid, CURRENT_TIMESTAMP(3),
		  CASE WHEN $5::float8 > 0 THEN CURRENT_TIMESTAMP(3) + make_interval(secs => $5::float8) ELSE NULL END,
		  CURRENT_TIMESTAMP(3) + make_interval(secs => GREATEST($5::float8 * 10, 3600)),
		  u.channel, u.data
		FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, channel, data)`

func (s *Store) eventArgs(evs []event) []any {
	ids := make([]string, len(evs))
	channels := make([]string, len(evs))
	data := make([]string, len(evs))
	for i, ev := range evs {
		ids[i], channels[i], data[i] = uuid.NewString(), ev.channel, ev.data
	}
	return []any{ids, channels, data, s.nodeID(), s.opts.DBUpdatePropagation}
}

func (s *Store) insertEvents(ctx context.Context, tx pgx.Tx, evs []event) error {
	if len(evs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, eventsSQL, s.eventArgs(evs)...); err != nil {
		return dbError(err)
	}
	return nil
}

func (s *Store) nodeID() string {
	if s.opts.NodeID != "" {
		return s.opts.NodeID
	}
	return uuid.Nil.String()
}

// mapErr turns a PostgreSQL error into Kong's DAO error: unique violations
// (409), foreign key violations (400) and everything else as a database
// error (500).
func (s *Store) mapErr(t *table, ent map[string]any, err error) error {
	var de *Error
	if errors.As(err, &de) || errors.Is(err, ErrNotFound) {
		return err
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return dbError(err)
	}
	con := s.cons[pgErr.ConstraintName]
	switch pgErr.Code {
	case "23505": // unique_violation
		if t == nil {
			t = s.byTbl[con.table]
		}
		if t == nil {
			return dbError(err)
		}
		return s.uniqueError(t, con, ent)
	case "23503": // foreign_key_violation
		if pgErr.TableName == con.table && t != nil && con.table == t.name && ent != nil {
			// insert/update with a dangling reference
			for _, c := range con.columns {
				if c == "ws_id" || !strings.HasSuffix(c, "_id") {
					continue
				}
				field := strings.TrimSuffix(c, "_id")
				ref := s.byTbl[con.refTbl]
				refName := con.refTbl
				if ref != nil {
					refName = ref.entity.Name
				}
				id := foreignID(ent[field])
				return &Error{Code: CodeForeignKey,
					Message: fmt.Sprintf("the foreign key '%s' does not reference an existing '%s' entity.",
						LuaString(map[string]any{"id": id}), refName),
					Fields: map[string]any{field: map[string]any{"id": id}}}
			}
		}
		child := s.byTbl[con.table]
		childName := con.table
		if child != nil {
			childName = child.entity.Name
		}
		parentName := con.refTbl
		if p := s.byTbl[con.refTbl]; p != nil {
			parentName = p.entity.Name
		}
		return &Error{Code: CodeForeignKey,
			Message: fmt.Sprintf("an existing '%s' entity references this '%s' entity", childName, parentName),
			Fields:  map[string]any{"@referenced_by": childName}}
	}
	return dbError(err)
}

func (s *Store) uniqueError(t *table, con constraint, ent map[string]any) error {
	fields := map[string]any{}
	for _, c := range con.columns {
		switch c {
		case "ws_id":
		case "cache_key":
			for _, name := range t.entity.CacheKey {
				fields[name] = ent[name]
			}
		default:
			name := c
			if col, ok := columnByName(t, c); ok && col.field != nil {
				name = col.field.Name
			}
			fields[name] = ent[name]
		}
	}
	if len(fields) == 0 {
		return &Error{Code: CodePrimaryKey, Message: fmt.Sprintf("primary key violation on key '%s'",
			LuaString(map[string]any{"id": ent["id"]})), Fields: map[string]any{"id": ent["id"]}}
	}
	if con.kind == 'p' {
		return &Error{Code: CodePrimaryKey, Message: fmt.Sprintf("primary key violation on key '%s'", LuaString(fields)),
			Fields: fields}
	}
	return &Error{Code: CodeUnique, Message: fmt.Sprintf("UNIQUE violation detected on '%s'", LuaString(fields)),
		Fields: fields}
}

func columnByName(t *table, name string) (column, bool) {
	for _, c := range t.cols {
		if c.name == name {
			return c, true
		}
	}
	return column{}, false
}
