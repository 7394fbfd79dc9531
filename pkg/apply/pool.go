// Package apply executes a plan against Kong: one bounded worker pool over the plan's DAG (no
// barrier between entity types), retries with backoff on 5xx answers and broken connections,
// failover to another live node when one goes away, and a result for every op. An op that
// fails skips only the ops that depend on it.
package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/lock"
)

// ErrNoLiveNode means every node failed with a connection error.
var ErrNoLiveNode = errors.New("no live Kong node left")

// Pool is the nodes a sync may write through. In traditional mode every node writes to the
// one database, so when the node in use stops answering the next live one takes over. A node
// taken out is tried again once RetryDownAfter has passed: one timeout (a GC pause, a blip)
// must not lose a node, or the only node, for the rest of a long run.
type Pool struct {
	mu    sync.Mutex
	nodes []*admin.Node
	cur   int
	down  map[*admin.Node]downMark
	// now is the clock; tests replace it.
	now func() time.Time
}

// RetryDownAfter is how long a node taken out after a connection error stays out.
const RetryDownAfter = 5 * time.Second

// downMark is why a node was taken out and until when.
type downMark struct {
	err   error
	until time.Time
}

// NewPool returns a pool over nodes, using the first until it fails.
func NewPool(nodes []*admin.Node) *Pool {
	return &Pool{nodes: nodes, down: map[*admin.Node]downMark{}, now: time.Now}
}

// Current is the node writes go to now: the current one while it is not out, else the next
// one not out (a node whose time out has passed is back).
func (p *Pool) Current() (*admin.Node, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for range p.nodes {
		n := p.nodes[p.cur]
		if m, out := p.down[n]; !out || !now.Before(m.until) {
			return n, nil
		}
		p.cur = (p.cur + 1) % len(p.nodes)
	}
	return nil, fmt.Errorf("%w (%d tried)", ErrNoLiveNode, len(p.nodes))
}

// MarkDown takes n out for RetryDownAfter after a connection error, so that the next Current
// is another node. Several workers may report the same node; the first report counts.
func (p *Pool) MarkDown(n *admin.Node, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, out := p.down[n]; !out || !p.now().Before(m.until) {
		p.down[n] = downMark{err: err, until: p.now().Add(RetryDownAfter)}
	}
}

// markUp puts n back once it answered.
func (p *Pool) markUp(n *admin.Node) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.down, n)
}

// Down returns the nodes taken out during the run and why.
func (p *Pool) Down() map[string]error {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]error{}
	for n, m := range p.down {
		out[n.URL] = m.err
	}
	return out
}

// withNode runs f on the current node; a connection error takes the node out.
func (p *Pool) withNode(ctx context.Context, f func(*admin.Node) error) (*admin.Node, error) {
	n, err := p.Current()
	if err != nil {
		return nil, err
	}
	err = f(n)
	switch {
	case isConnectionError(ctx, err):
		p.MarkDown(n, err)
	case ctx.Err() == nil:
		p.markUp(n) // it answered, yes or no
	}
	return n, err
}

// isConnectionError is any failure to get an answer from the node at all (refused, reset,
// timed out), as opposed to an answer that says no.
func isConnectionError(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var apiErr *admin.Error
	return !errors.As(err, &apiErr)
}

// Live tells whether a write may still be sent under ctx: nil, or why not. It is checked
// before every request: a context that ended says why (a lost lock names itself), a lock's
// lease that ran out ends it even when its timer has not fired yet, and so does a deadline
// that passed: a process that stalled past its lock's lease wakes up with both due, and the
// write must lose that race.
func Live(ctx context.Context) error {
	if err := lock.Valid(ctx); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return fmt.Errorf("%w at %s", context.DeadlineExceeded, d.Format(time.RFC3339))
	}
	return nil
}
