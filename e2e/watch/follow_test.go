package watch_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func clientKey(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}

// TestWatchFollowsTheCluster: with one watcher running, an Ingress created in Kubernetes
// becomes a route in Kong, an EndpointSlice edited (a rollout) changes the upstream's targets
// and writes nothing else, a route edited by hand in Kong is put back at the next resync with
// no change in Kubernetes, a deleted Ingress's route goes, and SIGINT ends the watcher with
// exit 0.
func TestWatchFollowsTheCluster(t *testing.T) {
	env := cluster(t)
	k := startKong(t)
	counted := countWrites(t, k.URL)
	ns := env.Namespace(t)
	apply(t, env, "", ingressClass)
	metrics := "127.0.0.1:" + strconv.Itoa(healthPort(t))
	w := startWatcher(t, env, ns, counted.URL, "--resync-period", "3s", "--debounce", "100ms", "--metrics-bind-address", metrics)
	w.waitRole(t, "leader")

	// Three apps, so that deleting one stays within the default delete budget (30%).
	apply(t, env, ns, app("one", "10.1.0.1")+"---\n"+app("two", "10.2.0.1")+"---\n"+app("three", "10.3.0.1"))
	poll(t, "Ingress one's route in Kong", func() (bool, string) {
		return k.route(t, ns, "one") != nil && k.route(t, ns, "three") != nil && slices.Equal(k.targets(t, ns, "one"), []string{"10.1.0.1:8080"}),
			fmt.Sprint(k.targets(t, ns, "one"))
	})

	// A rollout: the pod moves. Only the targets change.
	counted.take()
	apply(t, env, ns, endpointSlice("one", "10.1.0.2"))
	poll(t, "the new pod's target", func() (bool, string) {
		got := k.targets(t, ns, "one")
		return slices.Equal(got, []string{"10.1.0.2:8080"}), fmt.Sprint(got)
	})
	for _, wr := range counted.take() {
		if !strings.Contains(wr, "/targets") {
			t.Errorf("an EndpointSlice change wrote %s; only targets should change", wr)
		}
	}

	// Drift: someone edits the route in Kong by hand; nothing changes in Kubernetes.
	r := k.route(t, ns, "one")
	if code := k.do(t, http.MethodPatch, "/routes/"+r["id"].(string), `{"paths": ["/by-hand"]}`, nil); code != http.StatusOK {
		t.Fatalf("PATCH route by hand: %d", code)
	}
	poll(t, "the hand edit put back at a resync", func() (bool, string) {
		r := k.route(t, ns, "one")
		return r != nil && !strings.Contains(fmt.Sprint(r["paths"]), "/by-hand"), fmt.Sprint(r["paths"])
	})

	env.Delete(t, ns, "networking.k8s.io/v1", "Ingress", "one")
	poll(t, "Ingress one's route gone from Kong", func() (bool, string) {
		return k.route(t, ns, "one") == nil, "the route is still there"
	})
	if k.route(t, ns, "two") == nil || k.route(t, ns, "three") == nil {
		t.Fatal("deleting Ingress one took another Ingress's route")
	}

	// The route is gone before its sync has counted its writes (and the upstream and target
	// go in the same sync, after the route): poll until the counts arrive.
	wants := []string{`kongdb_watch_syncs_total{result="ok",trigger="change"}`, `kongdb_watch_syncs_total{result="ok",trigger="resync"}`,
		// Two targets deleted: the rollout's old pod, and the one of the deleted Ingress's upstream.
		`kongdb_watch_writes_total{action="delete",kind="target"} 2`, `kongdb_watch_writes_total{action="delete",kind="upstream"} 1`,
		"kongdb_watch_leader 1"}
	poll(t, "the writes counted in /metrics", func() (bool, string) {
		resp, err := http.Get("http://" + metrics + "/metrics")
		if err != nil {
			return false, err.Error()
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range wants {
			if !strings.Contains(string(body), want) {
				return false, "/metrics lacks " + want + ":\n" + string(body)
			}
		}
		return true, ""
	})

	if code := w.stop(t); code != 0 {
		t.Fatalf("the watcher exited %d on SIGINT, want 0:\n%s", code, w.log.String())
	}
	if log := w.log.String(); !strings.Contains(log, "trigger=change") || !strings.Contains(log, "trigger=resync") {
		t.Errorf("the log does not show syncs on a change and on a resync:\n%s", log)
	}
}
