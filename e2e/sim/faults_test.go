package sim_test

import (
	"slices"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// TestTraditionalFaultsAndRecovery drives every fault verb through the
// command line on one three-node cluster per runtime and checks its effect
// and recovery.
func TestTraditionalFaultsAndRecovery(t *testing.T) {
	for _, name := range runtimes {
		t.Run(name, func(t *testing.T) { traditionalFaults(t, name) })
	}
}

func traditionalFaults(t *testing.T, rtName string) {
	rt := openRuntime(t, rtName)
	spec := simtest.Spec(sim.Traditional)
	spec.Nodes = 3
	simtest.Up(t, rt, spec)
	name := spec.Name
	admin := func(node string) string { return member(t, status(t, rtName, name), node).AdminURL }
	proxy := func(node string) string { return member(t, status(t, rtName, name), node).ProxyURL }
	terminatedRoute(t, admin("node-1"), "/snapshot")
	for _, n := range []string{"node-1", "node-2", "node-3"} {
		eventually(t, n+" serves the route after its next poll", func() bool { return serves(proxy(n), "/snapshot") })
	}

	t.Run("stop takes a node out, start brings it back", func(t *testing.T) {
		mustKongdb(t, "sim", "--runtime", rtName, "stop", "node-2", "--name", name)
		if n := member(t, status(t, rtName, name), "node-2"); n.Running() || n.AdminURL != "" {
			t.Fatalf("after stop: %+v", n)
		}
		if !getStatus(admin("node-1")).answered {
			t.Fatal("node-1 stopped serving when node-2 stopped")
		}
		mustKongdb(t, "sim", "--runtime", rtName, "start", "node-2", "--name", name)
		if s := getStatus(admin("node-2")); !s.answered || !s.Database.Reachable {
			t.Fatalf("after start: %+v", s)
		}
		eventually(t, "node-2 serves the route again after start", func() bool { return serves(proxy("node-2"), "/snapshot") })
	})

	t.Run("kill ends a node at once, start recovers it", func(t *testing.T) {
		mustKongdb(t, "sim", "--runtime", rtName, "kill", "node-3", "--name", name)
		if n := member(t, status(t, rtName, name), "node-3"); n.Running() {
			t.Fatalf("after kill: %+v", n)
		}
		mustKongdb(t, "sim", "--runtime", rtName, "start", "node-3", "--name", name)
		if !getStatus(admin("node-3")).answered {
			t.Fatal("node-3 does not serve after start")
		}
		eventually(t, "node-3 serves the route again after start", func() bool { return serves(proxy("node-3"), "/snapshot") })
	})

	t.Run("partition cuts a node off the database, heal reconnects it and it catches up", func(t *testing.T) {
		mustKongdb(t, "sim", "--runtime", rtName, "partition", "node-2", "--from", "db", "--name", name)
		n := member(t, status(t, rtName, name), "node-2")
		if !slices.Equal(n.CutFrom, []string{"db"}) || !n.Running() {
			t.Fatalf("after partition: %+v", n)
		}
		eventually(t, "node-2 reports the database unreachable", func() bool {
			s := getStatus(n.AdminURL)
			return s.answered && !s.Database.Reachable
		})
		createService(t, admin("node-1"), "during-partition")
		if hasService(n.AdminURL, "during-partition") {
			t.Fatal("the partitioned node-2 served a change made during the partition")
		}
		mustKongdb(t, "sim", "--runtime", rtName, "heal", "node-2", "--name", name)
		if n := member(t, status(t, rtName, name), "node-2"); len(n.CutFrom) != 0 {
			t.Fatalf("after heal: %+v", n)
		}
		eventually(t, "node-2 serves the change made during the partition", func() bool {
			return hasService(n.AdminURL, "during-partition")
		})
	})

	t.Run("db down makes the database unreachable for every node, db up restores writes", func(t *testing.T) {
		mustKongdb(t, "sim", "--runtime", rtName, "db", "down", "--name", name)
		c := status(t, rtName, name)
		if c.Postgres.State == "running" {
			t.Fatalf("database still running after db down")
		}
		for _, n := range c.Nodes {
			eventually(t, n.Name+" reports the database unreachable while still answering", func() bool {
				s := getStatus(n.AdminURL)
				return s.answered && !s.Database.Reachable
			})
			if !serves(n.ProxyURL, "/snapshot") {
				t.Errorf("%s stopped serving its last snapshot with the database down", n.Name)
			}
		}
		mustKongdb(t, "sim", "--runtime", rtName, "db", "up", "--name", name)
		if c := status(t, rtName, name); c.Postgres.State != "running" {
			t.Fatalf("database %s after db up", c.Postgres.State)
		}
		eventually(t, "node-3 accepts writes again", func() bool {
			s := getStatus(admin("node-3"))
			return s.answered && s.Database.Reachable
		})
		createService(t, admin("node-3"), "after-db-up")
		if !hasService(admin("node-1"), "after-db-up") {
			t.Fatal("node-1 does not see a write made after db up")
		}
		if !hasService(admin("node-1"), "during-partition") {
			t.Fatal("the database lost a write made before db down")
		}
	})

	t.Run("partitioning the database itself is refused with the reason", func(t *testing.T) {
		_, errOut, code := kongdb(t, "sim", "--runtime", rtName, "partition", "db", "--name", name)
		if code == 0 || !contains(errOut, `member "db" (db) cannot be partitioned`) {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
}
