package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

// BudgetError is a plan that deletes more than the delete budget allows; nothing was written.
// The budget is a share of the owned entities in the sync's scope (its namespaces and
// selector), not of everything it owns: a namespace holding a fifth of Kong is not wiped by a
// 30% budget.
type BudgetError struct {
	Deletes, InScope int
	Max              string
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("the sync would delete %d of the %d owned entities in its scope, more than the delete budget (%s) allows; nothing was written",
		e.Deletes, e.InScope, e.Max)
}

// checkDeletes fails a plan that deletes more than the budget allows, unless forced or dry.
func (c *Config) checkDeletes(ob *Observation) error {
	p := ob.Plan
	// Targets of upstreams that stay are a rollout's churn, not a loss: a one-service namespace
	// would otherwise be over a 30% budget at every pod replaced.
	deletes := p.Count()[plan.Delete] - p.TargetsReplaced
	limit, _ := ParseMaxDelete(c.Budget.Max, p.InScope)
	if deletes > limit && !c.Budget.Force && !c.DryRun {
		return &BudgetError{Deletes: deletes, InScope: p.InScope, Max: c.Budget.Max}
	}
	return nil
}

// ParseMaxDelete reads a delete budget: a share ("30%") or a count ("50") of the managed
// entities, returned as the largest number of deletes allowed.
func ParseMaxDelete(v string, managed int) (int, error) {
	if pct, ok := strings.CutSuffix(strings.TrimSpace(v), "%"); ok {
		f, err := strconv.ParseFloat(pct, 64)
		if err != nil || f < 0 || f > 100 {
			return 0, fmt.Errorf("delete budget %q: want a share such as 30%% or a count such as 50", v)
		}
		// f*managed/100, not f/100*managed: 0.29*100 is 28.999… in floating point, and a
		// budget of "29%" of 100 must allow 29. The nudge absorbs what rounding is left.
		return int(math.Floor(f*float64(managed)/100 + 1e-9)), nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("delete budget %q: want a share such as 30%% or a count such as 50", v)
	}
	return n, nil
}
