package watch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"
)

// Of two watchers on one Lease only one leads; when it stops, the other takes over, and the
// two never lead at once.
func TestElectionHandsOverWhenTheLeaderStops(t *testing.T) {
	client := fake.NewClientset()
	var mu sync.Mutex
	leading := map[string]bool{}
	both := false
	led := make(chan string, 10)
	run := func(ctx context.Context, id string) {
		e := &Election{Client: client.CoordinationV1(), Namespace: "default", Name: LeaderLeaseName("managed-by-kongdb"),
			Identity: id, LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond}
		_ = e.Run(ctx, func(ctx context.Context) {
			mu.Lock()
			leading[id] = true
			both = both || len(leading) > 1
			mu.Unlock()
			led <- id
			<-ctx.Done()
			mu.Lock()
			delete(leading, id)
			mu.Unlock()
		}, nil)
	}
	ctxA, stopA := context.WithCancel(t.Context())
	ctxB, stopB := context.WithCancel(t.Context())
	defer stopB()
	doneA := make(chan struct{})
	go func() { defer close(doneA); run(ctxA, "a") }()
	first := waitLeader(t, led)
	if first != "a" {
		t.Fatalf("first leader = %s, want a (the only candidate)", first)
	}
	go run(ctxB, "b")
	stopA()
	<-doneA
	if second := waitLeader(t, led); second != "b" {
		t.Fatalf("after a stopped the leader is %s, want b", second)
	}
	mu.Lock()
	defer mu.Unlock()
	if both {
		t.Error("both watchers led at once")
	}
}

func waitLeader(t *testing.T, led chan string) string {
	t.Helper()
	select {
	case id := <-led:
		return id
	case <-time.After(30 * time.Second):
		t.Fatal("nobody took the lead")
		return ""
	}
}

// /readyz is not ready until the caches synced; then it names the role.
func TestReadyzWaitsForTheCaches(t *testing.T) {
	s, _, _ := started(t, defaultInput())
	w := &Watcher{Source: s}
	srv := httptest.NewServer(w.Health())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before sync = %d, want 503", code)
	}
	w.synced.Store(true)
	w.role.Store("standby")
	if code, body := get("/readyz"); code != http.StatusOK || !strings.Contains(body, "standby") {
		t.Errorf("/readyz after sync = %d %q, want 200 naming standby", code, body)
	}
}
