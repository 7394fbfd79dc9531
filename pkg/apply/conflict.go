package apply

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

// blocker looks up the entity that holds the name or ID a create wanted, so the report names
// both sides. It is one GET, only after a 409.
func (r *runner) blocker(ctx context.Context, op *plan.Op) string {
	if b, ok := lookupBlocker(ctx, r.pool, op, &r.requests); ok {
		return b
	}
	return fmt.Sprintf("an existing %s not owned by this sync holds a unique field: left alone", op.Kind)
}

// lookupBlocker finds an entity Kong holds under the op's name (or username, prefix) or ID.
func lookupBlocker(ctx context.Context, pool *Pool, op *plan.Op, requests *atomic.Int64) (string, bool) {
	var keys []string
	for _, f := range []string{"name", "username", "prefix"} {
		if v, ok := op.Body[f].(string); ok && v != "" {
			keys = append(keys, v)
		}
	}
	if id, ok := op.Body["id"].(string); ok && id != "" {
		keys = append(keys, id)
	}
	for _, key := range keys {
		var found struct {
			ID   string   `json:"id"`
			Tags []string `json:"tags"`
		}
		_, err := pool.withNode(ctx, func(n *admin.Node) error {
			requests.Add(1)
			return admin.Do(ctx, n.Client, http.MethodGet, op.Path+"/"+url.PathEscape(key), nil, nil, &found)
		})
		if err != nil {
			continue
		}
		tags := "no tags"
		if len(found.Tags) > 0 {
			tags = "tags " + strings.Join(found.Tags, ",")
		}
		return fmt.Sprintf("existing %s %q (id %s, %s), not owned by this sync: left alone", op.Kind, key, found.ID, tags), true
	}
	return "", false
}

// FindConflicts looks up, for every create of p, an entity Kong already holds under the same
// name or ID. Everything this sync owns was read, so such an entity is someone else's: the
// create would meet Kong's 409. A dry run or diff calls it to show conflicts before a sync
// meets them; a sync itself does not, since Kong's 409 tells it for free. Found conflicts are
// set on the ops (Op.Conflict); the number of lookups is returned.
func FindConflicts(ctx context.Context, pool *Pool, p *plan.Plan, concurrency int) int64 {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	var requests atomic.Int64
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, op := range p.Ops {
		if op.Action != plan.Create || op.Method != http.MethodPost {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if b, ok := lookupBlocker(ctx, pool, op, &requests); ok {
				op.Conflict = b
			}
		})
	}
	wg.Wait()
	return requests.Load()
}
