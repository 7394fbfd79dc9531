package engine

import (
	"context"
	"strings"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/preflight"
)

// preflight marks the plan's ops Kong would refuse for a reason known before sending
// (pkg/preflight: a plugin the node does not enable, an Enterprise-only entity or field on
// Kong OSS, a vault backend not installed, a field the entity's protocol forbids): apply
// fails them without sending them and skips what depends on them, and the report names each
// with its Kubernetes object. The schemas it needs are the cached /schemas bodies.
func (ob *Observation) preflight(ctx context.Context, schemas *admin.Schemas, version string) error {
	entities, ops := preflight.FromPlan(ob.Plan)
	if len(entities) == 0 {
		return nil
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
		err := OnAnyNode(ctx, ob.Cluster, func(c *kong.Client) error {
			sc, err := schemas.Schema(ctx, c, version, name)
			node.Schemas[name] = sc
			return err
		})
		if err != nil {
			return err
		}
	}
	ob.Refused = preflight.Check(entities, node)
	for _, f := range ob.Refused {
		ops[f.Index].Refused = f.Reason
		if f.Field != "" && !strings.HasPrefix(f.Reason, f.Field) {
			ops[f.Index].Refused = f.Field + ": " + f.Reason
		}
	}
	return nil
}
