package sync_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const lockName = "kongdb-sync-managed-by-kongdb"

// holdMarker creates the sync lock's marker in Kong as another sync would, expiring at exp.
func holdMarker(t *testing.T, f *fixture, exp time.Time) {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"tags":["kongdb-sync-lock","kongdb-lock-holder:other-host-1","kongdb-lock-since:%d","kongdb-lock-expires:%d"]}`,
		lockName, time.Now().Unix(), exp.Unix())
	if code := request(t, http.MethodPost, f.node.URL+"/consumers", body, nil); code != http.StatusCreated {
		t.Fatalf("create marker: %d", code)
	}
}

// TestKongMarkerKeepsASecondSyncOut: while another sync's marker is live, a sync from
// manifests waits --lock-timeout, fails naming the holder and writes nothing; an expired
// marker is taken over, and the sync releases it when done.
func TestKongMarkerKeepsASecondSyncOut(t *testing.T) {
	f := newFixture(t)
	in := manifests(t, "locked")
	holdMarker(t, f, time.Now().Add(time.Hour))
	r := f.cmd(t, "sync", "-f", in, "--lock-timeout", "1s")
	if r.code != 1 || !strings.Contains(r.stderr, "another sync holds the lock") || !strings.Contains(r.stderr, "other-host-1") {
		t.Fatalf("held lock: exit %d\n%s", r.code, r.stderr)
	}
	if f.kong.writes.Load() != 0 {
		t.Fatalf("wrote while locked out: %v", f.kong.reset())
	}
	if code := request(t, http.MethodDelete, f.node.URL+"/consumers/"+lockName, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete marker: %d", code)
	}
	holdMarker(t, f, time.Now().Add(-time.Minute))
	mustSync(t, f, "-f", in, "--lock-timeout", "1s")
	if code := f.get(t, "/consumers/"+lockName, nil); code != http.StatusNotFound {
		t.Fatalf("marker left after the sync: %d", code)
	}
	if n := len(f.list(t, "/services")); n != 1 {
		t.Fatalf("%d services after the sync", n)
	}
}

// TestLeaseKeepsASecondSyncOut: a sync from a cluster takes a coordination.k8s.io Lease; one
// held by another sync keeps it out, naming the holder.
func TestLeaseKeepsASecondSyncOut(t *testing.T) {
	env := cluster(t)
	f := newFixture(t)
	ns := env.Namespace(t)
	applyYAML(t, env, ns, ingressClass+app("leased", ""))
	now := metav1.NewMicroTime(time.Now())
	held := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: lockName, Namespace: ns}, Spec: coordinationv1.LeaseSpec{
		HolderIdentity: ptr.To("other-sync"), LeaseDurationSeconds: ptr.To[int32](3600), AcquireTime: &now, RenewTime: &now}}
	env.Apply(t, held)
	kube := []string{"--kubeconfig", env.Kubeconfig, "-n", ns, "--lock-namespace", ns, "--lock-timeout", "1s"}
	r := f.cmd(t, "sync", kube...)
	if r.code != 1 || !strings.Contains(r.stderr, "Lease "+ns+"/"+lockName) || !strings.Contains(r.stderr, "other-sync") {
		t.Fatalf("held Lease: exit %d\n%s", r.code, r.stderr)
	}
	if f.kong.writes.Load() != 0 {
		t.Fatalf("wrote while locked out: %v", f.kong.reset())
	}
	if err := env.Client.Delete(t.Context(), held); err != nil {
		t.Fatal(err)
	}
	mustSync(t, f, kube...)
	var lease coordinationv1.Lease
	err := env.Client.Get(t.Context(), clientKey(ns, lockName), &lease)
	if err == nil {
		t.Fatalf("Lease left after the sync: %+v", lease.Spec)
	}
}
