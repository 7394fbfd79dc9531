package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/rest"

	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/engine"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/watch"
)

// WatchFlags are sync's flags for --watch.
type WatchFlags struct {
	Watch        bool
	Debounce     time.Duration
	ResyncPeriod time.Duration
	LeaderElect  bool
	// HealthAddr serves /healthz and /readyz ("" or "0": none).
	HealthAddr string
	// MetricsAddr serves Prometheus metrics at /metrics ("" or "0": none).
	MetricsAddr string
	LogFormat   string
}

// AddFlags registers the watch flags on fs.
func (w *WatchFlags) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&w.Watch, "watch", false, "If true, keep syncing until interrupted: informers on every kind sync reads trigger a sync "+
		"on each change (debounced), every --resync-period, and again with backoff after a failed sync. Live cluster only.")
	fs.DurationVar(&w.Debounce, "debounce", watch.DefaultDebounce, "With --watch, how long a burst of changes may go quiet before they are synced together "+
		"(a steady stream still syncs every "+watch.DefaultMaxDelay.String()+").")
	fs.DurationVar(&w.ResyncPeriod, "resync-period", watch.DefaultResync, "With --watch, how often to sync without any change in Kubernetes, repairing drift made in Kong.")
	fs.BoolVar(&w.LeaderElect, "leader-elect", true, "If true, with --watch only the holder of a coordination.k8s.io Lease in --lock-namespace syncs; "+
		"other watchers of the same --ownership-tag stand by and take over when it stops.")
	fs.StringVar(&w.HealthAddr, "health-probe-bind-address", "", "With --watch, the address serving /healthz and /readyz (for example :8081); empty for none.")
	fs.StringVar(&w.MetricsAddr, "metrics-bind-address", "", "With --watch, the address serving Prometheus metrics at /metrics (for example :8080); empty for none.")
	fs.StringVar(&w.LogFormat, "log-format", "text", "With --watch, the format of the log on stderr. One of: (text, json).")
}

// validateWatch checks the flags that --watch changes the meaning of.
func (o *SyncOptions) validateWatch(cmd *cobra.Command) error {
	w := &o.Watch
	if !w.Watch {
		for _, name := range []string{"debounce", "resync-period", "leader-elect", "health-probe-bind-address", "metrics-bind-address", "log-format"} {
			if cmd.Flags().Changed(name) {
				return usageErrorf(cmd, "--%s only applies with --watch", name)
			}
		}
		return nil
	}
	// A watch writes status unless told not to: that is what keeps Gateways, routes and
	// Ingresses telling the truth between changes (a one-shot sync leaves it off).
	if !cmd.Flags().Changed("update-status") {
		o.Status.UpdateStatus = true
	}
	switch {
	case o.Source.fromManifests():
		return usageErrorf(cmd, "--watch follows a live cluster through informers; manifests (-f/-k) have no changes to watch: sync them without --watch")
	case o.Wait > 0:
		return usageErrorf(cmd, "--wait waits once for one sync to reach every node; a watch syncs until interrupted, so --wait is refused with --watch")
	case o.DryRun:
		return usageErrorf(cmd, "--dry-run writes nothing; a watch exists to write: use diff, or sync --dry-run without --watch")
	case o.Output != "":
		return usageErrorf(cmd, "--watch logs one line per sync on stderr instead of a report; -o is refused with it")
	case w.Debounce <= 0:
		return usageErrorf(cmd, "--debounce must be positive, got %s", w.Debounce)
	case w.ResyncPeriod < time.Second:
		return usageErrorf(cmd, "--resync-period must be at least 1s, got %s", w.ResyncPeriod)
	case w.LogFormat != "text" && w.LogFormat != "json":
		return usageErrorf(cmd, "--log-format must be text or json, got %q", w.LogFormat)
	}
	return nil
}

// runWatch is sync --watch: the engine's configuration as a one-shot sync builds it, with an
// informer Source in place of the cluster read, run by a watch.Watcher until ctx ends.
func (o *SyncOptions) runWatch(ctx context.Context) error {
	var handler slog.Handler = slog.NewTextHandler(o.ErrOut, nil)
	if o.Watch.LogFormat == "json" {
		handler = slog.NewJSONHandler(o.ErrOut, nil)
	}
	log := slog.New(handler)
	warnInsecure(o.ErrOut, &o.Kong)
	cfg, err := o.engineConfig()
	if err != nil {
		return err
	}
	cfg.Progress = nil
	cfg.Note = func(s string) { log.Info("note", "note", s) }
	cluster, ok := cfg.Source.(*source.Cluster)
	if !ok {
		return errors.New("--watch needs a live cluster as its source")
	}
	src, err := o.watchSource(cluster)
	if err != nil {
		return err
	}
	w := &watch.Watcher{Config: cfg, Source: src, Options: watch.Options{
		Debounce: o.Watch.Debounce, Resync: o.Watch.ResyncPeriod, Logger: log,
		AfterSync: func(ctx context.Context, res *engine.Result) {
			// Only the leader syncs, so only the leader writes status; the writer writes nothing
			// when nothing changed, so a resync does not touch the objects.
			if n, err := o.updateStatus(ctx, res); err != nil {
				log.Warn("update status", "err", err.Error())
			} else if n > 0 {
				log.Info("status written", "objects", n)
			}
			if !o.RecordEvents {
				return
			}
			var results []apply.Result
			if res.Outcome != nil {
				results = res.Outcome.Results
			}
			if err := o.recordEvents(ctx, res.Observation, results); err != nil {
				log.Warn("record events", "err", err.Error())
			}
		},
	}}
	if o.Watch.LeaderElect {
		if w.Election, err = o.election(); err != nil {
			return err
		}
		log.Info("leader election", "lease", w.Election.Namespace+"/"+w.Election.Name, "identity", w.Election.Identity)
	}
	stop, err := serve("--health-probe-bind-address", o.Watch.HealthAddr, w.Health(), log)
	if err != nil {
		return err
	}
	defer stop()
	if o.Watch.MetricsAddr != "" && o.Watch.MetricsAddr != "0" {
		w.Options.Metrics = watch.NewMetrics()
		mux := http.NewServeMux()
		mux.Handle("/metrics", w.Options.Metrics.Handler())
		stop, err := serve("--metrics-bind-address", o.Watch.MetricsAddr, mux, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("watching", "source", src.Describe(), "ownershipTag", o.Kong.OwnershipTag,
		"debounce", o.Watch.Debounce.String(), "resyncPeriod", o.Watch.ResyncPeriod.String())
	err = w.Run(ctx)
	log.Info("stopped")
	return err
}

// serve serves h on addr until stop is called; "" or "0" serves nothing.
func serve(flag, addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	if addr == "" || addr == "0" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("serving", "flag", flag, "address", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}

// watchSource is the informer Source for the cluster the flags name, with the same scope and
// pre-filtering as the one-shot read.
func (o *SyncOptions) watchSource(c *source.Cluster) (*watch.Source, error) {
	getter := o.factory.RESTClientGetter()
	rc, err := getter.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("watch: kubeconfig: %w", err)
	}
	// The informers list some twenty-five kinds at start and after every API server restart:
	// kubectl's 5 requests per second would hold the first sync back by seconds. The
	// deprecation warnings of old served versions would repeat at every relist.
	rc = rest.CopyConfig(rc)
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 50, 100
	}
	rc.WarningHandler = rest.NoWarnings{}
	client, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("watch: client: %w", err)
	}
	mapper, err := getter.ToRESTMapper()
	if err != nil {
		return nil, fmt.Errorf("watch: discovery: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("watch: discovery: %w", err)
	}
	return watch.NewSource(client, mapper, disc, c.Input, c.Options)
}

// election is the watchers' leader election for this ownership tag.
func (o *SyncOptions) election() (*watch.Election, error) {
	cfg, err := o.factory.RESTClientGetter().ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("leader election: kubeconfig: %w", err)
	}
	c, err := coordclient.NewForConfig(leaseConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("leader election: %w", err)
	}
	return &watch.Election{Client: c, Namespace: o.LockNamespace, Name: watch.LeaderLeaseName(o.Kong.OwnershipTag),
		Identity: watch.Identity()}, nil
}
