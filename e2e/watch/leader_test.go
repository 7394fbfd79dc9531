package watch_test

import (
	"testing"
)

// TestWatchLeaderElection: of two watchers of one ownership tag, only the leader writes (the
// standby sends Kong nothing at all, not even a lock); when the leader dies (SIGKILL, so its
// Lease is not released) the standby takes over within the Lease's duration and follows the
// next change.
func TestWatchLeaderElection(t *testing.T) {
	env := cluster(t)
	k := startKong(t)
	viaA, viaB := countWrites(t, k.URL), countWrites(t, k.URL)
	ns := env.Namespace(t)
	apply(t, env, "", ingressClass)

	a := startWatcher(t, env, ns, viaA.URL)
	a.waitRole(t, "leader")
	b := startWatcher(t, env, ns, viaB.URL)
	b.waitRole(t, "standby")

	apply(t, env, ns, app("one", "10.1.0.1")+"---\n"+app("two", "10.2.0.1"))
	poll(t, "the leader syncs Ingress one", func() (bool, string) {
		return k.route(t, ns, "one") != nil && k.route(t, ns, "two") != nil, "no route yet"
	})
	if n := viaA.count(); n == 0 {
		t.Fatal("the leader wrote nothing, yet the routes are there")
	}
	if n := viaB.count(); n != 0 {
		t.Fatalf("the standby wrote %d times while the leader led: %v", n, viaB.take())
	}

	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.done
	b.waitRole(t, "leader")
	apply(t, env, ns, app("three", "10.3.0.1"))
	poll(t, "the new leader syncs Ingress three", func() (bool, string) {
		return k.route(t, ns, "three") != nil, "no route yet"
	})
	if n := viaB.count(); n == 0 {
		t.Fatal("the new leader wrote nothing")
	}
}
