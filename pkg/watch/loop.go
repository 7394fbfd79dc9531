package watch

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/engine"
)

// Defaults of the loop's timing.
const (
	// DefaultDebounce is how long the loop waits for a burst of changes to end: a rollout
	// touches many EndpointSlices at once, and one sync should carry them all.
	DefaultDebounce = 150 * time.Millisecond
	// DefaultMaxDelay caps the debounce, so a steady stream of changes still syncs.
	DefaultMaxDelay = 2 * time.Second
	// DefaultResync is how often Kong is synced without any change in Kubernetes: drift made
	// in Kong by hand is put back at the latest then.
	DefaultResync = 10 * time.Minute
	// DefaultRetryMin and DefaultRetryMax bound the backoff after a failed or partial sync.
	DefaultRetryMin = time.Second
	DefaultRetryMax = time.Minute
)

// Options are the loop's timing and hooks.
type Options struct {
	Debounce, MaxDelay, Resync time.Duration
	RetryMin, RetryMax         time.Duration
	// AfterSync is called after every sync that got as far as a Result (status writing plugs
	// in here); it runs on the loop, under the leader's context.
	AfterSync func(context.Context, *engine.Result)
	// Logger receives one line per sync; nil discards.
	Logger *slog.Logger
	// Metrics, when set, counts syncs and writes.
	Metrics *Metrics

	// runOnce replaces engine.RunOnce in tests.
	runOnce func(context.Context, *engine.Config) (*engine.Result, error)
}

func (o Options) withDefaults() Options {
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.MaxDelay < o.Debounce {
		o.MaxDelay = max(DefaultMaxDelay, o.Debounce)
	}
	if o.Resync <= 0 {
		o.Resync = DefaultResync
	}
	if o.RetryMin <= 0 {
		o.RetryMin = DefaultRetryMin
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(DefaultRetryMax, o.RetryMin)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.runOnce == nil {
		o.runOnce = engine.RunOnce
	}
	return o
}

// Trigger is why a sync ran.
type Trigger string

// The triggers of a sync.
const (
	TriggerStart  Trigger = "start"
	TriggerChange Trigger = "change"
	TriggerResync Trigger = "resync"
	TriggerRetry  Trigger = "retry"
)

// Loop runs cfg's sync at start, then after each debounced change received on changes,
// every Resync, and after a failed or partial sync with a growing backoff, until ctx ends.
// Every sync is the one-shot engine's RunOnce: Kong is read in full each time, so drift is
// repaired at every sync, and a sync with nothing to do writes nothing. A failure never ends
// the loop (external-dns's soft errors); Loop returns when ctx ends.
func Loop(ctx context.Context, cfg *engine.Config, changes <-chan struct{}, o Options) {
	o = o.withDefaults()
	trigger := TriggerStart
	failures := 0
	var lastNotes []string
	for {
		c := *cfg
		c.Started = time.Time{} // each run's record times that run
		began := time.Now()
		res, err := o.runOnce(ctx, &c)
		if ctx.Err() != nil {
			return
		}
		result := logSync(o.Logger, trigger, res, err, &lastNotes)
		o.Metrics.observe(trigger, result, res, time.Since(began))
		ok := result == "ok" || result == "translation-errors"
		if res != nil && o.AfterSync != nil {
			o.AfterSync(ctx, res)
		}
		var retry <-chan time.Time
		retryTimer := time.NewTimer(0)
		retryTimer.Stop()
		if ok {
			failures = 0
		} else {
			failures++
			d := backoff(o.RetryMin, o.RetryMax, failures)
			o.Logger.Warn("sync will be retried", "in", d.String(), "failures", failures)
			retryTimer.Reset(d)
			retry = retryTimer.C
		}
		resync := time.NewTimer(o.Resync)
		var next Trigger
		select {
		case <-ctx.Done():
		case <-changes:
			if settle(ctx, changes, o.Debounce, o.MaxDelay) {
				next = TriggerChange
			}
		case <-resync.C:
			next = TriggerResync
		case <-retry:
			next = TriggerRetry
		}
		resync.Stop()
		retryTimer.Stop()
		if next == "" {
			return
		}
		trigger = next
	}
}

// settle waits until no change came for quiet, or max passed since the first one; false when
// ctx ended first.
func settle(ctx context.Context, changes <-chan struct{}, quiet, most time.Duration) bool {
	q, limit := time.NewTimer(quiet), time.NewTimer(most)
	defer q.Stop()
	defer limit.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-changes:
			q.Reset(quiet)
		case <-q.C:
			return true
		case <-limit.C:
			return true
		}
	}
}

// backoff is min doubled per failure after the first, at most max.
func backoff(min, max time.Duration, failures int) time.Duration {
	d := min
	for i := 1; i < failures && d < max; i++ {
		d *= 2
	}
	return mind(d, max)
}

func mind(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// logSync writes one line for a sync and returns its result: "ok", "translation-errors",
// "partial", "stopped" or "failed". A sync is retried when it failed, Kong refused or skipped
// some writes, or it lost its lock; one whose objects failed translation is not (Kong keeps
// what it had from them until they change), nor one whose read was incomplete (the informer
// that recovers wakes the loop).
func logSync(log *slog.Logger, trigger Trigger, res *engine.Result, err error, lastNotes *[]string) string {
	if err != nil {
		log.Error("sync failed", "trigger", string(trigger), "err", err.Error())
		return "failed"
	}
	if notes := res.Notes; !slices.Equal(notes, *lastNotes) {
		for _, n := range notes {
			log.Info("note", "note", n)
		}
		*lastNotes = slices.Clone(notes)
	}
	rep := res.Report
	var created, updated, deleted, failed int
	for _, k := range rep.Kinds {
		created, updated, deleted = created+k.Created, updated+k.Updated, deleted+k.Deleted
		failed += k.Failed + k.Skipped + k.Conflicts
	}
	result := "ok"
	ok := true
	switch {
	case res.Stopped != nil:
		result, ok = "stopped", false
	case len(rep.Problems) > 0 || len(res.Warnings) > 0:
		result, ok = "partial", false
	case len(rep.Kept) > 0 || res.Diagnostics.HasErrors():
		result = "translation-errors"
	}
	attrs := []any{"trigger", string(trigger), "result", result, "created", created, "updated", updated,
		"deleted", deleted, "failed", failed, "unchanged", rep.Unchanged, "seconds", (rep.Read + rep.Plan + rep.Apply).Seconds()}
	if rep.Generation > 0 {
		attrs = append(attrs, "generation", rep.Generation)
	}
	if res.Snapshot != nil && !res.Snapshot.Complete {
		attrs = append(attrs, "deletes", "withheld: the read of Kubernetes was incomplete")
	}
	if res.Stopped != nil {
		attrs = append(attrs, "err", res.Stopped.Error())
	}
	for _, w := range res.Warnings {
		attrs = append(attrs, "warning", w)
	}
	if ok {
		log.Info("sync", attrs...)
	} else {
		log.Warn("sync", attrs...)
	}
	return result
}
