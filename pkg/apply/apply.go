package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

// DefaultConcurrency is KIC's and decK's default parallelism.
const DefaultConcurrency = 10

// MaxConcurrency bounds the requests in flight: the Admin API client keeps 64 idle connections
// per node, and more at once only opens and closes connections on one shared Admin API (and
// PostgreSQL behind it) for no gain; Run lowers a larger Concurrency to it.
const MaxConcurrency = 64

// Status is how one op ended.
type Status string

// Statuses of an op.
const (
	Done    Status = "done"
	Failed  Status = "failed"
	Skipped Status = "skipped"
	// Conflict is a create Kong refused because an entity we do not own holds its name or key.
	Conflict Status = "conflict"
)

// Result is what happened to one op.
type Result struct {
	Op       *plan.Op      `json:"op"`
	Status   Status        `json:"status"`
	Node     string        `json:"node,omitempty"`
	Attempts int           `json:"attempts,omitempty"`
	Duration time.Duration `json:"durationNs,omitempty"`
	// Error is why it failed, with Kong's error body; for a skipped op, which op it waited for.
	Error string `json:"error,omitempty"`
	// HTTPStatus is Kong's answer to the last attempt, when there was one.
	HTTPStatus int `json:"httpStatus,omitempty"`
	// Blocker describes the entity in the way of a conflicting create, as Kong has it.
	Blocker string `json:"blocker,omitempty"`
	// Cause is the index of the failed op a skipped op depended on.
	Cause int `json:"cause,omitempty"`
}

// Options shape a run.
type Options struct {
	// Concurrency is the number of requests in flight; 0 means DefaultConcurrency.
	Concurrency int
	// MaxTries bounds the attempts of one op on 5xx and connection errors; 0 means 5.
	MaxTries uint
	// Backoff is the first wait between attempts; 0 means 250ms (doubling, at most 5s).
	Backoff time.Duration
	// OnResult is called once per op as it ends, from the scheduler's goroutine.
	OnResult func(Result)
	// OwnershipTag is the tag of the entities this sync owns. Only an entity read with it is
	// updated or deleted, and a create whose reply was lost counts as done only when the
	// entity found in its place carries it. Empty, nothing counts as owned.
	OwnershipTag string
}

// Outcome is the result of every op of a plan.
type Outcome struct {
	Results []Result `json:"results"`
	// Requests is how many Admin API requests the run sent.
	Requests int64         `json:"requests"`
	Duration time.Duration `json:"durationNs"`
	// Nodes are the URLs writes went through, in the order they were first used.
	Nodes []string `json:"nodes"`
	// Down are nodes taken out on connection errors, and why.
	Down map[string]string `json:"down,omitempty"`
}

// Failed reports whether any op did not complete.
func (o *Outcome) Failed() bool {
	for _, r := range o.Results {
		if r.Status != Done {
			return true
		}
	}
	return false
}

// Run executes p through pool. Every op whose dependencies are done is started at once, up to
// Concurrency at a time; an op that fails marks every op depending on it, directly or not,
// as skipped and the rest goes on. Run returns when every op has a result, or ctx ends.
func Run(ctx context.Context, p *plan.Plan, pool *Pool, opts Options) *Outcome {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	opts.Concurrency = min(opts.Concurrency, MaxConcurrency)
	if opts.MaxTries == 0 {
		opts.MaxTries = 5
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 250 * time.Millisecond
	}
	start := time.Now()
	r := &runner{plan: p, pool: pool, opts: opts, results: make([]Result, len(p.Ops))}
	r.run(ctx)
	out := &Outcome{Results: r.results, Requests: r.requests.Load(), Duration: time.Since(start), Nodes: r.nodes}
	for url, err := range pool.Down() {
		if out.Down == nil {
			out.Down = map[string]string{}
		}
		out.Down[url] = err.Error()
	}
	return out
}

type runner struct {
	plan     *plan.Plan
	pool     *Pool
	opts     Options
	results  []Result
	requests atomic.Int64

	mu    sync.Mutex
	nodes []string
}

func (r *runner) run(ctx context.Context) {
	ops := r.plan.Ops
	waiting := make([]int, len(ops))
	dependents := make([][]int, len(ops))
	for _, op := range ops {
		waiting[op.Index] = len(op.DependsOn)
		for _, d := range op.DependsOn {
			dependents[d] = append(dependents[d], op.Index)
		}
	}
	ready := make(chan int, len(ops))
	finished := make(chan Result, r.opts.Concurrency)
	for _, op := range ops {
		if waiting[op.Index] == 0 {
			ready <- op.Index
		}
	}
	var wg sync.WaitGroup
	for range r.opts.Concurrency {
		wg.Go(func() {
			for i := range ready {
				finished <- r.execute(ctx, ops[i])
			}
		})
	}
	resolved := 0
	settle := func(res Result) {
		r.results[res.Op.Index] = res
		resolved++
		if r.opts.OnResult != nil {
			r.opts.OnResult(res)
		}
	}
	for resolved < len(ops) {
		res := <-finished
		settle(res)
		if res.Status == Done {
			for _, d := range dependents[res.Op.Index] {
				if waiting[d]--; waiting[d] == 0 {
					ready <- d
				}
			}
			continue
		}
		// Skip everything downstream of a failure; each is settled once (waiting = -1).
		queue := append([]int(nil), dependents[res.Op.Index]...)
		for len(queue) > 0 {
			d := queue[0]
			queue = queue[1:]
			if waiting[d] < 0 {
				continue
			}
			waiting[d] = -1
			settle(Result{Op: ops[d], Status: Skipped, Cause: res.Op.Index,
				Error: fmt.Sprintf("skipped: depends on %s %s %s, which did not complete", res.Op.Action, res.Op.Kind, res.Op.Name)})
			queue = append(queue, dependents[d]...)
		}
	}
	close(ready)
	wg.Wait()
}

// execute sends one op, retrying 5xx answers and connection errors with exponential backoff;
// a connection error moves to the next live node at once. An update or delete is sent only
// for an entity read as owned. After a connection broke on a create, the create may have
// landed: the entity is read where it would be before anything else is sent, and only an
// entity that is absent is created again; a create is never turned into an overwrite.
func (r *runner) execute(ctx context.Context, op *plan.Op) Result {
	res := Result{Op: op}
	if op.Refused != "" {
		res.Status, res.Error = Failed, "not sent: Kong would refuse it: "+op.Refused
		return res
	}
	start := time.Now()
	if err := r.ownedBefore(op); err != nil {
		return r.ended(ctx, res, start, err)
	}
	lost := false // a create's reply was lost: it may have landed
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = r.opts.Backoff
	bo.MaxInterval = 5 * time.Second
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		if err := Live(ctx); err != nil {
			return struct{}{}, backoff.Permanent(err)
		}
		res.Attempts++
		if lost {
			switch done, err := r.landed(ctx, op); {
			case err != nil:
				return struct{}{}, r.retryable(ctx, op, &res, err)
			case done:
				return struct{}{}, nil
			}
		}
		node, err := r.pool.withNode(ctx, func(n *admin.Node) error {
			r.requests.Add(1)
			return admin.Do(ctx, n.Client, op.Method, op.Path, nil, op.Body, nil)
		})
		if node != nil {
			res.Node = node.URL
			r.used(node.URL)
		}
		if err == nil {
			return struct{}{}, nil
		}
		if op.Action == plan.Create && isConnectionError(ctx, err) {
			lost = op.UpsertPath != ""
		}
		return struct{}{}, r.retryable(ctx, op, &res, err)
	}, backoff.WithBackOff(bo), backoff.WithMaxTries(r.opts.MaxTries))
	return r.ended(ctx, res, start, err)
}

// retryable sorts one attempt's error: 5xx answers and connection errors are tried again,
// a delete that finds nothing is done, anything else is final.
func (r *runner) retryable(ctx context.Context, op *plan.Op, res *Result, err error) error {
	var apiErr *admin.Error
	switch {
	case errors.Is(err, ErrNoLiveNode):
		return backoff.Permanent(err)
	case errors.As(err, &apiErr):
		res.HTTPStatus = apiErr.Status
		if op.Action == plan.Delete && apiErr.Status == http.StatusNotFound {
			return nil // already gone: what we wanted
		}
		if apiErr.Status >= 500 {
			return err
		}
		return backoff.Permanent(err)
	case isConnectionError(ctx, err):
		return err
	}
	return backoff.Permanent(err)
}

// ended turns the last error of an op into its result, with Kong's body stripped of the
// entity's secrets.
func (r *runner) ended(ctx context.Context, res Result, start time.Time, err error) Result {
	op := res.Op
	res.Duration = time.Since(start)
	if err == nil {
		res.Status = Done
		return res
	}
	res.Status = Failed
	res.Error = err.Error()
	var apiErr *admin.Error
	if blocker, ok := asNotOwned(err); ok {
		res.Status, res.Blocker = Conflict, blocker
		res.Error = describeOp(op) + ": refused, the entity is not ours"
	} else if errors.As(err, &apiErr) {
		res.Error = fmt.Sprintf("%s: Kong answered %d: %s", describeOp(op), apiErr.Status, RedactKongError(op, apiErr.Body))
		if op.Action == plan.Create && apiErr.Status == http.StatusConflict {
			res.Status = Conflict
			res.Blocker = r.blocker(ctx, op)
		}
	}
	return res
}

func (r *runner) used(url string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range r.nodes {
		if u == url {
			return
		}
	}
	r.nodes = append(r.nodes, url)
}
