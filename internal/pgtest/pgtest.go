// Package pgtest gives tests a real PostgreSQL: one server per test binary
// (started from the local PostgreSQL binaries, or an existing server named by
// KONGDB_TEST_PG_DSN) and a fresh database per test, dropped when the test ends.
//
// Use it from TestMain so the server is stopped when the binary exits:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestX(t *testing.T) { db := pgtest.NewDatabase(t); ... db.DSN() ... }
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable holding the DSN of an existing server
// (a role allowed to CREATE DATABASE); when set no server is started.
const EnvDSN = "KONGDB_TEST_PG_DSN"

// Database is one test's own database; its fields are what Kong's KONG_PG_*
// settings need, so tests can configure an emulator or a real Kong from it.
type Database struct {
	Host     string
	Port     int
	User     string
	Password string
	Name     string
}

// DSN returns a postgres:// URL for the database.
func (d Database) DSN() string {
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(d.Host, strconv.Itoa(d.Port)), Path: "/" + d.Name}
	if d.Password != "" {
		u.User = url.UserPassword(d.User, d.Password)
	} else {
		u.User = url.User(d.User)
	}
	q := url.Values{}
	q.Set("sslmode", "disable")
	u.RawQuery = q.Encode()
	return u.String()
}

// Env returns the KONG_PG_* environment for the database, so a child process
// (an emulator or kong binary) connects to it.
func (d Database) Env() []string {
	return []string{
		"KONG_DATABASE=postgres",
		"KONG_PG_HOST=" + d.Host,
		"KONG_PG_PORT=" + strconv.Itoa(d.Port),
		"KONG_PG_USER=" + d.User,
		"KONG_PG_PASSWORD=" + d.Password,
		"KONG_PG_DATABASE=" + d.Name,
	}
}

var (
	mu      sync.Mutex
	current *Server
	started bool
	startEr error
)

// Main runs the tests of a binary and stops the server started for them, if
// any. Call it from TestMain; it exits the process with m.Run's code, after
// running each of after (a binary's other cleanups, which os.Exit would skip).
func Main(m *testing.M, after ...func()) {
	os.Exit(Run(m, after...))
}

// Run is Main without the exit, for a TestMain with more to clean up: it runs the tests,
// then each of after, stops the server and returns m.Run's code.
func Run(m *testing.M, after ...func()) int {
	code := m.Run()
	for _, f := range after {
		f()
	}
	mu.Lock()
	if current != nil {
		if err := current.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping postgres: %v\n", err)
		}
	}
	mu.Unlock()
	return code
}

// Shared returns the server of this test binary, starting it on first use
// (or connecting to KONGDB_TEST_PG_DSN). Tests that stop and restart the
// server to simulate an outage should use Start for their own server instead.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !started {
		started = true
		if dsn := os.Getenv(EnvDSN); dsn != "" {
			current, startEr = external(dsn)
		} else {
			current, startEr = Start(context.Background(), "")
		}
	}
	if startEr != nil {
		tb.Fatalf("pgtest: postgres unavailable: %v", startEr)
	}
	return current
}

// NewDatabase creates a fresh, empty database on the shared server and drops
// it when the test ends.
func NewDatabase(tb testing.TB) Database {
	tb.Helper()
	return Shared(tb).NewDatabase(tb)
}

// NewDatabase creates a fresh, empty database on s and drops it when the test
// ends.
func (s *Server) NewDatabase(tb testing.TB) Database {
	tb.Helper()
	name := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	db := s.admin
	db.Name = name
	return db
}

func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.admin.DSN())
	if err != nil {
		return fmt.Errorf("connect to %s:%d: %w", s.admin.Host, s.admin.Port, err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func external(dsn string) (*Server, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", EnvDSN, err)
	}
	db := Database{Host: cfg.Host, Port: int(cfg.Port), User: cfg.User, Password: cfg.Password, Name: cfg.Database}
	if db.Name == "" {
		db.Name = "postgres"
	}
	return &Server{admin: db}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("pgtest: random: %v", err))
	}
	return hex.EncodeToString(b)
}
