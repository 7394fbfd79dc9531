// Package sim_test runs `kongdb sim` for real on the Docker engine, with the
// images `make images` builds (KONGDB_SIM_KONG_IMAGE, KONGDB_SIM_POSTGRES_IMAGE):
// bring-up, status, every fault verb and its recovery, teardown, and the
// errors users see when Docker or an image is missing.
package sim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/docker"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// runtimes are the runtimes every scenario runs on, by --runtime name.
var runtimes = []string{"docker", "local"}

// apiClient bounds each request the tests make, generously for a loaded
// machine: a node that stops answering fails a check (or is polled again)
// instead of holding the suite until its timeout.
var apiClient = &http.Client{Timeout: 30 * time.Second}

// openRuntime opens a runtime as the command line does.
func openRuntime(t testing.TB, name string) sim.Runtime {
	t.Helper()
	if name == "docker" {
		return dockerRuntime(t)
	}
	return simtest.LocalRuntime(t)
}

func dockerRuntime(t testing.TB) *docker.Runtime {
	t.Helper()
	rt, err := docker.New(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	return rt
}

// kongdb runs the kongdb program as users do and returns stdout, stderr and the exit code.
func kongdb(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	return kongdbtest.Run(t, args...)
}

// mustKongdb runs the command line and fails the test unless it exits 0.
func mustKongdb(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, code := kongdb(t, args...)
	if code != 0 {
		t.Fatalf("kongdb %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// status is `kongdb sim status NAME -o json`.
func status(t *testing.T, rt, name string) sim.Cluster {
	t.Helper()
	var c sim.Cluster
	if err := json.Unmarshal([]byte(mustKongdb(t, "sim", "--runtime", rt, "status", name, "-o", "json")), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func member(t *testing.T, c sim.Cluster, name string) sim.Node {
	t.Helper()
	n, err := c.Find(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// nodeStatus is a node's Admin /status; reachable is false when the node does not answer.
type nodeStatus struct {
	answered bool
	Database struct {
		Reachable bool `json:"reachable"`
	} `json:"database"`
}

func getStatus(adminURL string) nodeStatus {
	var s nodeStatus
	if adminURL == "" {
		return s
	}
	resp, err := apiClient.Get(adminURL + "/status")
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&s) == nil {
		s.answered = true
	}
	return s
}

// eventually polls cond until it holds or a minute has passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// post writes an entity through an Admin API and expects 201 Created.
func post(t *testing.T, adminURL, path, body string) {
	t.Helper()
	resp, err := apiClient.Post(adminURL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s%s: %s %s", adminURL, path, resp.Status, raw)
	}
}

// createService writes a service through a node's Admin API.
func createService(t *testing.T, adminURL, name string) {
	t.Helper()
	post(t, adminURL, "/services", fmt.Sprintf(`{"name":%q,"url":"http://echo.invalid:8080"}`, name))
}

// hasService reports whether a node's Admin API returns the service.
func hasService(adminURL, name string) bool {
	resp, err := apiClient.Get(adminURL + "/services/" + name)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestTraditionalThreeNodesComeUpAndStatusShowsThem(t *testing.T) {
	for _, name := range runtimes {
		t.Run(name, func(t *testing.T) { traditionalThreeNodes(t, name) })
	}
}

func traditionalThreeNodes(t *testing.T, rtName string) {
	rt := openRuntime(t, rtName)
	spec := simtest.Spec(sim.Traditional)
	spec.Nodes = 3
	simtest.Up(t, rt, spec)

	c := status(t, rtName, spec.Name)
	var names []string
	for _, n := range c.Nodes {
		names = append(names, n.Name)
		if !n.Running() || !strings.HasPrefix(n.AdminURL, "http://127.") || !strings.HasPrefix(n.ProxyURL, "http://127.") {
			t.Errorf("%s: state %s, admin %q, proxy %q; want running on a loopback address", n.Name, n.State, n.AdminURL, n.ProxyURL)
		}
		if s := getStatus(n.AdminURL); !s.answered || !s.Database.Reachable {
			t.Errorf("%s: /status %+v, want an answer with the database reachable", n.Name, s)
		}
	}
	if !slices.Equal(names, []string{"node-1", "node-2", "node-3"}) || c.Postgres.State != "running" || c.Mode != sim.Traditional {
		t.Fatalf("status: nodes %v, database %s, mode %s", names, c.Postgres.State, c.Mode)
	}
	// One database behind every node: a write through node-1 is read through node-3.
	createService(t, member(t, c, "node-1").AdminURL, "shared")
	if !hasService(member(t, c, "node-3").AdminURL, "shared") {
		t.Fatal("node-3 does not see the service written through node-1")
	}
	table := mustKongdb(t, "sim", "--runtime", rtName, "status", spec.Name)
	for _, want := range []string{"MEMBER", "node-1", "node-3", "running"} {
		if !strings.Contains(table, want) {
			t.Errorf("status table lacks %q:\n%s", want, table)
		}
	}
	if ls := mustKongdb(t, "sim", "--runtime", rtName, "ls"); !strings.Contains(ls, spec.Name) || !strings.Contains(ls, "3/3 running") {
		t.Errorf("sim ls:\n%s", ls)
	}
	env := mustKongdb(t, "sim", "--runtime", rtName, "env", spec.Name)
	if !strings.Contains(env, "export KONG_ADMIN_URL="+member(t, c, "node-1").AdminURL+"\n") || !strings.Contains(env, "KONGDB_SIM_PG_DSN=\"postgres://kong:") {
		t.Errorf("sim env:\n%s", env)
	}
	if logs := mustKongdb(t, "sim", "--runtime", rtName, "logs", "node-2", "--name", spec.Name); !strings.Contains(logs, "kong-emulator started") {
		t.Errorf("sim logs node-2:\n%s", logs)
	}
	if y := mustKongdb(t, "sim", "--runtime", rtName, "status", spec.Name, "-o", "yaml"); !strings.Contains(y, "name: node-2") || strings.Contains(y, "password") {
		t.Errorf("status -o yaml:\n%s", y)
	}
	if out := mustKongdb(t, "sim", "--runtime", rtName, "psql", "--name", spec.Name, "--", "-t", "-c", "select name from services"); !strings.Contains(out, "shared") {
		t.Errorf("sim psql: %q", out)
	}
}
