package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migration is one named step of a subsystem ("core" or a plugin), recorded
// in schema_meta under Kong's names so `kong migrations list` reads the same.
type Migration struct {
	Subsystem string
	Name      string
	// SQL is empty for Kong migrations whose effect the subsystem's first
	// migration already contains (the emulator creates the final layout at
	// once; the later names are recorded so the database reads as Kong 3.9.3's).
	SQL string
}

// Migrations returns the emulator's migrations in execution order.
func Migrations() []Migration {
	var out []Migration
	core := []string{"000_base", "003_100_to_110", "004_110_to_120", "005_120_to_130", "006_130_to_140",
		"007_140_to_150", "008_150_to_200", "009_200_to_210", "010_210_to_211", "011_212_to_213",
		"012_213_to_220", "013_220_to_230", "014_230_to_270", "015_270_to_280", "016_280_to_300",
		"017_300_to_310", "018_310_to_320", "019_320_to_330", "020_330_to_340", "021_340_to_350",
		"022_350_to_360", "023_360_to_370", "024_380_to_390"}
	for i, n := range core {
		m := Migration{Subsystem: "core", Name: n}
		if i == 0 {
			m.SQL = coreDDL
		}
		out = append(out, m)
	}
	plugins := []struct {
		name  string
		steps []string
	}{
		{"acl", []string{"000_base_acl", "002_130_to_140", "003_200_to_210", "004_212_to_213"}},
		{"basic-auth", []string{"000_base_basic_auth", "002_130_to_140", "003_200_to_210"}},
		{"hmac-auth", []string{"000_base_hmac_auth", "002_130_to_140", "003_200_to_210"}},
		{"jwt", []string{"000_base_jwt", "002_130_to_140", "003_200_to_210"}},
		{"key-auth", []string{"000_base_key_auth", "002_130_to_140", "003_200_to_210", "004_320_to_330"}},
		{"oauth2", []string{"000_base_oauth2", "003_130_to_140", "004_200_to_210", "005_210_to_211", "006_320_to_330", "007_320_to_330"}},
	}
	for _, p := range plugins {
		for i, n := range p.steps {
			m := Migration{Subsystem: p.name, Name: n}
			if i == 0 {
				m.SQL = credentialsDDL[p.name]
			}
			out = append(out, m)
		}
	}
	// The tags triggers go last, once every tagged table exists.
	out[len(out)-1].SQL += tagTriggers
	return out
}

// State is what schema_meta says about the database.
type State struct {
	NeedsBootstrap bool
	// Executed and New map each subsystem to its migration names.
	Executed map[string][]string
	New      map[string][]string
	order    []string
}

// UpToDate reports whether every migration has run.
func (s *State) UpToDate() bool { return !s.NeedsBootstrap && len(s.New) == 0 }

// Format renders a subsystem map as Kong lists it ("core: 000_base, ...").
func (s *State) Format(m map[string][]string) string {
	var b strings.Builder
	for _, sub := range s.order {
		if names, ok := m[sub]; ok {
			fmt.Fprintf(&b, "%*s: %s\n", 10, sub, strings.Join(names, ", "))
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

const schemaMetaDDL = `CREATE TABLE IF NOT EXISTS schema_meta (
  key TEXT, subsystem TEXT, last_executed TEXT, executed TEXT[], pending TEXT[],
  PRIMARY KEY (key, subsystem))`

// migrationLock serialises migrations across nodes that start together.
const migrationLock = 4_201_900

// SchemaState reads schema_meta.
func SchemaState(ctx context.Context, pool *pgxpool.Pool) (*State, error) {
	st := &State{Executed: map[string][]string{}, New: map[string][]string{}}
	for _, m := range Migrations() {
		if len(st.order) == 0 || st.order[len(st.order)-1] != m.Subsystem {
			st.order = append(st.order, m.Subsystem)
		}
	}
	rows, err := pool.Query(ctx, `SELECT subsystem, executed FROM schema_meta WHERE key = 'schema_meta'`)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
			st.NeedsBootstrap = true
			return st, nil
		}
		return nil, fmt.Errorf("read schema_meta: %w", err)
	}
	done := map[string]map[string]bool{}
	for rows.Next() {
		var sub string
		var executed []string
		if err := rows.Scan(&sub, &executed); err != nil {
			return nil, fmt.Errorf("read schema_meta: %w", err)
		}
		done[sub] = map[string]bool{}
		for _, n := range executed {
			done[sub][n] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_meta: %w", err)
	}
	if len(done) == 0 {
		st.NeedsBootstrap = true
		return st, nil
	}
	for _, m := range Migrations() {
		if done[m.Subsystem][m.Name] {
			st.Executed[m.Subsystem] = append(st.Executed[m.Subsystem], m.Name)
		} else {
			st.New[m.Subsystem] = append(st.New[m.Subsystem], m.Name)
		}
	}
	return st, nil
}

// Logf receives progress lines of migrations, like Kong prints them.
type Logf func(format string, args ...any)

// Bootstrap creates schema_meta and runs every migration; on a bootstrapped
// database it does nothing (Kong says "Database already bootstrapped").
func Bootstrap(ctx context.Context, pool *pgxpool.Pool, log Logf) error {
	return withLock(ctx, pool, func(conn *pgxpool.Conn) error {
		st, err := SchemaState(ctx, pool)
		if err != nil {
			return err
		}
		if !st.NeedsBootstrap {
			log("Database already bootstrapped")
			return nil
		}
		log("Bootstrapping database...")
		if _, err := conn.Exec(ctx, schemaMetaDDL); err != nil {
			return fmt.Errorf("create schema_meta: %w", err)
		}
		if err := run(ctx, conn, Migrations(), nil, log); err != nil {
			return err
		}
		log("Database is up-to-date")
		return nil
	})
}

// Up runs the migrations not yet executed.
func Up(ctx context.Context, pool *pgxpool.Pool, log Logf) error {
	return withLock(ctx, pool, func(conn *pgxpool.Conn) error {
		st, err := SchemaState(ctx, pool)
		if err != nil {
			return err
		}
		if st.NeedsBootstrap {
			//lint:ignore ST1005 Kong's own message, which scripts match
			return errors.New("Database needs bootstrapping or is older than Kong 1.0.\n\n" +
				"To start a new installation from scratch, run 'kong migrations bootstrap'.\n\n" +
				"To migrate from a version older than 1.0, migrated to Kong 1.5.0 first. \n" +
				"If you still have 'apis' entities, you can convert them to Routes and Services\n" +
				"using the 'kong migrations migrate-apis' command in Kong 1.5.0.\n\n")
		}
		if len(st.New) == 0 {
			log("Database is already up-to-date")
			return nil
		}
		return run(ctx, conn, Migrations(), st.Executed, log)
	})
}

// Reset drops everything in the current schema, as `kong migrations reset`.
func Reset(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, `DO $$
DECLARE s TEXT := current_schema();
BEGIN
  EXECUTE FORMAT('DROP SCHEMA IF EXISTS %I CASCADE', s);
  EXECUTE FORMAT('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION CURRENT_USER', s);
  EXECUTE FORMAT('GRANT USAGE ON SCHEMA %I TO CURRENT_USER', s);
END $$`)
	if err != nil {
		return fmt.Errorf("reset database: %w", err)
	}
	return nil
}

func run(ctx context.Context, conn *pgxpool.Conn, all []Migration, executed map[string][]string, log Logf) error {
	done := map[string]bool{}
	for sub, names := range executed {
		for _, n := range names {
			done[sub+"/"+n] = true
		}
	}
	count := 0
	for _, m := range all {
		if done[m.Subsystem+"/"+m.Name] {
			continue
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			return fmt.Errorf("migration %s/%s: %w", m.Subsystem, m.Name, err)
		}
		if m.SQL != "" {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				_ = tx.Rollback(ctx)
				return fmt.Errorf("migration %s/%s: %w", m.Subsystem, m.Name, err)
			}
		}
		if m.Subsystem == "core" && m.Name == "000_base" {
			if err := seed(ctx, tx); err != nil {
				_ = tx.Rollback(ctx)
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_meta (key, subsystem, last_executed, executed, pending)
			VALUES ('schema_meta', $1, $2, ARRAY[$2], ARRAY[]::TEXT[])
			ON CONFLICT (key, subsystem) DO UPDATE SET last_executed = $2,
			  executed = array_append(COALESCE(schema_meta.executed, ARRAY[]::TEXT[]), $2)`, m.Subsystem, m.Name); err != nil {
			_ = tx.Rollback(ctx)
			return fmt.Errorf("record migration %s/%s: %w", m.Subsystem, m.Name, err)
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("migration %s/%s: %w", m.Subsystem, m.Name, err)
		}
		log("%s migrated up to: %s (executed)", m.Subsystem, m.Name)
		count++
	}
	log("%d migrations processed", count)
	log("%d executed", count)
	return nil
}

// seed inserts the rows Kong's migrations create: the default workspace and
// the cluster id.
func seed(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `INSERT INTO workspaces (id, name, config, meta)
		VALUES (gen_random_uuid(), 'default', '{}', '{}') ON CONFLICT (name) DO NOTHING`); err != nil {
		return fmt.Errorf("create default workspace: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO parameters (key, value, created_at)
		VALUES ('cluster_id', gen_random_uuid()::text, CURRENT_TIMESTAMP(0)) ON CONFLICT (key) DO NOTHING`); err != nil {
		return fmt.Errorf("create cluster id: %w", err)
	}
	return nil
}

func withLock(ctx context.Context, pool *pgxpool.Pool, fn func(*pgxpool.Conn) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("acquire migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	}()
	return fn(conn)
}
