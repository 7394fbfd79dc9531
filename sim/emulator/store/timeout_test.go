package store

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

// TestTimeoutBoundsEachStatement checks Options.Timeout is a per-statement timeout, as Kong's
// pg_timeout bounds each query: a statement that runs longer is cancelled by PostgreSQL.
func TestTimeoutBoundsEachStatement(t *testing.T) {
	db := pgtest.NewDatabase(t)
	opts := Options{Host: db.Host, Port: db.Port, User: db.User, Database: db.Name, Timeout: 300 * time.Millisecond}
	pool, err := Pool(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// pg_sleep(30) would outlive the test's patience by far; the timeout must end it.
	_, err = pool.Exec(t.Context(), `SELECT pg_sleep(30)`)
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("a statement longer than the timeout: err = %v, want PostgreSQL's statement timeout", err)
	}
}

// TestLockTimeoutBoundsTheWaitForAnotherNodesMigrations holds the migration lock as another
// node running migrations would, and checks Up gives up after LockTimeout with the reason
// instead of waiting for ever.
func TestLockTimeoutBoundsTheWaitForAnotherNodesMigrations(t *testing.T) {
	db := pgtest.NewDatabase(t)
	base := Options{Host: db.Host, Port: db.Port, User: db.User, Database: db.Name}
	holder, err := Pool(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	conn, err := holder.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock) }()

	waiting := base
	waiting.LockTimeout = 300 * time.Millisecond
	pool, err := Pool(t.Context(), waiting)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	err = Up(t.Context(), pool, func(string, ...any) {})
	if err == nil || !strings.Contains(err.Error(), "lock timeout") {
		t.Fatalf("Up while another node holds the migration lock: err = %v, want PostgreSQL's lock timeout", err)
	}
}

// TestPoolReplacesAConnectionTheServerClosed has the server end the pool's
// idle session, as a PostgreSQL restart does (FATAL 57P01, then close), and
// queries at once: like Kong, whose keepalive pool drops a connection the
// server closed, the pool must not hand that connection out.
func TestPoolReplacesAConnectionTheServerClosed(t *testing.T) {
	db := pgtest.NewDatabase(t)
	opts := Options{Host: db.Host, Port: db.Port, User: db.User, Database: db.Name, Timeout: 5 * time.Second}
	pool, err := Pool(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var pid int
	if err := pool.QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	admin, err := Pool(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var ended bool
	if err := admin.QueryRow(t.Context(), `SELECT pg_terminate_backend($1, 10000)`, pid).Scan(&ended); err != nil || !ended {
		t.Fatalf("terminate the pool's session %d: %v, ended %v", pid, err, ended)
	}
	// Well within the second after which the pool pings an idle connection by default.
	var one int
	if err := pool.QueryRow(t.Context(), `SELECT 1`).Scan(&one); err != nil {
		t.Fatalf("first query after the server closed the idle session: %v", err)
	}
}

// TestTimeoutBoundsTheWaitOnAConnectionTheNetworkDropped cuts the path to
// the server without closing it (a partition: nothing answers, nothing is
// refused) and checks a query fails after about pg_timeout instead of
// waiting until the kernel gives up on the connection, some fifteen minutes.
func TestTimeoutBoundsTheWaitOnAConnectionTheNetworkDropped(t *testing.T) {
	db := pgtest.NewDatabase(t)
	relay := newBlackholeRelay(t, net.JoinHostPort(db.Host, strconv.Itoa(db.Port)))
	host, port, _ := net.SplitHostPort(relay.addr)
	p, _ := strconv.Atoi(port)
	pool, err := Pool(t.Context(), Options{Host: host, Port: p, User: db.User, Database: db.Name, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hung := false
	defer func() {
		if !hung { // Close waits for the hung query's connection
			pool.Close()
		}
	}()
	if _, err := pool.Exec(t.Context(), `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	relay.cut.Store(true)
	done := make(chan error, 1)
	go func() { _, err := pool.Exec(context.Background(), `SELECT 1`); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a query through a dropped network succeeded")
		}
	case <-time.After(time.Minute): // a bound, far above pg_timeout plus connect_timeout
		hung = true
		t.Fatal("a query through a dropped network still waits a minute later")
	}
}

// blackholeRelay forwards TCP to a server until cut; then it swallows what
// either side sends, as a network that drops packets does.
type blackholeRelay struct {
	addr string
	cut  atomic.Bool
}

func newBlackholeRelay(t *testing.T, target string) *blackholeRelay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &blackholeRelay{addr: ln.Addr().String()}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if err != nil {
				return
			}
			if !r.cut.Load() {
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
		}
	}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			go pipe(out, in)
			go pipe(in, out)
		}
	}()
	return r
}
