package cluster

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openStores bootstraps one database and opens n stores on it, each as
// its own node (own pool, own node id), as separate Kong nodes share one
// PostgreSQL.
func openStores(tb testing.TB, n int) []*store.Store {
	tb.Helper()
	db := pgtest.NewDatabase(tb)
	ctx := context.Background()
	var out []*store.Store
	for i := range n {
		opts := store.Options{Host: db.Host, Port: db.Port, User: db.User, Password: db.Password, Database: db.Name,
			NodeID: uuid.NewString(), PoolSize: 4}
		pool, err := store.Pool(ctx, opts)
		if err != nil {
			tb.Fatal(err)
		}
		if i == 0 {
			if err := store.Bootstrap(ctx, pool, func(string, ...any) {}); err != nil {
				tb.Fatal(err)
			}
		}
		st, err := store.New(ctx, pool, opts)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(st.Close)
		out = append(out, st)
	}
	return out
}

// insert writes an entity as the Admin API does (schema processing, then
// the store).
func insert(tb testing.TB, st *store.Store, name string, body map[string]any) map[string]any {
	tb.Helper()
	e, ok := schema.Get(name)
	if !ok {
		tb.Fatalf("no entity %s", name)
	}
	ent, err := e.Process(body, schema.Insert, time.Now())
	if err != nil {
		tb.Fatalf("process %s: %v", name, err)
	}
	row, err := st.Insert(context.Background(), e, ent, store.WriteOptions{})
	if err != nil {
		tb.Fatalf("insert %s: %v", name, err)
	}
	return row
}

// countingSource counts the polls a node makes.
type countingSource struct {
	EventSource
	polls atomic.Int64
}

func (c *countingSource) PollEvents(ctx context.Context, minAt float64, offset int) ([]store.ClusterEvent, error) {
	if offset == 0 {
		c.polls.Add(1)
	}
	return c.EventSource.PollEvents(ctx, minAt, offset)
}

// recorder is an Applier that records, for every configuration applied,
// the service names it held and the node's poll count at that moment.
type recorder struct {
	mu      sync.Mutex
	polls   *atomic.Int64
	applied []applied
}

type applied struct {
	services map[string]bool
	poll     int64
}

func (r *recorder) Apply(e Entities) error {
	names := map[string]bool{}
	for _, s := range e["services"] {
		if n, ok := s["name"].(string); ok {
			names[n] = true
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied = append(r.applied, applied{services: names, poll: r.polls.Load()})
	return nil
}

// firstWith returns the first applied configuration holding service name.
func (r *recorder) firstWith(name string) (applied, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.applied {
		if a.services[name] {
			return a, true
		}
	}
	return applied{}, false
}

type tradNode struct {
	st  *store.Store
	src *countingSource
	rec *recorder
	t   *Traditional
}

func startTraditional(tb testing.TB, st *store.Store, frequency time.Duration) *tradNode {
	tb.Helper()
	src := &countingSource{EventSource: st}
	rec := &recorder{polls: &src.polls}
	p := &Poller{Source: src, NodeID: st.NodeID(), Frequency: frequency, Log: quiet}
	n := &tradNode{st: st, src: src, rec: rec, t: NewTraditional(st, p, rec, quiet)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.t.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	waitUntil(tb, 10*time.Second, "first snapshot", func() bool { return n.t.Applied() > 0 })
	return n
}

func waitUntil(tb testing.TB, d time.Duration, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("%s: not within %v", what, d)
}

// Three nodes on one database: A writes and serves its write without a
// poll; B serves it from its first or second poll after the write (a poll
// already running during the write may miss it), never before a poll; C,
// whose next poll is an hour away, still serves the old configuration.
func TestTraditionalNodesServeAnotherNodesWriteAfterTheirNextPoll(t *testing.T) {
	stores := openStores(t, 3)
	const frequency = 300 * time.Millisecond
	a := startTraditional(t, stores[0], frequency)
	b := startTraditional(t, stores[1], frequency)
	c := startTraditional(t, stores[2], time.Hour)

	pollsAtWrite := b.src.polls.Load()
	aPolls := a.src.polls.Load()
	insert(t, stores[0], "services", map[string]any{"name": "svc-a", "host": "example.com"})
	a.t.Changed() // what the Admin API does after a write
	waitUntil(t, 10*time.Second, "A serves its own write", func() bool { _, ok := a.rec.firstWith("svc-a"); return ok })
	if got, _ := a.rec.firstWith("svc-a"); got.poll > aPolls+1 {
		t.Errorf("A served its own write after %d polls, want no wait for a poll", got.poll-aPolls)
	}

	waitUntil(t, 10*time.Second, "B serves A's write", func() bool { _, ok := b.rec.firstWith("svc-a"); return ok })
	got, _ := b.rec.firstWith("svc-a")
	if got.poll <= pollsAtWrite {
		t.Errorf("B served A's write at poll %d, before its first poll after the write (%d)", got.poll, pollsAtWrite+1)
	}
	if got.poll > pollsAtWrite+2 {
		t.Errorf("B served A's write at poll %d, later than its next poll after the write (%d or %d)",
			got.poll, pollsAtWrite+1, pollsAtWrite+2)
	}
	if _, ok := c.rec.firstWith("svc-a"); ok || c.src.polls.Load() != 0 {
		t.Errorf("C served A's write without polling (polls %d)", c.src.polls.Load())
	}
	if a.t.Hash() != b.t.Hash() || a.t.Hash() == EmptyHash {
		t.Errorf("A serves %s and B %s; want one configuration", a.t.Hash(), b.t.Hash())
	}
}

// A node skips its own events: after its own write, polls find nothing to
// rebuild.
func TestPollerSkipsTheNodesOwnEvents(t *testing.T) {
	st := openStores(t, 1)[0]
	var events atomic.Int64
	p := &Poller{Source: st, NodeID: st.NodeID(), Frequency: 100 * time.Millisecond, Log: quiet,
		OnEvents: func() { events.Add(1) }}
	src := &countingSource{EventSource: st}
	p.Source = src
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitUntil(t, 5*time.Second, "first poll", func() bool { return src.polls.Load() > 0 })
	insert(t, st, "services", map[string]any{"name": "own", "host": "example.com"})
	after := src.polls.Load()
	waitUntil(t, 5*time.Second, "two polls after the write", func() bool { return src.polls.Load() >= after+2 })
	if n := events.Load(); n != 0 {
		t.Errorf("own events triggered %d rebuilds, want 0", n)
	}
}
