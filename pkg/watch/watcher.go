package watch

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/kongdb/kubectl-kongdb/pkg/engine"
)

// Watcher is `sync --watch`: the informer Source, the Loop, and, when Election is set, leader
// election so that of several watchers only one writes.
type Watcher struct {
	// Config is the engine's configuration; its Source is replaced by Source.
	Config   *engine.Config
	Source   *Source
	Options  Options
	Election *Election

	synced atomic.Bool
	role   atomic.Value // string: "leader", "standby" or "" before the caches synced
}

// Run starts the informers, waits for them to sync, then runs the loop while this process
// leads (always, without Election), until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	cfg := *w.Config
	cfg.Source = w.Source
	log := w.Options.withDefaults().Logger
	w.Source.Start(ctx)
	log.Info("waiting for the informers to list every kind")
	if !w.Source.WaitForSync(ctx) {
		return nil
	}
	w.synced.Store(true)
	log.Info("informers synced")
	if w.Election == nil {
		w.role.Store("leader")
		w.Options.Metrics.setLeader(true)
		Loop(ctx, &cfg, w.Source.Changes(), w.Options)
		return nil
	}
	w.role.Store("standby")
	return w.Election.Run(ctx, func(ctx context.Context) {
		w.role.Store("leader")
		w.Options.Metrics.setLeader(true)
		defer w.Options.Metrics.setLeader(false)
		defer w.role.Store("standby")
		Loop(ctx, &cfg, w.Source.Changes(), w.Options)
	}, func(leader string) { log.Info("leader", "identity", leader, "me", leader == w.Election.Identity) })
}

// Role is "leader", "standby", or "" while the caches have not synced.
func (w *Watcher) Role() string {
	r, _ := w.role.Load().(string)
	return r
}

// Health serves /healthz (the process answers) and /readyz (the caches synced, and this
// watcher leads or stands by; a standby is ready, since it can take over at once).
func (w *Watcher) Health() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(rw http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(rw, "ok")
	})
	mux.HandleFunc("/readyz", func(rw http.ResponseWriter, _ *http.Request) {
		role := w.Role()
		if !w.synced.Load() || role == "" {
			http.Error(rw, "informers not synced", http.StatusServiceUnavailable)
			return
		}
		if failing := w.Source.Failing(); len(failing) > 0 {
			var names []string
			for n := range failing {
				names = append(names, n)
			}
			fmt.Fprintf(rw, "ok (%s); failing lists, deletes withheld: %s\n", role, strings.Join(names, ", "))
			return
		}
		fmt.Fprintf(rw, "ok (%s)\n", role)
	})
	return mux
}

// Election is leader election on a coordination.k8s.io Lease: of the watchers with the same
// Lease only the holder syncs.
//
// It is not the sync lock. RunOnce still takes the sync lock of its ownership tag each time
// it writes: the marker in Kong, and from a cluster the Lease named engine.LockName(tag),
// which a one-shot `sync` of the same tag takes too. The election's Lease has its own name
// (LeaderLeaseName), so the two never fight: the leader holds the election Lease for as long
// as it leads, and the sync lock only while it writes, which lets a one-shot sync run between
// two of the watcher's syncs instead of waiting for the watcher to stop.
type Election struct {
	Client          coordclient.LeasesGetter
	Namespace, Name string
	Identity        string
	LeaseDuration   time.Duration
	RenewDeadline   time.Duration
	RetryPeriod     time.Duration
}

// LeaderLeaseName is the election Lease's name for an ownership tag.
func LeaderLeaseName(ownershipTag string) string {
	return engine.LockName(ownershipTag) + "-leader"
}

// Identity names this watcher in the Lease: the pod (POD_NAME, set by the Deployment from
// the downward API), else host and process.
func Identity() string {
	if p := os.Getenv("POD_NAME"); p != "" {
		return p
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "unknown-host"
	}
	return fmt.Sprintf("%s_%d", h, os.Getpid())
}

// Run runs lead while this process holds the Lease, and stands by otherwise, until ctx ends;
// leadership lost is stood by for again. The Lease is released when ctx ends, so a standby
// takes over at once on a clean stop (after LeaseDuration when the leader died). lead's
// context ends when leadership is lost; Run waits for lead to return before it campaigns
// again, so one process never runs two loops.
func (e *Election) Run(ctx context.Context, lead func(context.Context), newLeader func(string)) error {
	lock := &resourcelock.LeaseLock{Client: e.Client,
		LeaseMeta:  metaOf(e.Namespace, e.Name),
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.Identity}}
	for ctx.Err() == nil {
		// lead runs here, not on the elector's goroutine, so that it has returned before the
		// next campaign starts.
		leading := make(chan context.Context, 1)
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   orDefault(e.LeaseDuration, 15*time.Second),
			RenewDeadline:   orDefault(e.RenewDeadline, 10*time.Second),
			RetryPeriod:     orDefault(e.RetryPeriod, 2*time.Second),
			ReleaseOnCancel: true,
			Name:            e.Name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) { leading <- ctx },
				OnStoppedLeading: func() {},
				OnNewLeader: func(id string) {
					if newLeader != nil {
						newLeader(id)
					}
				},
			},
		})
		if err != nil {
			return fmt.Errorf("leader election: %w", err)
		}
		ran := make(chan struct{})
		go func() {
			defer close(ran)
			le.Run(ctx)
		}()
		select {
		case lctx := <-leading:
			lead(lctx) // returns once the elector cancels lctx: leadership lost, or ctx ended
			<-ran
		case <-ran:
		}
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func metaOf(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name}
}
