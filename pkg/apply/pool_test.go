package apply

import (
	"errors"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
)

// TestANodeTakenOutIsTriedAgainLater: one connection error takes a node out for
// RetryDownAfter, not for the rest of the run: the only node of a cluster comes back once that
// has passed, and a node that answers again is no longer reported down.
func TestANodeTakenOutIsTriedAgainLater(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	a, b := &admin.Node{Info: admin.Info{URL: "http://a"}}, &admin.Node{Info: admin.Info{URL: "http://b"}}

	only := NewPool([]*admin.Node{a})
	only.now = func() time.Time { return clock }
	only.MarkDown(a, errors.New("i/o timeout"))
	if _, err := only.Current(); !errors.Is(err, ErrNoLiveNode) {
		t.Fatalf("right after the timeout: %v", err)
	}
	clock = clock.Add(RetryDownAfter)
	if n, err := only.Current(); err != nil || n != a {
		t.Fatalf("after %s the only node is still out: %v", RetryDownAfter, err)
	}
	if _, err := only.withNode(t.Context(), func(*admin.Node) error { return nil }); err != nil || len(only.Down()) != 0 {
		t.Fatalf("a node that answered is still reported down: %v", only.Down())
	}

	two := NewPool([]*admin.Node{a, b})
	two.now = func() time.Time { return clock }
	two.MarkDown(a, errors.New("i/o timeout"))
	if n, _ := two.Current(); n != b {
		t.Fatalf("failover went to %v", n.URL)
	}
	clock = clock.Add(RetryDownAfter)
	two.MarkDown(b, errors.New("connection refused"))
	if n, err := two.Current(); err != nil || n != a {
		t.Fatalf("a, out since %s, was not taken back when b went: %v", RetryDownAfter, err)
	}
}
