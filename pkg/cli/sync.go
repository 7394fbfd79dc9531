package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/user"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"

	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/converge"
	"github.com/kongdb/kubectl-kongdb/pkg/discovery"
	"github.com/kongdb/kubectl-kongdb/pkg/engine"
	"github.com/kongdb/kubectl-kongdb/pkg/kubestatus"
	"github.com/kongdb/kubectl-kongdb/pkg/lock"
	"github.com/kongdb/kubectl-kongdb/pkg/report"
)

const syncLong = `Make a database-backed Kong (traditional or hybrid mode) serve what Kubernetes says.

Objects are read and translated exactly as translate does (the cluster, or manifests with -f/-k),
then compared with the entities Kong holds that carry the ownership tag; only the differences
are written, through one pool of --concurrency requests whose order follows Kong's foreign
keys. A sync with nothing to do writes nothing. Drift made in Kong (edits, deletes, restores)
is repaired on every run.

Finding Kong: --kong-admin-url, or --kong-admin-service NAMESPACE/NAME, whose EndpointSlices'
ready endpoints are the nodes (ports named as KIC's defaults), reached directly or, when they
are not routable from here, through the API server's pod proxy with the kubeconfig's
credentials (--kong-access); the path taken is printed.

Safety: only entities carrying --ownership-tag are ever updated or deleted; an entity we do
not own that holds one of our names is reported as a conflict and left alone. Deletes are
limited to the namespace read (all with -A; with -f, the one -n names) and, with -l, to
objects that are gone or match the selector (an object outside it, or a Service or Secret read
whole, keeps its entities); manifests delete only with --prune; nothing is deleted when some
Kubernetes list or discovery failed; an object that fails translation keeps what Kong has from
it; a sync that would delete more than --max-delete of the owned entities in its scope stops
before writing unless --force. One rejected entity fails only itself and what depends on it. Two syncs never write at once: a marker consumer in Kong,
which every writing sync takes whatever its source, cluster or --lock-namespace, keeps the
second out for --lock-timeout (a sync from a cluster takes a coordination.k8s.io Lease in
--lock-namespace first, too). Kong is read before the marker is taken, and read again under it
only when another sync took it since (an epoch consumer left in Kong tells). A sync that loses
its lock stops writing and says so.

A sync that writes ends with the sync marker: a route at /.kongdb/sync-marker/<ownership-tag>
for the host kongdb-sync-marker.invalid, which every node answers with the record of that sync
(generation, time, source, result).
With --wait the sync then waits until every node serves that generation (a sync with nothing
to write waits for the current one): each --kong-proxy-url answers it, and in hybrid mode
every data plane the control plane lists at /clustering/data-planes is in sync on the new
configuration and was seen after the write. Each node's time is printed and stored in the
record; a timeout names the nodes that lag and exits 1.

Exit codes: 0 done, 1 error (nothing or not everything could be tried, such as Kong losing
its database mid-sync: the report says which writes were made), 2 partial: some
entities failed, conflicted or were skipped, or some Kubernetes object failed translation and
Kong kept what it had from it (the report names each with its Kubernetes object).

Watch mode (--watch, live cluster only; sync --watch -A runs until Ctrl-C): informers on
every kind sync reads, scoped by -n/-A and -l as a one-shot sync, trigger the same sync on
every change, after --debounce of quiet
(at most 2s after the first change, so a steady stream still syncs), every --resync-period
(drift made in Kong by hand is put back), and again with backoff after a failed or partial
sync. Every sync reads Kong in full and writes only the differences; nothing is deleted
before every informer has listed its kind, nor while any list or watch is failing. Each sync
logs one line on stderr (--log-format text or json). With --leader-elect (the default) only
the holder of the Lease <lock-name>-leader in --lock-namespace syncs; other watchers of the
same --ownership-tag stand by and take over when it stops (at once when it is interrupted,
within 15s when it dies). The sync lock is taken as by any sync, so a one-shot sync can still
run between two of the watcher's. --health-probe-bind-address serves /healthz and /readyz
(ready once the informers synced, leader or standby), --metrics-bind-address Prometheus
metrics (syncs by trigger and result, sync durations, writes by kind, entities owned, last
successful sync, leadership). SIGINT or SIGTERM stops it, exit 0.
--wait, --dry-run, -o and -f/-k are refused with --watch.`

const syncExample = `  # Sync manifests, deleting owned entities they no longer hold
  %[1]s sync -f ./manifests -R --prune

  # Sync the current namespace into the Kong of $KONG_ADMIN_URL (eval "$(%[1]s sim env)" sets it)
  %[1]s sync

  # Sync every namespace, then wait until every node's proxy serves the sync
  %[1]s sync -A --kong-admin-url "$KONG_ADMIN_URL" --kong-proxy-url "$KONG_PROXY_URL" --wait=2m

  # Show what would change, as JSON
  %[1]s sync --dry-run -o json`

// defaultWait is --wait's timeout when the flag is given without one.
const defaultWait = 2 * time.Minute

// SyncOptions holds the flags of sync.
type SyncOptions struct {
	Source      SourceFlags
	Kong        KongFlags
	Concurrency int
	DryRun      bool
	Prune       bool
	MaxDelete   string
	Force       bool
	// Preflight is --preflight: off, warn or block (engine.PreflightMode).
	Preflight string
	Output    string
	// LockTimeout is how long to wait for another sync's lock; LockNamespace holds the Lease.
	LockTimeout   time.Duration
	LockNamespace string
	// RecordEvents writes Kubernetes Events on the objects that failed, with KIC's reasons.
	RecordEvents bool
	// Status writes what the sync did into the objects' status (--update-status);
	// statusWriter is its writer once built.
	Status       StatusFlags
	statusWriter *kubestatus.Writer
	// Wait is how long --wait waits for every node to serve the sync marker (0: no wait);
	// ProxyURLs are the nodes' proxies it polls.
	Wait      time.Duration
	ProxyURLs []string
	// Watch keeps syncing until interrupted (sync --watch).
	Watch WatchFlags
	// transport wraps the Admin API transport; tests count writes with it.
	transport func(http.RoundTripper) http.RoundTripper

	factory Factory
	genericiooptions.IOStreams
}

// NewSyncOptions returns SyncOptions with the defaults.
func NewSyncOptions(streams genericiooptions.IOStreams) *SyncOptions {
	return &SyncOptions{Concurrency: apply.DefaultConcurrency, MaxDelete: "30%", LockTimeout: 30 * time.Second,
		LockNamespace: "default", IOStreams: streams}
}

// NewCmdSync builds sync. runF replaces the run function in tests of flag parsing.
func NewCmdSync(f Factory, streams genericiooptions.IOStreams, runF func(*SyncOptions) error) *cobra.Command {
	o := NewSyncOptions(streams)
	cmd := &cobra.Command{
		Use:     "sync [-f FILENAME | -k DIR]",
		Short:   "Make Kong serve what Kubernetes says, writing only the differences",
		Long:    syncLong,
		Example: fmt.Sprintf(syncExample, f.CommandName()),
		Args:    cobra.NoArgs,
		RunE:    runOptions(f, o, runF),
	}
	fl := cmd.Flags()
	o.Source.AddFlags(fl)
	o.Kong.AddFlags(fl)
	fl.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "Admin API requests in flight at once.")
	fl.BoolVar(&o.DryRun, "dry-run", false, "If true, print what would change and write nothing.")
	fl.BoolVar(&o.Prune, "prune", false, "If true, with -f/-k delete owned entities the manifests no longer hold.")
	fl.StringVar(&o.MaxDelete, "max-delete", o.MaxDelete, "Most deletes one sync may make, as a share (30%) or a count (50) of the owned entities in its scope (namespace, selector); more stops the sync before it writes.")
	fl.StringVar(&o.Preflight, "preflight", string(engine.DefaultPreflight), "Before writing, check every entity to create or change (targets excepted) with Kong's /schemas/.../validate "+
		"and look up credentials another consumer holds, as validate does: off (Kong judges each write), warn (what is at fault is not sent, the rest is written) "+
		"or block (nothing is written when a problem is on an entity others depend on, such as a service or a consumer; otherwise as warn).")
	fl.BoolVar(&o.Force, "force", false, "If true, go on even when the sync would delete more than --max-delete.")
	fl.StringVarP(&o.Output, "output", "o", "", "Output format of the report. One of: (table, json, yaml).")
	fl.BoolVar(&o.RecordEvents, "record-events", false, "If true, write Warning Events on objects that could not be translated or applied (KIC's KongConfigurationTranslationFailed, KongConfigurationApplyFailed).")
	o.Status.AddFlags(fl, false)
	fl.DurationVar(&o.LockTimeout, "lock-timeout", o.LockTimeout, "How long to wait while another sync holds the lock on this Kong.")
	fl.StringVar(&o.LockNamespace, "lock-namespace", o.LockNamespace, "Namespace of the coordination.k8s.io Lease that keeps two syncs from one cluster apart.")
	fl.DurationVar(&o.Wait, "wait", 0, "After the sync, wait up to this long until every node serves it (the sync marker's generation): "+
		"each --kong-proxy-url, and in hybrid mode every data plane the control plane lists. --wait alone waits "+defaultWait.String()+".")
	fl.Lookup("wait").NoOptDefVal = defaultWait.String()
	o.Watch.AddFlags(fl)
	fl.StringArrayVar(&o.ProxyURLs, "kong-proxy-url", nil, "Proxy URL of a Kong node (traditional node or hybrid data plane) that --wait polls; repeat for every node.")
	return cmd
}

// Complete reads the namespace and the environment.
func (o *SyncOptions) Complete(f Factory) error {
	o.factory = f
	o.Kong.Complete()
	return o.Source.Complete(f)
}

// Validate checks the flags.
func (o *SyncOptions) Validate(cmd *cobra.Command) error {
	if err := validatePlanFlags(cmd, &o.Source, &o.Kong, o.Prune, o.Output, "table", "json", "yaml"); err != nil {
		return err
	}
	switch {
	case o.Concurrency < 1 || o.Concurrency > apply.MaxConcurrency:
		return usageErrorf(cmd, "--concurrency must be between 1 and %d, got %d", apply.MaxConcurrency, o.Concurrency)
	case o.Wait < 0:
		return usageErrorf(cmd, "--wait must not be negative")
	case o.Wait > 0 && o.DryRun:
		return usageErrorf(cmd, "--wait waits for a sync to reach every node; a --dry-run writes nothing to wait for")
	case o.RecordEvents && o.Source.fromManifests():
		return usageErrorf(cmd, "--record-events writes Events into the cluster the objects come from; it cannot be used with -f/-k")
	}
	if _, err := engine.ParseMaxDelete(o.MaxDelete, 0); err != nil {
		return usageErrorf(cmd, "--max-delete: %v", err)
	}
	if _, err := engine.ParsePreflight(o.Preflight); err != nil {
		return usageErrorf(cmd, "--preflight: %v", err)
	}
	if err := o.Status.Validate(cmd, &o.Source, o.DryRun); err != nil {
		return err
	}
	return o.validateWatch(cmd)
}

// Run syncs once through the engine and prints what it did: notes and diagnostics, the
// report, and with --wait each node's convergence.
func (o *SyncOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Watch.Watch {
		return o.runWatch(ctx)
	}
	warnInsecure(o.ErrOut, &o.Kong)
	cfg, err := o.engineConfig()
	if err != nil {
		return err
	}
	res, err := engine.RunOnce(ctx, cfg)
	var budget *engine.BudgetError
	switch {
	case errors.As(err, &budget):
		return fmt.Errorf("%w; check the source, or raise --max-delete=%s or pass --force", err, o.MaxDelete)
	case errors.Is(err, engine.ErrNoProxies):
		return errors.New("--wait polls every node's proxy for the sync marker: give each traditional node's proxy with --kong-proxy-url or --kong-proxy-service")
	case err != nil:
		return err
	}
	printObservation(o.ErrOut, res.Observation)
	if o.RecordEvents && !o.DryRun {
		var results []apply.Result
		if res.Outcome != nil {
			results = res.Outcome.Results
		}
		if err := o.recordEvents(ctx, res.Observation, results); err != nil {
			fmt.Fprintln(o.ErrOut, "warning: record events:", err)
		}
	}
	if !o.DryRun {
		o.writeStatus(ctx, res)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(o.ErrOut, "warning:", w)
	}
	if err := res.Report.Write(o.Out, o.Output); err != nil {
		return err
	}
	if res.Stopped != nil {
		return fmt.Errorf("the sync stopped part-way: %w; run it again once the database is back", res.Stopped)
	}
	if o.Wait > 0 && !o.DryRun {
		warning, err := res.Wait(ctx, func(n converge.Node) {
			if n.Converged {
				fmt.Fprintf(o.ErrOut, "converged: %s (%s) serves generation %d after %.2fs\n", n.Node, n.Via, res.Record.Generation, n.Seconds)
			} else {
				fmt.Fprintf(o.ErrOut, "lagging: %s (%s): %s\n", n.Node, n.Via, n.Detail)
			}
		})
		if warning != nil {
			fmt.Fprintln(o.ErrOut, "warning:", warning)
		}
		if err != nil {
			if res.Record == nil {
				return fmt.Errorf("--wait: %w", err)
			}
			return fmt.Errorf("--wait=%s: %w", o.Wait, err)
		}
	}
	// An object that failed translation makes the sync partial too: what Kong had from it was
	// kept (the report's "kept" lines), and what it should have become was not written.
	if res.Report.Failed() || res.Diagnostics.HasErrors() {
		return ErrPartial
	}
	return nil
}

// engineConfig is the engine's configuration for sync's flags.
func (o *SyncOptions) engineConfig() (*engine.Config, error) {
	cfg, err := engineConfig(o.factory, &o.Source, &o.Kong, o.Prune, o.In, o.transport)
	if err != nil {
		return nil, err
	}
	cfg.Budget = engine.Budget{Max: o.MaxDelete, Force: o.Force}
	cfg.Concurrency, cfg.DryRun = o.Concurrency, o.DryRun
	cfg.Preflight = engine.PreflightMode(o.Preflight)
	cfg.LockTimeout = o.LockTimeout
	if !o.DryRun && !o.Source.fromManifests() {
		if cfg.Lease, err = o.lease(); err != nil {
			return nil, err
		}
	}
	cfg.Wait, cfg.Proxies = o.Wait, o.ProxyURLs
	if o.Wait > 0 && o.Kong.ProxyService != "" {
		if cfg.ProxyNodes, err = o.Kong.discover(o.factory, "--kong-proxy-service", o.Kong.ProxyService, discovery.ProxyPortNames); err != nil {
			return nil, err
		}
	}
	cfg.SyncedBy = syncedBy()
	cfg.Note = func(s string) { fmt.Fprintln(o.ErrOut, "note:", s) }
	cfg.Progress = o.progress
	return cfg, nil
}

// lease is the sync lock when a cluster is the source: a Lease in it.
func (o *SyncOptions) lease() (lock.Locker, error) {
	cfg, err := o.factory.RESTClientGetter().ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("sync lock: kubeconfig: %w", err)
	}
	c, err := coordclient.NewForConfig(leaseConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("sync lock: %w", err)
	}
	return &lock.Lease{Client: c, Namespace: o.LockNamespace, Name: engine.LockName(o.Kong.OwnershipTag)}, nil
}

// leaseCallTimeout bounds each Lease request: a renewal stuck on a hung API server must fail
// (and so stop the sync's writes) instead of waiting for ever while the lease runs out.
const leaseCallTimeout = 15 * time.Second

// leaseConfig is cfg with every request bounded by leaseCallTimeout, unless the kubeconfig
// (--request-timeout) sets a bound already; cfg itself is not changed.
func leaseConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	if c.Timeout <= 0 {
		c.Timeout = leaseCallTimeout
	}
	return c
}

// syncedBy names who syncs, for the record: the user, the host and this tool's version. It is
// what the machine says of itself; no credential is part of it.
func syncedBy() string {
	who := "unknown user"
	if u, err := user.Current(); err == nil && u.Username != "" {
		who = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		who += "@" + h
	}
	return who + " (kongdb " + CurrentVersion().Version + ")"
}

func (o *SyncOptions) recordEvents(ctx context.Context, ob *engine.Observation, results []apply.Result) error {
	cfg, err := o.factory.RESTClientGetter().ToRESTConfig()
	if err != nil {
		return err
	}
	c, err := coreclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return report.RecordEvents(ctx, c, ob.Diagnostics, results)
}

// progress returns a callback that draws a progress bar on a terminal, or nil.
func (o *SyncOptions) progress(n int) func(apply.Result) {
	if n == 0 || !isTerminal(o.ErrOut) {
		return nil
	}
	bar := progressbar.NewOptions(n, progressbar.OptionSetWriter(o.ErrOut), progressbar.OptionSetDescription("syncing"),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*1e6))
	return func(apply.Result) { _ = bar.Add(1) }
}
