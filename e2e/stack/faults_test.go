package stack_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/sim"
)

// nodeKilledMidSync: node-1, the first Admin API the sync writes through, is killed once the
// sync's routes start landing in the database; the sync fails over to another node, ends with
// exit 0, and every node — node-1 too once started again — serves the whole batch.
func (s *stack) nodeKilledMidSync(t *testing.T) {
	const n = 300
	s.apply(t, ingresses(n))
	first, watch := s.admins[0], s.admins[1]
	done := make(chan result, 1)
	go func() {
		r, err := runKubectl(t.Context(), s.ns, s.syncArgs()...)
		if err != nil {
			r.stderr += err.Error()
		}
		done <- r
	}()
	// Polled often: on a fast machine the whole batch takes a second or two.
	eventuallyEvery(t, 20*time.Millisecond, "the sync's first routes are in the database", func() (bool, string) {
		select {
		case r := <-done:
			t.Fatalf("the sync of %d Ingresses ended before any was seen written (exit %d): make the batch larger\n%s%s", n, r.code, r.stdout, r.stderr)
		default:
		}
		got, err := countRoutes(watch, "bulk-")
		return err == nil && got >= 20, fmt.Sprintf("%d routes written, %v", got, err)
	})
	s.fault(t, sim.FaultKill, "node-1", "")
	s.repairOnFailure(t, sim.FaultStart, "node-1")
	r := <-done
	if r.code != 0 {
		t.Fatalf("sync with node-1 killed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	through := regexp.MustCompile(`write requests through (.*)`).FindStringSubmatch(r.stdout)
	if through == nil || !strings.HasPrefix(through[1], first+", ") {
		t.Fatalf("the report does not show writes through node-1 (%s) and then another node:\n%s", first, r.stdout)
	}
	for _, node := range []string{"node-2", "node-3"} {
		p := s.proxyOf(t, node)
		serves(t, p, "echo.example.com", "/bulk-0", http.StatusOK, "/bulk-0")
		serves(t, p, "echo.example.com", "/bulk-299", http.StatusOK, "/bulk-299")
	}
	s.fault(t, sim.FaultStart, "node-1", "")
	serves(t, s.proxyOf(t, "node-1"), "echo.example.com", "/bulk-299", http.StatusOK, "/bulk-299")
}

// controlPlaneDown: with the control plane stopped the data planes keep serving their last
// configuration; a sync fails naming the Admin API it could not reach; after the control plane
// starts again the next sync converges on both data planes.
func (s *stack) controlPlaneDown(t *testing.T) {
	s.outage(t, "cp-1", "late", s.admins[0])
}

// databaseDown: with PostgreSQL stopped every proxy keeps serving, and a sync fails with exit
// non-zero, saying the node cannot reach its database, and no success in its report; once the database is back and the Admin APIs reach
// it, the next sync converges on every proxy.
func (s *stack) databaseDown(t *testing.T) {
	s.outage(t, "db", "after-db", "cannot reach its database")
}

// outage stops member. While it is down every proxy still serves what it had, and a sync of a
// new Ingress fails, saying why (its error holds mustName) and reporting no success. Once the
// member is started again and every Admin API reaches the database, the next sync converges
// on every proxy.
func (s *stack) outage(t *testing.T, member, ingressName, mustName string) {
	s.fault(t, sim.FaultStop, member, "")
	s.repairOnFailure(t, sim.FaultStart, member)
	for _, p := range s.proxies {
		serves(t, p, "echo.example.com", "/changed/hello", http.StatusOK, "/hello")
	}
	path := "/" + ingressName
	s.apply(t, ingress(ingressName, path))
	r := s.kubectl(t, -1, s.syncArgs()...)
	if r.code == 0 || strings.Contains(r.stdout, "synced") || strings.TrimSpace(r.stderr) == "" {
		t.Fatalf("sync with %s down: exit %d\n%s%s", member, r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, strings.TrimPrefix(mustName, "http://")) {
		t.Errorf("the error does not name %s:\n%s", mustName, r.stderr)
	}
	t.Logf("sync with %s down: exit %d: %s", member, r.code, strings.TrimSpace(r.stderr))
	s.fault(t, sim.FaultStart, member, "")
	for _, a := range s.admins {
		eventually(t, a+" reaches PostgreSQL", func() (bool, string) {
			var st struct {
				Database struct {
					Reachable bool `json:"reachable"`
				} `json:"database"`
			}
			resp, err := client.Get(a + "/status")
			if err != nil {
				return false, err.Error()
			}
			defer resp.Body.Close()
			return json.NewDecoder(resp.Body).Decode(&st) == nil && st.Database.Reachable, resp.Status
		})
	}
	s.sync(t)
	s.servesNow(t, "echo.example.com", path, path)
}

// dataPlanePartitioned: dp-2 cut off the control plane misses a sync that dp-1 serves, and the
// control plane's /clustering/data-planes shows it behind (two configuration hashes); once
// healed it serves the sync and both data planes report one hash.
func (s *stack) dataPlanePartitioned(t *testing.T) {
	dp1, dp2, cp := s.proxyOf(t, "dp-1"), s.proxyOf(t, "dp-2"), s.admins[0]
	s.fault(t, sim.FaultPartition, "dp-2", "cp")
	s.repairOnFailure(t, sim.FaultHeal, "dp-2")
	s.apply(t, ingress("during-partition", "/during-partition"))
	s.kubectl(t, 0, s.syncArgs()...) // no --wait: dp-2 cannot catch up until healed
	serves(t, dp1, "echo.example.com", "/during-partition", http.StatusOK, "/during-partition")
	if a := get(dp2, "echo.example.com", "/during-partition"); a.code != http.StatusNotFound {
		t.Fatalf("dp-2, cut off the control plane, answers a route synced since: %d %v", a.code, a.err)
	}
	eventually(t, "the control plane shows one data plane behind", func() (bool, string) {
		h, err := configHashes(cp)
		return err == nil && len(h) == 2, fmt.Sprint(h, err)
	})
	// status names the data plane that is behind, by the hash dp-2 itself says it serves.
	behind, current := s.servedHash(t, "dp-2"), s.servedHash(t, "dp-1")
	eventually(t, "kongdb status shows dp-2 lagging and dp-1 current", func() (bool, string) {
		dps := s.statusDataPlanes(t)
		ok := len(dps) == 2
		for _, dp := range dps {
			switch dp.ConfigHash {
			case behind:
				ok = ok && !dp.MatchesCP && !dp.Converged && dp.LaggingSince != nil
			case current:
				ok = ok && dp.MatchesCP && dp.LaggingSince == nil
			default:
				ok = false
			}
		}
		return ok, fmt.Sprintf("dp-2 serves %s, dp-1 %s; status: %+v", behind, current, dps)
	})
	s.fault(t, sim.FaultHeal, "dp-2", "")
	serves(t, s.proxyOf(t, "dp-2"), "echo.example.com", "/during-partition", http.StatusOK, "/during-partition")
	eventually(t, "the control plane shows both data planes on one configuration", func() (bool, string) {
		h, err := configHashes(cp)
		return err == nil && len(h) == 1, fmt.Sprint(h, err)
	})
	eventually(t, "kongdb status shows both data planes current", func() (bool, string) {
		dps := s.statusDataPlanes(t)
		ok := len(dps) == 2
		for _, dp := range dps {
			ok = ok && dp.MatchesCP && dp.Converged && dp.LaggingSince == nil
		}
		return ok, fmt.Sprintf("%+v", dps)
	})
}

// statusDataPlanes runs `kubectl kongdb status -o json` against the control plane and returns
// the data planes it reports.
func (s *stack) statusDataPlanes(t *testing.T) []status.DataPlane {
	t.Helper()
	args := []string{"kongdb", "status", "-o", "json"}
	for _, a := range s.admins {
		args = append(args, "--kong-admin-url", a)
	}
	r := s.kubectl(t, -1, args...) // drift may make status exit non-zero; the report is what counts
	var rep status.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status -o json: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return rep.DataPlanes
}

// servedHash is the configuration hash a data plane reports on its own Status API.
func (s *stack) servedHash(t *testing.T, member string) string {
	t.Helper()
	n, err := s.cluster.Find(member)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Hash string `json:"configuration_hash"`
	}
	resp, err := client.Get(n.StatusURL + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || st.Hash == "" {
		t.Fatalf("%s /status: no configuration_hash (%v)", member, err)
	}
	return st.Hash
}

// configHashes is how many data planes the control plane lists with each configuration hash.
func configHashes(cpAdmin string) (map[string]int, error) {
	var page struct {
		Data []struct {
			ConfigHash string `json:"config_hash"`
		} `json:"data"`
	}
	resp, err := client.Get(cpAdmin + "/clustering/data-planes")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, d := range page.Data {
		out[d.ConfigHash]++
	}
	return out, nil
}

// countRoutes counts the routes whose name contains part, through an Admin API.
func countRoutes(admin, part string) (int, error) {
	var page struct {
		Data []struct {
			Name string `json:"name"`
		} `json:"data"`
	}
	resp, err := client.Get(admin + "/routes?size=1000")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range page.Data {
		if strings.Contains(r.Name, part) {
			n++
		}
	}
	return n, nil
}
