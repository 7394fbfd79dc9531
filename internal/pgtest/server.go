package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/internal/testport"
)

// Server is a PostgreSQL server for tests: either one this package started
// from the local binaries (initdb, postgres) or an external one.
type Server struct {
	admin   Database // connection settings of the superuser on the "postgres" database
	dataDir string   // empty for an external server
	baseDir string   // temp dir holding dataDir, removed by Stop
	runAs   string   // "postgres" when we are root, since PostgreSQL refuses to run as root

	mu      sync.Mutex
	running bool
	proc    *exec.Cmd
	exited  chan struct{}
}

// Admin returns the superuser connection settings of the server.
func (s *Server) Admin() Database { return s.admin }

// Start initialises a throwaway cluster in a temporary directory (under dir,
// or os.TempDir when empty) and starts it on a free 127.0.0.1 port, with
// fsync off because test data needs no durability.
func Start(ctx context.Context, dir string) (*Server, error) {
	base, err := os.MkdirTemp(dir, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	s := &Server{baseDir: base, dataDir: filepath.Join(base, "data")}
	if os.Geteuid() == 0 {
		s.runAs = "postgres"
		if err := chownTo(base, s.runAs); err != nil {
			_ = os.RemoveAll(base)
			return nil, err
		}
	}
	superuser := "postgres"
	if s.runAs == "" {
		if u, err := user.Current(); err == nil {
			superuser = u.Username
		}
	}
	port, err := testport.Pick()
	if err != nil {
		_ = os.RemoveAll(base)
		return nil, err
	}
	s.admin = Database{Host: "127.0.0.1", Port: port, User: superuser, Name: "postgres"}
	if out, err := s.run(ctx, binary("initdb"), "-D", s.dataDir, "-U", superuser, "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C"); err != nil {
		_ = os.RemoveAll(base)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	if err := s.start(ctx); err != nil {
		_ = os.RemoveAll(base)
		return nil, err
	}
	return s, nil
}

// Stop stops a server started by Start and removes its files; for an
// external server it does nothing.
func (s *Server) Stop() error {
	if s.dataDir == "" {
		return nil
	}
	err := s.Pause(context.Background())
	if rmErr := os.RemoveAll(s.baseDir); rmErr != nil && err == nil {
		err = fmt.Errorf("remove %s: %w", s.baseDir, rmErr)
	}
	return err
}

// Pause stops the server but keeps its data, to simulate a database outage;
// Resume starts it again on the same port.
func (s *Server) Pause(ctx context.Context) error {
	if s.dataDir == "" {
		return errors.New("cannot pause an external server")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	// SIGINT is PostgreSQL's fast shutdown: clients are disconnected and
	// the data is checkpointed, so Resume finds everything written.
	if err := s.proc.Process.Signal(syscall.SIGINT); err != nil {
		return fmt.Errorf("stop postgres: %w", err)
	}
	select {
	case <-s.exited:
	case <-ctx.Done():
		_ = s.proc.Process.Kill()
		<-s.exited
		return fmt.Errorf("stop postgres: %w", ctx.Err())
	}
	s.running = false
	return nil
}

// Resume starts a paused server again.
func (s *Server) Resume(ctx context.Context) error {
	if s.dataDir == "" {
		return errors.New("cannot resume an external server")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil
	}
	return s.startLocked(ctx)
}

func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(ctx)
}

// startLocked runs postgres as a child that the kernel stops when this
// process dies (Pdeathsig), so a test binary that panics or times out
// leaves no server behind.
func (s *Server) startLocked(ctx context.Context) error {
	logFile, err := os.OpenFile(filepath.Join(s.baseDir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open postgres log: %w", err)
	}
	defer logFile.Close()
	cmd := exec.Command(binary("postgres"), "-D", s.dataDir, "-p", strconv.Itoa(s.admin.Port), "-k", s.baseDir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300")
	cmd.Dir = s.baseDir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// SIGQUIT is PostgreSQL's immediate shutdown.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if s.runAs != "" {
		uid, gid, err := lookupIDs(s.runAs)
		if err != nil {
			return err
		}
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.proc, s.exited = cmd, exited
	deadline := time.Now().Add(60 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(pctx, s.admin.DSN())
		cancel()
		if err == nil {
			_ = conn.Close(ctx)
			s.running = true
			return nil
		}
		select {
		case <-exited:
			tail, _ := os.ReadFile(filepath.Join(s.baseDir, "postgres.log"))
			return fmt.Errorf("postgres exited during startup:\n%s", tail)
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("postgres did not accept connections within 60s: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if s.runAs != "" {
		uid, gid, err := lookupIDs(s.runAs)
		if err != nil {
			return nil, err
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	cmd.Dir = s.baseDir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

func lookupIDs(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, fmt.Errorf("look up user %s: %w", name, err)
	}
	if uid, err = strconv.Atoi(u.Uid); err != nil {
		return 0, 0, fmt.Errorf("uid of %s: %w", name, err)
	}
	if gid, err = strconv.Atoi(u.Gid); err != nil {
		return 0, 0, fmt.Errorf("gid of %s: %w", name, err)
	}
	return uid, gid, nil
}

func chownTo(dir, name string) error {
	uid, gid, err := lookupIDs(name)
	if err != nil {
		return err
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", dir, err)
	}
	return nil
}

// binary finds a PostgreSQL program: on PATH, else in Debian's versioned
// directory (/usr/lib/postgresql/<major>/bin, newest first), which the
// postgresql package does not put on PATH.
func binary(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	matches, _ := filepath.Glob(filepath.Join("/usr/lib/postgresql", "*", "bin", name))
	best, bestMajor := name, -1
	for _, m := range matches {
		major, err := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m))))
		if err == nil && major > bestMajor {
			best, bestMajor = m, major
		}
	}
	return best
}
