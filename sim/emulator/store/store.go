// Package store keeps the emulator's entities in PostgreSQL in Kong 3.9.3's
// own tables. CRUD is generic: each schema.Entity is mapped onto its table
// by reading the table's columns from the catalog, so one code path serves
// every entity. Uniqueness and foreign keys are PostgreSQL constraints, and
// every write commits together with the cluster_events rows Kong would
// insert, so other nodes (emulated or real) can follow.
package store

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// Options are the connection settings (Kong's pg_* settings) and the
// node's identity for cluster events.
type Options struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
	// Schema is pg_schema: the search_path Kong's tables live in ("" =
	// the server default).
	Schema    string
	SSL       bool
	SSLVerify bool
	// Timeout bounds connecting and each statement (PostgreSQL's
	// statement_timeout), as Kong's pg_timeout bounds each query.
	Timeout time.Duration
	// LockTimeout bounds each wait for a lock (PostgreSQL's lock_timeout),
	// such as the migration lock another node holds; 0 waits as long as
	// Timeout lets a statement run.
	LockTimeout time.Duration
	// PoolSize is the pool's maximum connections (pg_pool_size; 0 = 32).
	PoolSize int
	// NodeID is written as cluster_events.node_id.
	NodeID string
	// DBUpdatePropagation is Kong's db_update_propagation, in seconds.
	DBUpdatePropagation float64
	// ControlPlane adds Kong's clustering:push_config event to every write,
	// so the other control planes of the cluster push it to their data planes.
	ControlPlane bool
	// Schemas are the node's entity schemas, whose routes depend on its
	// router_flavor (nil = Kong's default flavor).
	Schemas *schema.Schemas
}

// Schemas returns the entity schemas the store lays its tables out by.
func (s *Store) Schemas() *schema.Schemas { return s.opts.schemas() }

func (o Options) schemas() *schema.Schemas {
	if o.Schemas != nil {
		return o.Schemas
	}
	s, _ := schema.ForRouterFlavor("")
	return s
}

// ConnString builds a pgx connection string; the password travels in it and
// must never be logged.
func (o Options) ConnString() string {
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(o.Host, strconv.Itoa(o.Port)), Path: "/" + o.Database}
	if o.Password != "" {
		u.User = url.UserPassword(o.User, o.Password)
	} else {
		u.User = url.User(o.User)
	}
	q := url.Values{}
	switch {
	case o.SSL && o.SSLVerify:
		q.Set("sslmode", "verify-full")
	case o.SSL:
		q.Set("sslmode", "require")
	default:
		q.Set("sslmode", "disable")
	}
	if o.Schema != "" {
		q.Set("search_path", o.Schema) // sent as a run-time parameter
	}
	if o.Timeout > 0 {
		q.Set("connect_timeout", strconv.Itoa(max(1, int(o.Timeout.Seconds()))))
		q.Set("statement_timeout", strconv.FormatInt(o.Timeout.Milliseconds(), 10)) // a run-time parameter
	}
	if o.LockTimeout > 0 {
		q.Set("lock_timeout", strconv.FormatInt(o.LockTimeout.Milliseconds(), 10))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Pool opens a connection pool without touching the schema (for the
// migrations commands).
func Pool(ctx context.Context, o Options) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(o.ConnString())
	if err != nil {
		return nil, fmt.Errorf("parse postgres settings: %w", err)
	}
	if o.PoolSize > 0 {
		cfg.MaxConns = int32(o.PoolSize)
	} else {
		cfg.MaxConns = 32
	}
	cfg.HealthCheckPeriod = 5 * time.Second
	// The pool pings a connection before handing it out (below).
	// Without a bound that ping waits on a connection the network dropped
	// (a partition) until the kernel gives up retransmitting, some fifteen
	// minutes; Kong's pg_timeout bounds every socket operation, so it bounds
	// the ping too, and a dead connection is replaced.
	if o.Timeout > 0 {
		cfg.PingTimeout = o.Timeout
	}
	// Kong's keepalive pool drops a connection as soon as the server closes
	// it, so the first query after a PostgreSQL restart gets a live one.
	// pgx pings only connections idle a second or more: one the restarted
	// server closed a moment ago would fail the query (FATAL 57P01). A ping
	// before every use costs a round trip and hands out only live ones.
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres at %s:%d: %w", o.Host, o.Port, err)
	}
	return pool, nil
}

// Store is the emulator's data access layer.
type Store struct {
	pool   *pgxpool.Pool
	opts   Options
	wsID   string
	tables map[string]*table // by schema name
	byTbl  map[string]*table // by table name
	// internal are entities without an Admin API (workspaces), laid out
	// for Export only.
	internal map[string]*table
	cons     map[string]constraint
}

// Open connects, checks that migrations are up to date and loads the table
// layouts. It fails like Kong when the database needs bootstrapping.
func Open(ctx context.Context, o Options) (*Store, error) {
	pool, err := Pool(ctx, o)
	if err != nil {
		return nil, err
	}
	s, err := New(ctx, pool, o)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// New builds a Store on an existing pool.
func New(ctx context.Context, pool *pgxpool.Pool, o Options) (*Store, error) {
	st, err := SchemaState(ctx, pool)
	if err != nil {
		return nil, err
	}
	if st.NeedsBootstrap {
		return nil, fmt.Errorf("database needs bootstrapping; run 'kong migrations bootstrap'")
	}
	if !st.UpToDate() {
		return nil, fmt.Errorf("new migrations available; run 'kong migrations up'")
	}
	s := &Store{pool: pool, opts: o, tables: map[string]*table{}, byTbl: map[string]*table{},
		internal: map[string]*table{}}
	if err := pool.QueryRow(ctx, `SELECT id::text FROM workspaces WHERE name = 'default'`).Scan(&s.wsID); err != nil {
		return nil, fmt.Errorf("read default workspace: %w", err)
	}
	if err := s.loadLayout(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the pool.
func (s *Store) Close() { s.pool.Close() }

// PoolHandle exposes the pool, so a second Store over the same database (a
// writer with other options in the cluster tests) shares its connections.
func (s *Store) PoolHandle() *pgxpool.Pool { return s.pool }

// WorkspaceID is the id of the default workspace.
func (s *Store) WorkspaceID() string { return s.wsID }

// Ping reports whether the database answers, for GET /status.
func (s *Store) Ping(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.pool.Ping(ctx) == nil
}

// Entity returns the schema of a stored entity by schema name.
func (s *Store) Entity(name string) (*schema.Entity, bool) {
	t, ok := s.tables[name]
	if !ok {
		return nil, false
	}
	return t.entity, true
}
