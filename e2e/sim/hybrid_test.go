package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// terminatedRoute writes, through the control plane, a route on path that
// the data planes answer themselves (request-termination), so no backend is
// needed to see which configuration a data plane serves.
func terminatedRoute(t *testing.T, adminURL, path string) {
	t.Helper()
	name := strings.Trim(path, "/")
	for _, req := range []struct{ url, body string }{
		{"/services", fmt.Sprintf(`{"name":%q,"url":"http://backend.invalid:8080"}`, name)},
		{"/services/" + name + "/routes", fmt.Sprintf(`{"name":%q,"paths":[%q]}`, name, path)},
		{"/routes/" + name + "/plugins", fmt.Sprintf(`{"name":"request-termination","config":{"status_code":200,"message":%q}}`, name)},
	} {
		post(t, adminURL, req.url, req.body)
	}
}

// serves reports whether the proxy at proxyURL answers path with its route's message.
func serves(proxyURL, path string) bool {
	if proxyURL == "" {
		return false
	}
	resp, err := apiClient.Get(proxyURL + path)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct{ Message string }
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&body) == nil && body.Message == strings.Trim(path, "/")
}

// dataPlanes is the control plane's /clustering/data-planes.
func dataPlanes(t *testing.T, adminURL string) []struct{ Hostname, SyncStatus, ConfigHash string } {
	t.Helper()
	resp, err := apiClient.Get(adminURL + "/clustering/data-planes")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data []struct {
			Hostname   string `json:"hostname"`
			SyncStatus string `json:"sync_status"`
			ConfigHash string `json:"config_hash"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	out := make([]struct{ Hostname, SyncStatus, ConfigHash string }, len(body.Data))
	for i, d := range body.Data {
		out[i] = struct{ Hostname, SyncStatus, ConfigHash string }{d.Hostname, d.SyncStatus, d.ConfigHash}
	}
	return out
}

// TestHybridControlPlaneAndTwoDataPlanes brings a CP and two DPs up per
// runtime and drives the fault verbs through the command line.
func TestHybridControlPlaneAndTwoDataPlanes(t *testing.T) {
	for _, name := range runtimes {
		t.Run(name, func(t *testing.T) { hybridFaults(t, name) })
	}
}

func hybridFaults(t *testing.T, rtName string) {
	rt := openRuntime(t, rtName)
	spec := simtest.Spec(sim.Hybrid)
	spec.ControlPlanes, spec.DataPlanes = 1, 2
	simtest.Up(t, rt, spec)
	name := spec.Name
	node := func(m string) sim.Node { return member(t, status(t, rtName, name), m) }
	admin := node("cp-1").AdminURL

	c := status(t, rtName, name)
	var got []string
	for _, n := range c.Nodes {
		got = append(got, fmt.Sprintf("%s/%s/%s", n.Name, n.Role, n.State))
	}
	if strings.Join(got, " ") != "cp-1/cp/running dp-1/dp/running dp-2/dp/running" || node("cp-1").ProxyURL != "" || node("dp-1").AdminURL != "" {
		t.Fatalf("status: %v", got)
	}
	// sim status shows the data planes as the control plane lists them: in containers each
	// member's row names its state; local processes share one hostname, so only the list tells.
	table := mustKongdb(t, "sim", "--runtime", rtName, "status", name)
	words := strings.Join(strings.Fields(table), " ")
	inRows := map[string]int{"docker": 2, "local": 0}[rtName]
	if strings.Count(words, " connected normal ") != 2 || strings.Count(words, "connected, normal") != inRows ||
		!strings.Contains(words, "Data planes as cp-1 lists them") {
		t.Errorf("sim status does not show both data planes connected as cp-1 lists them:\n%s", table)
	}
	dps := dataPlanes(t, admin)
	if len(dps) != 2 || dps[0].SyncStatus != "normal" || dps[1].SyncStatus != "normal" || dps[0].ConfigHash != dps[1].ConfigHash {
		t.Fatalf("/clustering/data-planes after up: %+v", dps)
	}
	terminatedRoute(t, admin, "/first")
	for _, dp := range []string{"dp-1", "dp-2"} {
		eventually(t, dp+" serves a route written through the control plane", func() bool { return serves(node(dp).ProxyURL, "/first") })
	}

	t.Run("a stopped data plane comes back in sync", func(t *testing.T) {
		mustKongdb(t, "sim", "--runtime", rtName, "stop", "dp-2", "--name", name)
		if node("dp-2").Running() {
			t.Fatal("dp-2 still runs after stop")
		}
		terminatedRoute(t, admin, "/while-stopped")
		eventually(t, "dp-1 serves the new route", func() bool { return serves(node("dp-1").ProxyURL, "/while-stopped") })
		mustKongdb(t, "sim", "--runtime", rtName, "start", "dp-2", "--name", name)
		eventually(t, "dp-2 serves the route written while it was stopped", func() bool { return serves(node("dp-2").ProxyURL, "/while-stopped") })
	})

	t.Run("a data plane cut off the control plane keeps serving and catches up after heal", func(t *testing.T) {
		mustKongdb(t, "sim", "--runtime", rtName, "partition", "dp-1", "--name", name)
		if n := node("dp-1"); len(n.CutFrom) != 1 || n.CutFrom[0] != "cp" {
			t.Fatalf("after partition: %+v", n)
		}
		terminatedRoute(t, admin, "/while-cut")
		eventually(t, "dp-2 serves the route", func() bool { return serves(node("dp-2").ProxyURL, "/while-cut") })
		if serves(node("dp-1").ProxyURL, "/while-cut") {
			t.Fatal("the partitioned dp-1 serves a route written during the partition")
		}
		if !serves(node("dp-1").ProxyURL, "/first") {
			t.Fatal("the partitioned dp-1 stopped serving its last configuration")
		}
		mustKongdb(t, "sim", "--runtime", rtName, "heal", "dp-1", "--name", name)
		eventually(t, "dp-1 catches up after heal", func() bool { return serves(node("dp-1").ProxyURL, "/while-cut") })
	})

	t.Run("data planes keep serving with the database or the control plane down", func(t *testing.T) {
		mustKongdb(t, "sim", "--runtime", rtName, "db", "down", "--name", name)
		mustKongdb(t, "sim", "--runtime", rtName, "kill", "cp-1", "--name", name)
		for _, dp := range []string{"dp-1", "dp-2"} {
			if !serves(node(dp).ProxyURL, "/first") || !serves(node(dp).ProxyURL, "/while-cut") {
				t.Fatalf("%s stopped serving with the database and control plane down", dp)
			}
		}
		mustKongdb(t, "sim", "--runtime", rtName, "db", "up", "--name", name)
		mustKongdb(t, "sim", "--runtime", rtName, "start", "cp-1", "--name", name)
		terminatedRoute(t, node("cp-1").AdminURL, "/after-restart")
		for _, dp := range []string{"dp-1", "dp-2"} {
			eventually(t, dp+" follows the restarted control plane", func() bool { return serves(node(dp).ProxyURL, "/after-restart") })
		}
	})
}
