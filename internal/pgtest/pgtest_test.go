package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewDatabaseIsFreshAndIsolated(t *testing.T) {
	a := NewDatabase(t)
	b := NewDatabase(t)
	if a.Name == b.Name {
		t.Fatalf("two databases share the name %q", a.Name)
	}
	conn, err := pgx.Connect(t.Context(), a.DSN())
	if err != nil {
		t.Fatalf("connect to %s: %v", a.Name, err)
	}
	t.Cleanup(func() { _ = conn.Close(t.Context()) })
	if _, err := conn.Exec(t.Context(), "CREATE TABLE x (id int)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	connB, err := pgx.Connect(t.Context(), b.DSN())
	if err != nil {
		t.Fatalf("connect to %s: %v", b.Name, err)
	}
	t.Cleanup(func() { _ = connB.Close(t.Context()) })
	var n int
	if err := connB.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE tablename = 'x'").Scan(&n); err != nil {
		t.Fatalf("query: %v", err)
	}
	if n != 0 {
		t.Fatalf("table created in %s is visible in %s", a.Name, b.Name)
	}
}

func TestPauseAndResumeKeepData(t *testing.T) {
	s, err := Start(t.Context(), "")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	db := s.NewDatabase(t)
	conn, err := pgx.Connect(t.Context(), db.DSN())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if _, err := conn.Exec(t.Context(), "CREATE TABLE kept (id int)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	_ = conn.Close(t.Context())
	if err := s.Pause(t.Context()); err != nil {
		t.Fatalf("pause: %v", err)
	}
	if _, err := pgx.Connect(t.Context(), db.DSN()); err == nil {
		t.Fatal("connect succeeded while the server was paused")
	}
	if err := s.Resume(t.Context()); err != nil {
		t.Fatalf("resume: %v", err)
	}
	conn, err = pgx.Connect(t.Context(), db.DSN())
	if err != nil {
		t.Fatalf("connect after resume: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(t.Context()) })
	if _, err := conn.Exec(t.Context(), "INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatalf("table lost across pause: %v", err)
	}
}

// TestServerDiesWithItsTestBinary starts a server in a child test process
// that exits without cleanup, then checks the server went with it.
func TestServerDiesWithItsTestBinary(t *testing.T) {
	if os.Getenv("PGTEST_ABANDON") == "1" {
		s, err := Start(context.Background(), "")
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		fmt.Printf("PORT %d\n", s.Admin().Port)
		os.Exit(0) // no Stop: the kernel must take postgres down
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithItsTestBinary$")
	cmd.Env = append(os.Environ(), "PGTEST_ABANDON=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
	var port int
	for _, line := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(line, "PORT %d", &port); err == nil {
			break
		}
	}
	if port == 0 {
		t.Fatalf("child printed no port: %s", out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			return // gone
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("postgres on port %d outlived its test binary", port)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestExternalServerFromDSN(t *testing.T) {
	s, err := Start(t.Context(), "")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	ext, err := external(s.Admin().DSN())
	if err != nil {
		t.Fatalf("external: %v", err)
	}
	db := ext.NewDatabase(t)
	conn, err := pgx.Connect(t.Context(), db.DSN())
	if err != nil {
		t.Fatalf("connect to a database made through %s: %v", EnvDSN, err)
	}
	_ = conn.Close(t.Context())
	if err := ext.Pause(t.Context()); err == nil {
		t.Fatal("pausing an external server succeeded")
	}
}
