package cluster

import (
	"context"
	"io"
	"log/slog"
	"reflect"
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

// last returns the services of the configuration applied last.
func (r *recorder) last() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.applied) == 0 {
		return nil
	}
	return r.applied[len(r.applied)-1].services
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
	background(tb, n.t.Run)
	waitUntil(tb, 10*time.Second, "first snapshot", func() bool { return n.t.Applied() > 0 })
	return n
}

// background runs run until the test ends, then stops it and waits.
func background(tb testing.TB, run func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
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
	if a, b := a.rec.last(), b.rec.last(); !reflect.DeepEqual(a, b) {
		t.Errorf("A serves services %v and B %v; want one configuration", a, b)
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
	background(t, p.Run)
	waitUntil(t, 5*time.Second, "first poll", func() bool { return src.polls.Load() > 0 })
	insert(t, st, "services", map[string]any{"name": "own", "host": "example.com"})
	after := src.polls.Load()
	waitUntil(t, 5*time.Second, "two polls after the write", func() bool { return src.polls.Load() >= after+2 })
	if n := events.Load(); n != 0 {
		t.Errorf("own events triggered %d rebuilds, want 0", n)
	}
}

// db_update_propagation: the writer stamps nbf = at + propagation, and a
// reader that polls the event earlier applies it only once nbf has passed.
func TestPollerHoldsEventsUntilTheirNBF(t *testing.T) {
	stores := openStores(t, 2)
	const propagation = time.Second
	writerOpts := stores[0].Options()
	writerOpts.DBUpdatePropagation = propagation.Seconds()
	writer, err := store.New(context.Background(), stores[0].PoolHandle(), writerOpts)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var appliedAt []time.Time
	src := &countingSource{EventSource: stores[1]}
	p := &Poller{Source: src, NodeID: stores[1].NodeID(), Frequency: 100 * time.Millisecond,
		Propagation: propagation, Log: quiet, OnEvents: func() {
			mu.Lock()
			defer mu.Unlock()
			appliedAt = append(appliedAt, time.Now())
		}}
	background(t, p.Run)
	waitUntil(t, 5*time.Second, "first poll", func() bool { return src.polls.Load() > 0 })
	insert(t, writer, "services", map[string]any{"name": "late", "host": "example.com"})
	var nbf float64
	if err := stores[1].PoolHandle().QueryRow(context.Background(),
		`SELECT EXTRACT(EPOCH FROM MAX(nbf))::float8 FROM cluster_events`).Scan(&nbf); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "event applied", func() bool { mu.Lock(); defer mu.Unlock(); return len(appliedAt) > 0 })
	mu.Lock()
	first := appliedAt[0]
	mu.Unlock()
	if at := float64(first.UnixMicro()) / 1e6; at < nbf {
		t.Errorf("event applied at %.3f, before its nbf %.3f", at, nbf)
	}
}
