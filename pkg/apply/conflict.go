package apply

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

// blocker looks up the entity that holds the name or ID a create wanted, so the report names
// both sides. It is one GET, only after a 409.
func (r *runner) blocker(ctx context.Context, op *plan.Op) string {
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
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		}
		_, err := r.pool.withNode(ctx, func(n *admin.Node) error {
			r.requests.Add(1)
			return admin.Do(ctx, n.Client, http.MethodGet, op.Path+"/"+url.PathEscape(key), nil, nil, &found)
		})
		if err != nil {
			continue
		}
		tags := "no tags"
		if len(found.Tags) > 0 {
			tags = "tags " + strings.Join(found.Tags, ",")
		}
		return fmt.Sprintf("existing %s %q (id %s, %s), not owned by this sync: left alone", op.Kind, key, found.ID, tags)
	}
	return fmt.Sprintf("an existing %s not owned by this sync holds a unique field: left alone", op.Kind)
}
