package status

import "context"

// Collector takes one observation. The real one reads Kubernetes (pkg/source, pkg/translate)
// and Kong (pkg/admin) and diffs them (pkg/plan); the UI calls it on every refresh, never on
// its own goroutine, so Collect may block as long as ctx allows.
//
// Collect returns an error only when it could not observe at all (a bad configuration). An
// unreachable Kubernetes or Kong, or a node down, is reported inside the Report.
type Collector interface {
	Collect(ctx context.Context) (*Report, error)
}

// CollectorFunc adapts a function to Collector.
type CollectorFunc func(ctx context.Context) (*Report, error)

// Collect calls f.
func (f CollectorFunc) Collect(ctx context.Context) (*Report, error) { return f(ctx) }
