package preflight

import "github.com/kongdb/kubectl-kongdb/pkg/plan"

// FromPlan returns the entities p would send (its creates and updates, by op index), each as
// its op's body: what Kong would be asked to take. A desired state planned against an empty
// current state (`validate`, no Kong to read) gives every entity.
func FromPlan(p *plan.Plan) (entities []Entity, ops []*plan.Op) {
	for _, op := range p.Ops {
		if op.Body == nil || op.Action == plan.Delete {
			continue
		}
		entities = append(entities, Entity{Kind: string(op.Kind), Name: op.Name, Body: op.Body})
		ops = append(ops, op)
	}
	return entities, ops
}
