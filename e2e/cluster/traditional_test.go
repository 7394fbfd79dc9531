package cluster

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

// Three traditional nodes on one database. A route written through A is
// served by A's proxy at once and by B's after B's next poll; C, whose next
// poll is an hour away, keeps serving its snapshot without the route, so
// no node reads the database per request. (The poll-by-poll bound is
// asserted in sim/emulator/cluster, which can count polls.)
func TestTraditionalNodesPropagateThroughClusterEvents(t *testing.T) {
	db := pgtest.NewDatabase(t)
	bootstrap(t, db)
	nodeEnv := func(frequency string) []string {
		return append(append(baseEnv(t), db.Env()...), "KONG_DB_UPDATE_FREQUENCY="+frequency)
	}
	a := start(t, "a", nodeEnv("0.5"))
	b := start(t, "b", nodeEnv("0.5"))
	c := start(t, "c", nodeEnv("3600"))
	for _, n := range []*node{a, b, c} {
		waitFor(t, 10*time.Second, n.name+" ready", func() error { return health(t, n) })
	}

	resp, err := http.Get(a.AdminURL + "/clustering/data-planes")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "only available when Kong is configured to run as Control Plane") {
		t.Errorf("traditional /clustering/data-planes = %d %s, want Kong's 400", resp.StatusCode, body)
	}

	post(t, a.AdminURL+"/services", map[string]any{"name": "svc", "url": backend(t)})
	post(t, a.AdminURL+"/services/svc/routes", map[string]any{"name": "r", "paths": []any{"/t"}})
	waitFor(t, 5*time.Second, "A serves its own write", func() error { return proxied(a, "/t") })
	waitFor(t, 10*time.Second, "B serves A's write after its poll", func() error { return proxied(b, "/t") })
	if err := proxied(c, "/t"); err == nil {
		t.Error("C serves A's write without having polled")
	} else if !strings.HasPrefix(err.Error(), c.name+" proxy /t: 404") {
		t.Errorf("C answered %v, want Kong's 404", err)
	}
}
