package watch

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kongdb/kubectl-kongdb/pkg/engine"
)

// Metrics are the watcher's Prometheus metrics, on a registry of their own (no global state).
type Metrics struct {
	registry    *prometheus.Registry
	syncs       *prometheus.CounterVec
	duration    prometheus.Histogram
	writes      *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	owned       prometheus.Gauge
	leader      prometheus.Gauge
}

// NewMetrics registers the watcher's metrics, and the Go runtime's and process's.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kongdb_watch_syncs_total",
			Help: "Syncs run, by what triggered them (start, change, resync, retry) and their result (ok, partial, stopped, failed, translation-errors)."},
			[]string{"trigger", "result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kongdb_watch_sync_duration_seconds",
			Help: "How long one sync took, from the read of Kubernetes to the sync marker.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kongdb_watch_writes_total",
			Help: "Entity writes made, by entity kind and action (create, update, delete, failed)."}, []string{"kind", "action"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kongdb_watch_last_successful_sync_timestamp_seconds",
			Help: "When the last sync that left nothing failed ended, in Unix seconds."}),
		owned: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kongdb_watch_entities_owned",
			Help: "Entities carrying the ownership tag that Kong held at the last sync's read."}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kongdb_watch_leader",
			Help: "1 while this watcher leads (syncs), 0 while it stands by."}),
	}
	m.registry.MustRegister(m.syncs, m.duration, m.writes, m.lastSuccess, m.owned, m.leader,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// observe records one sync.
func (m *Metrics) observe(trigger Trigger, result string, res *engine.Result, took time.Duration) {
	if m == nil {
		return
	}
	m.syncs.WithLabelValues(string(trigger), result).Inc()
	m.duration.Observe(took.Seconds())
	if res == nil || res.Report == nil {
		return
	}
	for _, k := range res.Report.Kinds {
		for action, n := range map[string]int{"create": k.Created, "update": k.Updated, "delete": k.Deleted, "failed": k.Failed + k.Conflicts} {
			if n > 0 {
				m.writes.WithLabelValues(string(k.Kind), action).Add(float64(n))
			}
		}
	}
	m.owned.Set(float64(res.Report.Managed))
	if result == "ok" {
		m.lastSuccess.SetToCurrentTime()
	}
}

func (m *Metrics) setLeader(leading bool) {
	if m == nil {
		return
	}
	v := 0.0
	if leading {
		v = 1
	}
	m.leader.Set(v)
}
