package sync_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// dyingProxy fronts a node and kills it (SIGKILL) when the given write passes; from then on
// every connection through it is dropped, as a crashed host's would be.
func dyingProxy(t *testing.T, n *node, killAt int64) *httptest.Server {
	t.Helper()
	u, err := url.Parse(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	var writes atomic.Int64
	var dead atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ErrorHandler = func(http.ResponseWriter, *http.Request, error) { panic(http.ErrAbortHandler) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && writes.Add(1) == killAt {
			n.Kill()
			dead.Store(true)
		}
		if dead.Load() {
			panic(http.ErrAbortHandler) // the client sees the connection break
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestNodeKilledMidSyncCompletesThroughAnother: two traditional nodes share one database; the
// first is killed after 40 writes; the sync goes on through the second and completes, and a
// diff through the second shows nothing left to do.
func TestNodeKilledMidSyncCompletesThroughAnother(t *testing.T) {
	db := newFixture(t).db
	a, b := startNode(t, db), startNode(t, db)
	first := dyingProxy(t, a, 40)
	var apps []string
	for i := range 30 {
		apps = append(apps, fmt.Sprintf("app%02d", i))
	}
	in := manifests(t, apps...)
	cache := t.TempDir()
	r := run(t, "sync", "-f", in, "--kong-admin-url", first.URL, "--kong-admin-url", b.URL, "--schema-cache-dir", cache)
	if r.code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "node "+first.URL+" went away") || !strings.Contains(r.stdout, b.URL) {
		t.Fatalf("report does not say the sync moved to the second node:\n%s", r.stdout)
	}
	if code := request(t, http.MethodGet, b.URL+"/consumers/kongdb-sync-managed-by-kongdb", "", nil); code != http.StatusNotFound {
		t.Fatalf("the sync lock taken through the dead node was not released through the survivor: %d", code)
	}
	d := run(t, "diff", "-f", in, "--kong-admin-url", b.URL, "--schema-cache-dir", cache)
	if d.code != 0 {
		t.Fatalf("diff after failover: exit %d\n%s\n%s", d.code, d.stdout, d.stderr)
	}
}
