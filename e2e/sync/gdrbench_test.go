package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blang/semver/v4"
	"github.com/google/uuid"
	"github.com/kong/go-database-reconciler/pkg/cprint"
	"github.com/kong/go-database-reconciler/pkg/diff"
	"github.com/kong/go-database-reconciler/pkg/dump"
	"github.com/kong/go-database-reconciler/pkg/file"
	"github.com/kong/go-database-reconciler/pkg/state"
	"github.com/kong/go-kong/kong"
	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/internal/gencluster"
)

// benchTag is the ownership tag both engines select on.
const benchTag = "managed-by-kongdb"

// benchCluster is the issue-13 benchmark cluster: 2,000 Ingresses with one rule over a
// one-port Service with a 3-endpoint EndpointSlice, a rate-limiting KongPlugin on every 4th,
// 1,000 KongConsumers with key-auth credentials.
func benchCluster() gencluster.Options {
	o := gencluster.Default()
	o.RulesPerIngress, o.PortsPerService = 1, 1
	if s := os.Getenv("KONGDB_SYNC_BENCH_SCALE"); s != "" {
		var f float64
		if _, err := fmt.Sscan(s, &f); err == nil && f > 0 {
			o = o.Scaled(f)
		}
	}
	return o
}

// benchCase is one measured sync, or the sum of several.
type benchCase struct {
	wall             time.Duration
	requests, writes int64
}

func (c *benchCase) add(o benchCase) {
	c.wall += o.wall
	c.requests += o.requests
	c.writes += o.writes
}

// BenchmarkSyncVsGDR syncs one generated desired state with kongdb and with
// go-database-reconciler v1.40.3 driven as KIC drives it (dump with select tags, file.Get,
// Syncer.Solve, parallelism 10), each sync into a fresh database of one PostgreSQL server on
// the same emulator binary and settings: a full sync, a no-op sync, one changed Ingress. Each
// case is a sub-benchmark whose time/op is kongdb's sync; it reports both sides' wall time
// (kongdb-s, gdr-s), their ratio, and each side's Admin API requests and writes next to the
// minimum writes. kongdb's writes include its 5 bookkeeping writes (the sync lock's consumer,
// created and deleted; the lock's epoch moved on; the sync marker's route and plugin); its wall
// time includes reading and translating the manifests, GDR's starts from the translated file.
//
// Each case is also judged by its floor, what no engine can beat on this node: the fewest
// reads (one target list per upstream Kong holds, since Kong 3.9 has no list of all targets,
// plus one 1,000-entity page per 1,000 entities held) at the node's raw read rate, the fewest
// writes at its raw write rate, plus the translation of the manifests (`translate -f` in
// process). floor-s is that sum; kongdb/floor and gdr/floor are each side's wall over it.
// raw-writes is the bare write rate (a PUT loop at concurrency 10); raw-reads the bare read
// rate, a GET loop over every upstream's target list of the full cluster at the concurrency
// that reads them fastest (best-concurrency). Both run first, on their own fresh nodes, so
// every case's floor uses the rates of the same run:
//
//	go test ./e2e/sync -run '^$' -bench BenchmarkSyncVsGDR -benchtime 1x -timeout 60m
func BenchmarkSyncVsGDR(b *testing.B) {
	cprint.DisableOutput = true // a controller prints no line per entity
	opts := benchCluster()
	dir := b.TempDir()
	full, changed := filepath.Join(dir, "full.yaml"), filepath.Join(dir, "changed.yaml")
	writeCluster(b, opts, full)
	// One changed Ingress: the first Ingress's path.
	raw := mustRead(b, full)
	i := strings.Index(raw, "path: /")
	if i < 0 {
		b.Fatal("generated cluster has no Ingress path")
	}
	if err := os.WriteFile(changed, []byte(raw[:i]+"path: /changed"+raw[i+len("path: /"):]), 0o600); err != nil {
		b.Fatal(err)
	}
	cache := b.TempDir()
	deck := func(in string) *file.Content {
		r := run(b, "translate", "-f", in, "-o", "deck", "--show-secrets", "--ownership-tag", benchTag)
		if r.code != 0 {
			b.Fatalf("translate: %s", r.stderr)
		}
		var c file.Content
		if err := yaml.Unmarshal([]byte(r.stdout), &c); err != nil {
			b.Fatal(err)
		}
		c.Info = &file.Info{SelectorTags: []string{benchTag}}
		return &c
	}
	fullDeck, changedDeck := deck(full), deck(changed)
	entities := int64(opts.Count().Entities)

	kongdb := func(b *testing.B, f *fixture, in string) {
		r := run(b, "sync", "-f", in, "--prune", "--kong-admin-url", f.kong.URL, "--schema-cache-dir", cache, "--concurrency", "10")
		if r.code != 0 {
			b.Fatalf("kongdb sync: exit %d\n%s", r.code, r.stderr)
		}
	}
	gdr := func(b *testing.B, f *fixture, c *file.Content) {
		if err := gdrSync(b.Context(), f.kong.URL, c, benchTag); err != nil {
			b.Fatalf("go-database-reconciler sync: %v", err)
		}
	}
	// measure runs sync on a fresh fixture that prepare (if any) has filled.
	measure := func(b *testing.B, prepare, sync func(f *fixture)) benchCase {
		f := newFixture(b)
		if prepare != nil {
			prepare(f)
		}
		f.kong.reset()
		f.kong.all.Store(0)
		start := time.Now()
		sync(f)
		return benchCase{wall: time.Since(start), requests: f.kong.all.Load(), writes: f.kong.writes.Load() + f.kong.locks.Load()}
	}
	// Warm kongdb's schema cache (kept per Kong version, as in real use) and the binary.
	kongdb(b, newFixture(b), filepath.Join(dir, "none.yaml"))

	// The node's raw rates, measured first so that every case's floor can use them.
	var writeRate, readRate float64
	var upstreams int
	b.Run("raw-writes", func(b *testing.B) {
		var rate float64
		for b.Loop() {
			b.StopTimer()
			f := newFixture(b)
			b.StartTimer()
			rate += rawWriteRate(b, f, 2000, 10)
		}
		writeRate = rate / float64(b.N)
		b.ReportMetric(writeRate, "writes/s")
	})
	b.Run("raw-reads", func(b *testing.B) {
		var rate, best float64
		for b.Loop() {
			b.StopTimer()
			f := newFixture(b)
			kongdb(b, f, full)
			ids := upstreamIDs(b, f.node.URL)
			upstreams = len(ids)
			b.StartTimer()
			r, c := rawReadRate(b, f.node.URL, ids)
			rate, best = rate+r, best+float64(c)
		}
		readRate = rate / float64(b.N)
		b.ReportMetric(readRate, "reads/s")
		b.ReportMetric(best/float64(b.N), "best-concurrency")
	})
	if writeRate == 0 || readRate == 0 {
		b.Fatal("the raw rates were not measured; the floors need them")
	}
	// Kong's state after a full sync: what the no-op and one-change syncs start from.
	fullHeld := held{entities: int(entities), upstreams: upstreams}

	for _, c := range []struct {
		name        string
		before      string // the manifests synced first, "" for none
		ours        string
		gdrBefore   *file.Content
		theirs      *file.Content
		writesAtMin int64
	}{
		{"full", "", full, nil, fullDeck, entities},
		{"noop", full, full, fullDeck, fullDeck, 0},
		{"one-change", full, changed, fullDeck, changedDeck, 1},
	} {
		held := held{}
		if c.before != "" {
			held = fullHeld
		}
		b.Run(c.name, func(b *testing.B) {
			var ours, theirs benchCase
			var translation time.Duration
			for b.Loop() {
				b.StopTimer()
				translation += translateTime(b, c.ours)
				var prepOurs, prepTheirs func(f *fixture)
				if c.before != "" {
					prepOurs = func(f *fixture) { kongdb(b, f, c.before) }
					prepTheirs = func(f *fixture) { gdr(b, f, c.gdrBefore) }
				}
				ours.add(measure(b, prepOurs, func(f *fixture) { kongdb(b, f, c.ours) }))
				theirs.add(measure(b, prepTheirs, func(f *fixture) { gdr(b, f, c.theirs) }))
				b.StartTimer()
			}
			n := float64(b.N)
			// time/op is kongdb's sync, not the fixtures around it.
			b.ReportMetric(float64(ours.wall.Nanoseconds())/n, "ns/op")
			b.ReportMetric(ours.wall.Seconds()/n, "kongdb-s")
			b.ReportMetric(theirs.wall.Seconds()/n, "gdr-s")
			b.ReportMetric(ours.wall.Seconds()/theirs.wall.Seconds(), "ratio")
			b.ReportMetric(float64(ours.requests)/n, "kongdb-requests")
			b.ReportMetric(float64(ours.writes)/n, "kongdb-writes")
			b.ReportMetric(float64(theirs.requests)/n, "gdr-requests")
			b.ReportMetric(float64(theirs.writes)/n, "gdr-writes")
			b.ReportMetric(float64(c.writesAtMin), "min-writes")
			floor := translation.Seconds()/n + held.minReads()/readRate + float64(c.writesAtMin)/writeRate
			b.ReportMetric(floor, "floor-s")
			b.ReportMetric(ours.wall.Seconds()/n/floor, "kongdb/floor")
			b.ReportMetric(theirs.wall.Seconds()/n/floor, "gdr/floor")
			b.ReportMetric(held.minReads(), "min-reads")
			if c.name == "full" { // a rate only where there are writes enough to have one
				b.ReportMetric(float64(ours.writes)/ours.wall.Seconds(), "kongdb-writes/s")
				b.ReportMetric(float64(theirs.writes)/theirs.wall.Seconds(), "gdr-writes/s")
			}
		})
	}
}

// writeCluster writes the generated cluster's manifests to path.
func writeCluster(b *testing.B, o gencluster.Options, path string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := o.WriteYAML(f); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "none.yaml"), []byte(ingressClass), 0o600); err != nil {
		b.Fatal(err)
	}
}

// gdrSync (with the select tag tag) is one sync as KIC 3.5 drives go-database-reconciler against a database-backed Kong:
// the current state dumped with the select tags, the target rendered by file.Get, and
// Syncer.Solve with parallelism 10.
func gdrSync(ctx context.Context, adminURL string, content *file.Content, tag string) error {
	client, err := kong.NewClient(kong.String(adminURL), nil)
	if err != nil {
		return err
	}
	dumpCfg := dump.Config{SelectorTags: []string{tag}}
	raw, err := dump.Get(ctx, client, dumpCfg)
	if err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	current, err := state.Get(raw)
	if err != nil {
		return err
	}
	targetRaw, err := file.Get(ctx, content, file.RenderConfig{CurrentState: current, KongVersion: semver.MustParse("3.9.3")}, dumpCfg, client)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	target, err := state.Get(targetRaw)
	if err != nil {
		return err
	}
	syncer, err := diff.NewSyncer(diff.SyncerOpts{CurrentState: current, TargetState: target, KongClient: client, SilenceWarnings: true})
	if err != nil {
		return err
	}
	if _, errs, _ := syncer.Solve(ctx, 10, false, false); len(errs) > 0 {
		return fmt.Errorf("%d errors, first: %w", len(errs), errs[0])
	}
	return nil
}

// rawWriteRate is the node's bare write rate: n PUTs of new consumers, concurrency at once.
func rawWriteRate(b *testing.B, f *fixture, n, concurrency int) float64 {
	b.Helper()
	jobs := make(chan int)
	var wg sync.WaitGroup
	var failed error
	var mu sync.Mutex
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for i := range jobs {
				id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "raw-%d", i))
				body := fmt.Sprintf(`{"username":"raw-%d","tags":["raw"]}`, i)
				req, _ := http.NewRequest(http.MethodPut, f.node.URL+"/consumers/"+id.String(), strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode >= 300 {
						err = fmt.Errorf("PUT consumer: %d", resp.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	return float64(n) / time.Since(start).Seconds()
}

// held is what Kong holds before a sync: all an engine must read to know the current state.
type held struct{ entities, upstreams int }

// minReads are the fewest reads that see all of it: one target list per upstream, and the
// entities in pages of 1,000 (Kong's largest page), as if every type filled its pages.
func (h held) minReads() float64 {
	return float64(h.upstreams + (h.entities+999)/1000)
}

// translateTime is how long kongdb takes to read and translate the manifests in, in process
// as the sync does (its JSON output included).
func translateTime(b *testing.B, in string) time.Duration {
	b.Helper()
	start := time.Now()
	r := run(b, "translate", "-f", in, "-o", "json", "--ownership-tag", benchTag)
	d := time.Since(start)
	if r.code != 0 {
		b.Fatalf("translate: exit %d\n%s", r.code, r.stderr)
	}
	return d
}

// upstreamIDs pages through the node's upstreams.
func upstreamIDs(b *testing.B, adminURL string) []string {
	b.Helper()
	var ids []string
	next := "/upstreams?size=1000"
	for next != "" {
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			Next *string `json:"next"`
		}
		resp, err := http.Get(adminURL + next)
		if err != nil {
			b.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %v", next, resp.StatusCode, err)
		}
		for _, u := range page.Data {
			ids = append(ids, u.ID)
		}
		next = ""
		if page.Next != nil {
			next = *page.Next
		}
	}
	if len(ids) == 0 {
		b.Fatal("the full cluster synced no upstreams: nothing to read")
	}
	return ids
}

// readConcurrencies are tried in turn; the raw read rate is the best of them.
var readConcurrencies = []int{1, 2, 4, 8, 10, 16, 32}

// rawReadRate is the node's bare read rate over every upstream's target list: one GET per
// upstream at each concurrency of readConcurrencies, the fastest kept with its concurrency.
func rawReadRate(b *testing.B, adminURL string, ids []string) (float64, int) {
	b.Helper()
	var best float64
	bestAt := 0
	for _, concurrency := range readConcurrencies {
		jobs := make(chan string)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failed error
		start := time.Now()
		for range concurrency {
			wg.Go(func() {
				for id := range jobs {
					resp, err := http.Get(adminURL + "/upstreams/" + id + "/targets")
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("GET upstream %s's targets: %d", id, resp.StatusCode)
						}
					}
					if err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
					}
				}
			})
		}
		for _, id := range ids {
			jobs <- id
		}
		close(jobs)
		wg.Wait()
		if failed != nil {
			b.Fatal(failed)
		}
		if rate := float64(len(ids)) / time.Since(start).Seconds(); rate > best {
			best, bestAt = rate, concurrency
		}
	}
	return best, bestAt
}
