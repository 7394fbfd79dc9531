package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
)

// Server is a PostgreSQL server for tests: either one this package started
// from the local binaries (initdb, pg_ctl) or an external one.
type Server struct {
	admin   Database // connection settings of the superuser on the "postgres" database
	dataDir string   // empty for an external server
	baseDir string   // temp dir holding dataDir, removed by Stop
	runAs   string   // "postgres" when we are root, since postgres refuses to run as root

	mu      sync.Mutex
	running bool
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
	port, err := freePort()
	if err != nil {
		_ = os.RemoveAll(base)
		return nil, err
	}
	s.admin = Database{Host: "127.0.0.1", Port: port, User: superuser, Name: "postgres"}
	if out, err := s.run(ctx, "initdb", "-D", s.dataDir, "-U", superuser, "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C"); err != nil {
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
	if out, err := s.run(ctx, "pg_ctl", "stop", "-D", s.dataDir, "-m", "fast", "-w"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
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

func (s *Server) startLocked(ctx context.Context) error {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
		"-c full_page_writes=off -c max_connections=300 -k %s", s.admin.Port, s.baseDir)
	logFile := filepath.Join(s.baseDir, "postgres.log")
	if out, err := s.run(ctx, "pg_ctl", "start", "-D", s.dataDir, "-w", "-t", "60", "-l", logFile, "-o", opts); err != nil {
		logTail, _ := os.ReadFile(logFile)
		return fmt.Errorf("pg_ctl start: %w: %s\n%s", err, out, logTail)
	}
	s.running = true
	return nil
}

func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", s.runAs, "--", name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	cmd.Dir = s.baseDir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

func chownTo(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("look up user %s: %w", name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("uid of %s: %w", name, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("gid of %s: %w", name, err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", dir, err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
