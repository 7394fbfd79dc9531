package sync_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/pkg/converge"
	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

// markerRecord reads the sync marker's record through an Admin API.
func markerRecord(t *testing.T, adminURL string) converge.Record {
	t.Helper()
	var list struct {
		Data []struct {
			Config map[string]any `json:"config"`
		} `json:"data"`
	}
	if code := request(t, http.MethodGet, adminURL+"/plugins?tags="+converge.MarkerTag, "", &list); code != http.StatusOK || len(list.Data) != 1 {
		t.Fatalf("marker plugins: status %d, %d plugins", code, len(list.Data))
	}
	var r converge.Record
	body, _ := list.Data[0].Config["body"].(string)
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("marker body %q: %v", body, err)
	}
	return r
}

// wantConverged checks that the sync printed a convergence time for every node named and that
// the record stores each of them as converged.
func wantConverged(t *testing.T, r result, rec converge.Record, gen int64, nodes ...string) {
	t.Helper()
	t.Logf("sync --wait said:\n%s", r.stderr)
	if rec.Generation != gen {
		t.Fatalf("marker generation %d, want %d", rec.Generation, gen)
	}
	stored := map[string]bool{}
	for _, n := range rec.Convergence {
		stored[n.Node] = n.Converged
	}
	for _, n := range nodes {
		if !strings.Contains(r.stderr, fmt.Sprintf("converged: %s (", n)) || !strings.Contains(r.stderr, fmt.Sprintf("serves generation %d after", gen)) {
			t.Errorf("no convergence time for %s at generation %d:\n%s", n, gen, r.stderr)
		}
		if !stored[n] {
			t.Errorf("record does not store %s as converged: %+v", n, rec.Convergence)
		}
	}
}

// TestWaitTraditionalEveryNodeServesTheSync: two traditional nodes on one database, each
// rebuilding its router from cluster_events every 0.5 s. sync --wait without a proxy to poll is
// refused before anything is written; with both proxies it reports each;
// a sync with nothing to write still verifies the current generation; with one node killed
// the wait times out, exits 1 and names that node.
func TestWaitTraditionalEveryNodeServesTheSync(t *testing.T) {
	db := pgtest.NewDatabase(t)
	a := startNode(t, db, "KONG_DB_UPDATE_FREQUENCY=0.5")
	b := startNode(t, db, "KONG_DB_UPDATE_FREQUENCY=0.5")
	in, cache := manifests(t, "alpha", "beta"), t.TempDir()
	sync := func(wait string) result {
		return run(t, "sync", "-f", in, "--kong-admin-url", a.URL, "--kong-admin-url", b.URL, "--schema-cache-dir", cache,
			"--kong-proxy-url", a.ProxyURL, "--kong-proxy-url", b.ProxyURL, "--wait="+wait)
	}
	r := run(t, "sync", "-f", in, "--kong-admin-url", a.URL, "--schema-cache-dir", cache, "--wait")
	if r.code != 1 || !strings.Contains(r.stderr, "give each traditional node's proxy with --kong-proxy-url") {
		t.Fatalf("sync --wait without proxies: exit %d, want 1 and a message naming --kong-proxy-url\n%s", r.code, r.stderr)
	}
	var routes struct{ Data []any }
	if request(t, http.MethodGet, a.URL+"/routes", "", &routes); len(routes.Data) != 0 {
		t.Fatalf("sync --wait without proxies wrote %d routes before refusing", len(routes.Data))
	}

	r = sync("60s")
	if r.code != 0 {
		t.Fatalf("sync --wait: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	wantConverged(t, r, markerRecord(t, a.URL), 1, a.ProxyURL, b.ProxyURL)

	r = sync("60s")
	if r.code != 0 {
		t.Fatalf("no-op sync --wait: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	wantConverged(t, r, markerRecord(t, a.URL), 1, a.ProxyURL, b.ProxyURL)

	b.Kill()
	r = run(t, "sync", "-f", in, "--kong-admin-url", a.URL, "--schema-cache-dir", cache,
		"--kong-proxy-url", a.ProxyURL, "--kong-proxy-url", b.ProxyURL, "--wait=2s")
	if r.code != 1 {
		t.Fatalf("sync --wait with a dead node: exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "lagging: "+b.ProxyURL) || !strings.Contains(r.stderr, "do not serve sync marker generation 1 yet: "+b.ProxyURL) {
		t.Fatalf("the timeout does not name the dead node %s:\n%s", b.ProxyURL, r.stderr)
	}
	if strings.Contains(r.stderr, "lagging: "+a.ProxyURL) {
		t.Fatalf("the live node is named as lagging:\n%s", r.stderr)
	}
}

// TestWaitHybridEveryDataPlaneServesTheSync: a control plane and two data planes. sync --wait
// reports both proxies and both rows of /clustering/data-planes; with one data plane killed, a
// sync that changes something times out naming its proxy and its row.
func TestWaitHybridEveryDataPlaneServesTheSync(t *testing.T) {
	pair, err := pki.ClusterCert()
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(t.TempDir(), "cluster.key")
	if err := os.WriteFile(keyPath, pair.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	clusterAddr := fmt.Sprintf("127.0.0.1:%d", emutest.FreePort(t))
	certs := []string{"KONG_CLUSTER_CERT=" + string(pair.CertPEM), "KONG_CLUSTER_CERT_KEY=" + keyPath}
	cp := startNode(t, pgtest.NewDatabase(t), append(certs, "KONG_ROLE=control_plane", "KONG_CLUSTER_LISTEN="+clusterAddr,
		"KONG_DB_UPDATE_FREQUENCY=0.5")...)
	dataPlane := func() *node {
		env := append(emutest.NodeEnv(t), certs...)
		env = append(env, "KONG_ROLE=data_plane", "KONG_DATABASE=off", "KONG_CLUSTER_CONTROL_PLANE="+clusterAddr,
			fmt.Sprintf("KONG_STATUS_LISTEN=127.0.0.1:%d", emutest.FreePort(t)))
		return emutest.Launch(t, env, "KONG_STATUS_LISTEN")
	}
	dp1, dp2 := dataPlane(), dataPlane()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var list struct {
			Data []any `json:"data"`
		}
		if request(t, http.MethodGet, cp.URL+"/clustering/data-planes", "", &list) == http.StatusOK && len(list.Data) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the control plane does not list both data planes: %v", list.Data)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cache := t.TempDir()
	sync := func(in, wait string) result {
		return run(t, "sync", "-f", in, "--prune", "--kong-admin-url", cp.URL, "--schema-cache-dir", cache,
			"--kong-proxy-url", dp1.ProxyURL, "--kong-proxy-url", dp2.ProxyURL, "--wait="+wait)
	}
	r := sync(manifests(t, "alpha", "beta"), "60s")
	if r.code != 0 {
		t.Fatalf("sync --wait: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	wantConverged(t, r, markerRecord(t, cp.URL), 1, dp1.ProxyURL, dp2.ProxyURL)
	if n := strings.Count(r.stderr, "converged: data_plane "); n != 2 {
		t.Fatalf("%d data planes reported converged through the control plane, want 2:\n%s", n, r.stderr)
	}

	dp2.Kill()
	r = sync(manifests(t, "alpha", "beta", "gamma"), "3s")
	if r.code != 1 {
		t.Fatalf("sync --wait with a dead data plane: exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "lagging: "+dp2.ProxyURL) || strings.Contains(r.stderr, "lagging: "+dp1.ProxyURL) {
		t.Fatalf("the timeout does not name only the dead data plane's proxy %s:\n%s", dp2.ProxyURL, r.stderr)
	}
	if strings.Count(r.stderr, "lagging: data_plane ") != 1 || strings.Count(r.stderr, "converged: data_plane ") != 1 {
		t.Fatalf("want one data plane row lagging and one converged:\n%s", r.stderr)
	}
}
