package sync_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/kong/go-kong/kong"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kongdb/kubectl-kongdb/pkg/lock"
)

const lockName = "kongdb-sync-managed-by-kongdb"

// holdMarker creates the sync lock's marker in Kong as another sync would, with a TTL of ttl
// from now on Kong's clock (0: already expired).
func holdMarker(t *testing.T, f *fixture, ttl time.Duration) {
	t.Helper()
	id := uuid.NewString()
	lockIDs.Store(id, true)
	body := fmt.Sprintf(`{"id":%q,"username":%q,"tags":["kongdb-sync-lock","kongdb-lock-holder:other-host-1","kongdb-lock-ttl:%d"]}`,
		id, lockName, int(ttl.Seconds()))
	if code := request(t, http.MethodPost, f.node.URL+"/consumers", body, nil); code != http.StatusCreated {
		t.Fatalf("create marker: %d", code)
	}
}

// TestKongMarkerKeepsASecondSyncOut: while another sync's marker is live, a sync from
// manifests waits --lock-timeout, fails naming the holder and writes nothing; an expired
// marker is taken over, and the sync releases it when done.
func TestKongMarkerKeepsASecondSyncOut(t *testing.T) {
	f := newFixture(t)
	in := manifests(t, "locked")
	holdMarker(t, f, time.Hour)
	r := f.cmd(t, "sync", "-f", in, "--lock-timeout", "1s")
	if r.code != 1 || !strings.Contains(r.stderr, "another sync holds the lock") || !strings.Contains(r.stderr, "other-host-1") {
		t.Fatalf("held lock: exit %d\n%s", r.code, r.stderr)
	}
	if f.kong.writes.Load() != 0 {
		t.Fatalf("wrote while locked out: %v", f.kong.reset())
	}
	if code := request(t, http.MethodDelete, f.node.URL+"/consumers/"+lockName, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete marker: %d", code)
	}
	holdMarker(t, f, 0)
	mustSync(t, f, "-f", in, "--lock-timeout", "1s")
	if code := f.get(t, "/consumers/"+lockName, nil); code != http.StatusNotFound {
		t.Fatalf("marker left after the sync: %d", code)
	}
	if n := len(f.list(t, "/services")); n != 1 {
		t.Fatalf("%d services after the sync", n)
	}
}

// TestLeaseKeepsASecondSyncOut: a sync from a cluster takes a coordination.k8s.io Lease and
// the marker in Kong; either, held by another sync, keeps it out, naming the holder.
func TestLeaseKeepsASecondSyncOut(t *testing.T) {
	env := cluster(t)
	f := newFixture(t)
	ns := env.Namespace(t)
	applyYAML(t, env, ns, ingressClass+app("leased", ""))
	now := metav1.NewMicroTime(time.Now())
	held := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: lockName, Namespace: ns}, Spec: coordinationv1.LeaseSpec{
		HolderIdentity: ptr.To("other-sync"), LeaseDurationSeconds: ptr.To[int32](3600), AcquireTime: &now, RenewTime: &now}}
	env.Apply(t, held)
	kube := []string{"--kubeconfig", env.Kubeconfig, "-n", ns, "--lock-namespace", ns, "--lock-timeout", "1s"}
	r := f.cmd(t, "sync", kube...)
	if r.code != 1 || !strings.Contains(r.stderr, "Lease "+ns+"/"+lockName) || !strings.Contains(r.stderr, "other-sync") {
		t.Fatalf("held Lease: exit %d\n%s", r.code, r.stderr)
	}
	if f.kong.writes.Load() != 0 {
		t.Fatalf("wrote while locked out: %v", f.kong.reset())
	}
	if err := env.Client.Delete(t.Context(), held); err != nil {
		t.Fatal(err)
	}
	// The Lease is free, but a sync from manifests (or from another cluster, or another
	// --lock-namespace) holds the marker in Kong: the lock every writing sync shares. On the
	// old main a sync from a cluster took only its Lease and wrote alongside.
	holdMarker(t, f, time.Hour)
	r = f.cmd(t, "sync", kube...)
	if r.code != 1 || !strings.Contains(r.stderr, "consumer "+lockName+" in Kong") || !strings.Contains(r.stderr, "other-host-1") {
		t.Fatalf("Kong marker held: exit %d\n%s", r.code, r.stderr)
	}
	if f.kong.writes.Load() != 0 {
		t.Fatalf("a sync from a cluster wrote while a sync from manifests held the Kong marker: %v", f.kong.reset())
	}
	if code := request(t, http.MethodDelete, f.node.URL+"/consumers/"+lockName, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete marker: %d", code)
	}
	mustSync(t, f, kube...)
	if code := f.get(t, "/consumers/"+lockName, nil); code != http.StatusNotFound {
		t.Fatalf("Kong marker left after the sync from a cluster: %d", code)
	}
	var lease coordinationv1.Lease
	err := env.Client.Get(t.Context(), clientKey(ns, lockName), &lease)
	if err == nil {
		t.Fatalf("Lease left after the sync: %+v", lease.Spec)
	}
}

// lockHook is a proxy in front of a node that runs onLock, once, just before it forwards the
// first request taking the sync lock (the marker consumer's create), and counts the reads
// of /services (one for each read of Kong's owned entities).
type lockHook struct {
	URL      string
	services atomic.Int64
}

func hookLock(t *testing.T, target string, onLock func()) *lockHook {
	t.Helper()
	h := &lockHook{}
	var once sync.Once
	h.URL = interpose(t, target, func(r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/services" {
			h.services.Add(1)
		}
		if r.Method == http.MethodPost && r.URL.Path == "/consumers" && isLockWrite(r) {
			once.Do(onLock)
		}
	})
	return h
}

// rateLimit is the minute limit of the rate-limiting plugin of app name.
func rateLimit(t *testing.T, f *fixture, name string) float64 {
	t.Helper()
	for _, p := range f.list(t, "/plugins") {
		if tags, _ := p["tags"].([]any); slices.Contains(tags, any("k8s-name:rl-"+name)) {
			return p["config"].(map[string]any)["minute"].(float64)
		}
	}
	t.Fatalf("no rate-limiting plugin of %s", name)
	return 0
}

// TestSyncSeesWhatAnotherSyncWroteBeforeItTookTheLock: sync A from manifests plans, and just
// before it takes the lock sync B writes (B changes app b's plugin, which A's plan left alone
// as unchanged). A must see B's write once it holds the lock and put b's plugin back, not
// write on its stale plan: Kong ends as A says.
func TestSyncSeesWhatAnotherSyncWroteBeforeItTookTheLock(t *testing.T) {
	f := newFixture(t)
	mustSync(t, f, "-f", manifests(t, "a", "b"))
	bIn := writeFile(t, ingressClass+app("a", "")+strings.Replace(app("b", ""), "minute: 60", "minute: 5", 1))
	aIn := manifests(t, "a", "b", "c")
	hook := hookLock(t, f.kong.URL, func() {
		if r := run(t, "sync", "-f", bIn, "--kong-admin-url", f.node.URL, "--schema-cache-dir", f.cache); r.code != 0 {
			t.Errorf("sync B: exit %d\n%s", r.code, r.stderr)
		}
	})
	r := run(t, "sync", "-f", aIn, "--kong-admin-url", hook.URL, "--schema-cache-dir", f.cache)
	if r.code != 0 {
		t.Fatalf("sync A: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := hook.services.Load(); got != 2 {
		t.Errorf("sync A read Kong's services %d times, want 2 (before and under the lock)", got)
	}
	if got := rateLimit(t, f, "b"); got != 60 {
		t.Errorf("app b's rate limit after sync A = %v, want A's 60: A wrote on a plan made before B wrote", got)
	}
	if n := len(f.list(t, "/services")); n != 3 {
		t.Errorf("%d services after sync A, want 3", n)
	}
}

// TestSyncReadsKongOnceWhenNobodyWroteMeanwhile: with no other sync between its read and its
// lock, a sync from manifests writes on its one read of Kong; a marker left by a sync that
// died (expired, so taken over) makes it read again, since that sync may have written after
// the read.
func TestSyncReadsKongOnceWhenNobodyWroteMeanwhile(t *testing.T) {
	f := newFixture(t)
	mustSync(t, f, "-f", manifests(t, "a"))
	hook := hookLock(t, f.kong.URL, func() {})
	r := run(t, "sync", "-f", manifests(t, "a", "b"), "--kong-admin-url", hook.URL, "--schema-cache-dir", f.cache)
	if r.code != 0 {
		t.Fatalf("sync: exit %d\n%s", r.code, r.stderr)
	}
	if got := hook.services.Load(); got != 1 {
		t.Errorf("sync read Kong's services %d times, want 1", got)
	}
	holdMarker(t, f, 0)
	hook.services.Store(0)
	r = run(t, "sync", "-f", manifests(t, "a", "b", "c"), "--kong-admin-url", hook.URL, "--schema-cache-dir", f.cache)
	if r.code != 0 {
		t.Fatalf("sync after a dead sync's marker: exit %d\n%s", r.code, r.stderr)
	}
	if got := hook.services.Load(); got != 2 {
		t.Errorf("sync after a dead sync's marker read Kong's services %d times, want 2", got)
	}
	if n := len(f.list(t, "/services")); n != 3 {
		t.Errorf("%d services, want 3", n)
	}
}

// TestMarkerLockIsConditionalOnTheEmulator: the marker's takeover and renewal, on the
// emulator's Admin API (Kong's answers: PATCH of a missing ID is 404, DELETE of one is 204,
// updated_at and Date are Kong's clock). A live marker keeps a second taker out; one whose TTL
// ran out on Kong's clock is taken over; the stale holder's renewal then finds nothing and
// reports the lock lost, and its release leaves the new holder's marker in place.
func TestMarkerLockIsConditionalOnTheEmulator(t *testing.T) {
	f := newFixture(t)
	c, err := kong.NewClient(kong.String(f.node.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	marker := func() *lock.KongMarker { return &lock.KongMarker{Clients: []*kong.Client{c}, Name: lockName} }
	holder := func() string {
		var m struct{ Tags []string }
		if code := f.get(t, "/consumers/"+lockName, &m); code != http.StatusOK {
			return ""
		}
		for _, tg := range m.Tags {
			if h, ok := strings.CutPrefix(tg, "kongdb-lock-holder:"); ok {
				return h
			}
		}
		return "?"
	}
	live, taker := marker(), marker()
	if held, err := live.TryAcquire(ctx, "live", time.Hour); err != nil || held != nil {
		t.Fatalf("take: %+v %v", held, err)
	}
	if held, err := taker.TryAcquire(ctx, "taker", time.Hour); err != nil || held == nil || held.Identity != "live" {
		t.Fatalf("a live marker was taken over: %+v %v", held, err)
	}
	if err := live.Renew(ctx, "live", time.Hour); err != nil {
		t.Fatalf("renew a held marker: %v", err)
	}
	if err := live.Release(ctx, "live"); err != nil {
		t.Fatal(err)
	}

	stale := marker()
	if held, err := stale.TryAcquire(ctx, "stale", 0); err != nil || held != nil { // expired at once on Kong's clock
		t.Fatalf("take: %+v %v", held, err)
	}
	if held, err := taker.TryAcquire(ctx, "taker", time.Hour); err != nil || held != nil {
		t.Fatalf("an expired marker was not taken over: %+v %v", held, err)
	}
	if err := stale.Renew(ctx, "stale", time.Hour); !errors.Is(err, lock.ErrLost) {
		t.Fatalf("the stale holder's renewal after a takeover: %v, want the lock lost", err)
	}
	if err := stale.Release(ctx, "stale"); err != nil {
		t.Fatal(err)
	}
	if got := holder(); got != "taker" {
		t.Fatalf("marker names %q after the stale holder's renewal and release, want taker", got)
	}
}
