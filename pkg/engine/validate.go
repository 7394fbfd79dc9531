package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/validate"
)

// PreflightMode says what a sync does, before it writes, with what `validate` finds in its
// plan (Kong's /schemas/.../validate of every create and update, credentials another consumer
// holds).
type PreflightMode string

const (
	// PreflightOff checks nothing: Kong judges each write as it comes.
	PreflightOff PreflightMode = "off"
	// PreflightWarn sends none of the ops found at fault (they fail in the report, their
	// dependents are skipped, as a refusal by Kong would do) and writes everything else.
	PreflightWarn PreflightMode = "warn"
	// PreflightBlock writes nothing when a problem is on an op that others depend on (a
	// service its routes need, a consumer its credentials need): a partial sync would leave
	// that whole subtree out. A problem on an op nothing depends on is handled as warn does,
	// so one bad KongPlugin does not stop every other change.
	PreflightBlock PreflightMode = "block"
)

// DefaultPreflight is sync's: block, as issue 21 asks, since a failing parent would skip its
// dependents anyway and leave Kong half changed; leaves are only held back.
const DefaultPreflight = PreflightBlock

// ParsePreflight parses --preflight.
func ParsePreflight(s string) (PreflightMode, error) {
	switch m := PreflightMode(s); m {
	case PreflightOff, PreflightWarn, PreflightBlock:
		return m, nil
	}
	return "", fmt.Errorf("must be one of off, warn, block (got %q)", s)
}

// PreflightError is a sync stopped before writing because the preflight found problems on ops
// others depend on.
type PreflightError struct {
	Problems []validate.Problem
}

func (e *PreflightError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  " + p.String()
	}
	return fmt.Sprintf("preflight: nothing written: %d problems on entities others depend on "+
		"(--preflight=warn writes the rest; kubectl kongdb validate lists every problem):\n%s",
		len(e.Problems), strings.Join(lines, "\n"))
}

// checkBeforeWrite runs the preflight of c.Preflight on ob's plan: the ops found at fault are
// marked refused (never sent), or, in block mode with a problem on an op others depend on, the
// sync stops with a *PreflightError. A check that cannot run leaves Kong to judge (a note says so).
func (c *Config) checkBeforeWrite(ctx context.Context, ob *Observation) error {
	ob.Preflight = nil
	if c.Preflight == "" || c.Preflight == PreflightOff || ob.Plan.Empty() {
		return nil
	}
	problems, err := validate.Kong(ctx, ob.Cluster.Nodes, validate.BeforeWrite(ob.Plan), c.Concurrency)
	if err != nil {
		c.note(fmt.Sprintf("preflight: some entities could not be checked, Kong judges them as they are written: %v", err))
	}
	validate.Sort(problems)
	ob.Preflight = problems
	if c.Preflight == PreflightBlock {
		needed := dependedOn(ob.Plan)
		var blocking []validate.Problem
		for _, p := range problems {
			if p.Op != nil && needed[p.Op.Index] {
				blocking = append(blocking, p)
			}
		}
		if len(blocking) > 0 {
			return &PreflightError{Problems: blocking}
		}
	}
	for _, p := range problems {
		if p.Op != nil && p.Op.Refused == "" {
			p.Op.Refused = refusal(p)
		}
	}
	return nil
}

// dependedOn are the indexes of the ops another op of p depends on.
func dependedOn(p *plan.Plan) map[int]bool {
	out := map[int]bool{}
	for _, op := range p.Ops {
		for _, d := range op.DependsOn {
			out[d] = true
		}
	}
	return out
}

// refusal is why an op at fault is not sent, in the words a refusal by Kong would have had.
func refusal(p validate.Problem) string {
	what := p.Problem
	if p.Field != "" {
		what = p.Field + ": " + what
	}
	if p.Check == validate.CheckSchema {
		return "Kong answered 400 to /schemas/.../validate: " + what
	}
	return what
}
