// Package status_test runs `kubectl kongdb status -o json` end to end: the real command against
// simulated Kong clusters of real emulator processes on a real PostgreSQL (the simulator's
// local runtime), in traditional and hybrid mode, with nodes down, data planes cut off and
// entities edited behind the sync's back.
package status_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// TestMain keeps clusters' state in a directory of this run; every command runs the kongdb
// program built from this tree (kongdbtest), as do the local runtime's nodes and links.
func TestMain(m *testing.M) { simtest.Main(m) }

// kongdb runs the kongdb program as users do and returns stdout, stderr and the exit code.
func kongdb(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	return kongdbtest.Run(t, args...)
}

// world is a simulated cluster and the flags that reach it.
type world struct {
	rt      sim.Runtime
	cluster *sim.Cluster
	flags   []string
	admin   string
}

func up(t *testing.T, spec sim.Spec) *world {
	t.Helper()
	rt := simtest.LocalRuntime(t)
	c, _ := simtest.Up(t, rt, spec)
	w := &world{rt: rt, cluster: c, flags: []string{"-f", filepath.Join("testdata", "shop.yaml"), "--schema-cache-dir", t.TempDir(),
		"--kong-admin-timeout", "3s"}}
	for _, n := range c.Nodes {
		if n.AdminURL == "" {
			continue
		}
		if w.admin == "" {
			w.admin = n.AdminURL
		}
		w.flags = append(w.flags, "--kong-admin-url", n.AdminURL)
		if n.ProxyURL != "" {
			w.flags = append(w.flags, "--kong-proxy-url", n.ProxyURL)
		}
	}
	return w
}

// status runs status -o json and returns the report and the exit code.
func (w *world) status(t *testing.T, extra ...string) (*status.Report, int) {
	t.Helper()
	out, errOut, code := kongdb(t, append(append([]string{"status", "-o", "json"}, w.flags...), extra...)...)
	var r status.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("status -o json (exit %d): %v\n%s%s", code, err, out, errOut)
	}
	return &r, code
}

// sync runs sync --wait and fails the test unless it succeeds: every node serves the sync
// when it returns, and the marker's record holds each node's convergence.
func (w *world) sync(t *testing.T) {
	t.Helper()
	if out, errOut, code := kongdb(t, append([]string{"sync", "--wait=1m"}, w.flags...)...); code != 0 {
		t.Fatalf("sync: exit %d\n%s%s", code, out, errOut)
	}
}

// eventually polls check until it holds, or fails the test after a minute.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// editRoute changes a route's paths through the Admin API, behind the sync's back.
func editRoute(t *testing.T, admin string) string {
	t.Helper()
	resp, err := http.Get(admin + "/routes")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Data []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil || len(page.Data) == 0 {
		t.Fatalf("list routes: %v (%d routes)", err, len(page.Data))
	}
	route := page.Data[0]
	req, _ := http.NewRequest(http.MethodPatch, admin+"/routes/"+route.ID, strings.NewReader(`{"paths":["/edited-by-hand"]}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH route %s: %d %s", route.Name, resp.StatusCode, body)
	}
	return route.Name
}

// changed finds the changed entity of type typ and name in the drift.
func changed(r *status.Report, typ, name string) *status.EntityDrift {
	if r.Drift == nil {
		return nil
	}
	for i, e := range r.Drift.Entities {
		if e.Type == typ && e.Name == name && e.Change == status.ChangeChanged {
			return &r.Drift.Entities[i]
		}
	}
	return nil
}

func TestStatusTraditional(t *testing.T) {
	spec := simtest.Spec(sim.Traditional)
	spec.Nodes = 2
	w := up(t, spec)
	w.sync(t)

	r, code := w.status(t, "--exit-code")
	if code != 0 {
		t.Fatalf("after sync --wait: exit %d, nodes %+v", code, r.Nodes)
	}
	if r.Kong.Mode != status.ModeTraditional || len(r.Nodes) != 2 || r.Drift == nil || r.Drift.Total().Drifted() != 0 {
		t.Fatalf("after sync: report %+v", r)
	}
	for _, n := range r.Nodes {
		if n.Down || !n.DatabaseReachable || n.ServesMarker != status.ServingYes || n.Hostname == "" || n.Version == "" || n.AdminLatency <= 0 {
			t.Errorf("node %+v: want up, database reachable, serving the marker, with hostname, version and latency", n)
		}
	}
	if r.LastSync == nil || r.LastSync.Result != "succeeded" || r.LastSync.Created == 0 || r.Drift.Total().Desired == 0 {
		t.Fatalf("last sync %+v, drift %+v: want the sync's record (succeeded) and the desired entities counted", r.LastSync, r.Drift)
	}
	if !strings.Contains(r.LastSync.From, "(kongdb ") || r.LastSync.Duration <= 0 {
		t.Errorf("last sync from %q in %v: want who synced and how long it took, as the sync recorded them", r.LastSync.From, r.LastSync.Duration)
	}
	if len(r.LastSync.Nodes) != 2 || !r.LastSync.Nodes[0].Converged || !r.LastSync.Nodes[1].Converged ||
		!strings.HasPrefix(r.LastSync.Nodes[0].Node, "http://") {
		t.Errorf("last sync's nodes %+v: want both proxies converged, as sync --wait recorded them", r.LastSync.Nodes)
	}

	t.Run("an entity edited in Kong is drift and --exit-code fails", func(t *testing.T) {
		name := editRoute(t, w.admin)
		r, code := w.status(t, "--exit-code")
		e := changed(r, "route", name)
		if code != 1 || e == nil {
			t.Fatalf("exit %d, drift %+v: want exit 1 and route %s changed", code, r.Drift, name)
		}
		var paths *status.FieldDiff
		for i := range e.Fields {
			if e.Fields[i].Path == "paths" {
				paths = &e.Fields[i]
			}
		}
		if paths == nil || paths.Actual == nil || !strings.Contains(*paths.Actual, "/edited-by-hand") || paths.Desired == nil || !strings.Contains(*paths.Desired, "/cart") {
			t.Errorf("fields %+v: want paths desired /cart, actual /edited-by-hand", e.Fields)
		}
		w.sync(t)
	})

	t.Run("without Kubernetes, Kong is still shown and the drift says why it is empty", func(t *testing.T) {
		var flags []string
		for i := 0; i < len(w.flags); i++ {
			if w.flags[i] == "-f" {
				i++
				continue
			}
			flags = append(flags, w.flags[i])
		}
		t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
		out, errOut, code := kongdb(t, append([]string{"status", "-o", "json", "--exit-code"}, flags...)...)
		var r status.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("exit %d: %v\n%s%s", code, err, out, errOut)
		}
		if code == 0 || r.Source.Reachable || !r.Kong.Reachable || len(r.Nodes) != 2 || r.Drift != nil ||
			!strings.Contains(r.DriftUnavailable(), "Kubernetes could not be read") || !strings.Contains(errOut, "cannot tell whether kong has drifted") {
			t.Errorf("exit %d, report %+v, stderr %q", code, r, errOut)
		}
	})

	t.Run("a node down is shown down and the other still shown", func(t *testing.T) {
		if err := w.rt.Fault(t.Context(), spec.Name, sim.Fault{Kind: sim.FaultKill, Member: "node-2"}); err != nil {
			t.Fatal(err)
		}
		r, code := w.status(t, "--exit-code")
		if code != 1 || len(r.Nodes) != 2 || r.Nodes[0].Down || !r.Nodes[1].Down || r.Nodes[1].Error == "" || r.Drift == nil {
			t.Errorf("exit %d, nodes %+v: want node-1 up, node-2 down with its error, drift still computed, exit 1", code, r.Nodes)
		}
	})
}

func TestStatusHybrid(t *testing.T) {
	spec := simtest.Spec(sim.Hybrid)
	// Three DPs: Kong's CP does not report its own hash, so status takes the one most DPs
	// serve, and one DP cut off out of three is a minority.
	spec.ControlPlanes, spec.DataPlanes = 1, 3
	w := up(t, spec)
	w.sync(t)
	var r *status.Report
	eventually(t, "the data planes converge after the sync", func() error {
		var code int
		r, code = w.status(t, "--exit-code")
		if code != 0 {
			return fmt.Errorf("exit %d, data planes %+v", code, r.DataPlanes)
		}
		return nil
	})
	if r.Kong.Mode != status.ModeHybrid || len(r.ControlPlanes) != 1 || len(r.DataPlanes) != 3 || r.ControlPlanes[0].ConfigHash == "" {
		t.Fatalf("report %+v: want hybrid, one CP with a hash, three DPs", r)
	}
	for _, dp := range r.DataPlanes {
		if !dp.MatchesCP || dp.SyncStatus != "normal" || dp.Hostname == "" || dp.IP == "" || dp.Version == "" || dp.LastSeen.IsZero() {
			t.Errorf("data plane %+v: want in sync with hostname, ip, version and last seen", dp)
		}
	}

	t.Run("a data plane cut off lags and --exit-code fails", func(t *testing.T) {
		if err := w.rt.Fault(t.Context(), spec.Name, sim.Fault{Kind: sim.FaultPartition, Member: "dp-1"}); err != nil {
			t.Fatal(err)
		}
		editRoute(t, w.admin) // a config change the cut-off DP cannot receive
		eventually(t, "dp-1 lags behind the CP", func() error {
			r, code := w.status(t, "--exit-code")
			lagging, converged := 0, 0
			for _, dp := range r.DataPlanes {
				switch {
				case !dp.Converged && dp.LaggingSince != nil:
					lagging++
				case dp.Converged:
					converged++
				}
			}
			if code != 1 || lagging != 1 || converged != 2 {
				return fmt.Errorf("exit %d, data planes %+v", code, r.DataPlanes)
			}
			return nil
		})
	})
}
