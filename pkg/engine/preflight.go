package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/preflight"
)

// preflight marks the plan's ops Kong would refuse for a reason known before sending
// (pkg/preflight: a plugin the node does not enable, an Enterprise-only entity or field on
// Kong OSS, a vault backend not installed, a field the entity's protocol forbids): apply
// fails them without sending them and skips what depends on them, and the report names each
// with its Kubernetes object. The schemas it needs are the cached /schemas bodies; one that
// cannot be read leaves its checks out (a note says so), never the sync.
func (ob *Observation) preflight(ctx context.Context, schemas *admin.Schemas, version string) {
	entities, ops := preflight.FromPlan(ob.Plan)
	if len(entities) == 0 {
		return
	}
	node := preflight.Node{Version: version, Schemas: map[string]map[string]any{}}
	first := ob.Cluster.Nodes[0]
	node.Enterprise = first.Enterprise
	if len(first.Plugins) > 0 {
		node.Plugins = map[string]bool{}
		for _, p := range first.Plugins {
			node.Plugins[p] = true
		}
	}
	for _, name := range preflight.SchemaNames(entities) {
		var sc map[string]any
		err := OnAnyNode(ctx, ob.Cluster, func(c *kong.Client) (err error) {
			sc, err = schemas.Schema(ctx, c, version, name)
			return err
		})
		if err != nil {
			// A schema that cannot be read only leaves its checks out: Kong still judges.
			ob.Notes = append(ob.Notes, fmt.Sprintf("preflight: %s not checked: %v", name, err))
			continue
		}
		node.Schemas[name] = sc
	}
	ob.Refused = preflight.Check(entities, node)
	for _, f := range ob.Refused {
		ops[f.Index].Refused = f.Reason
		if f.Field != "" && !strings.HasPrefix(f.Reason, f.Field) {
			ops[f.Index].Refused = f.Field + ": " + f.Reason
		}
	}
}
