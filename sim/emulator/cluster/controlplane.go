package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// DataPlaneStore records data planes (store.Store).
type DataPlaneStore interface {
	Exporter
	UpsertDataPlane(ctx context.Context, dp store.DataPlane) error
}

// ControlPlaneOptions configure a control plane's cluster listener.
type ControlPlaneOptions struct {
	Version string
	// Plugins are the plugins this node loads, name → version.
	Plugins map[string]string
	// PurgeDelay is cluster_data_plane_purge_delay.
	PurgeDelay time.Duration
	// Coalesce is db_update_frequency: after a push, further changes wait
	// this long and go out as one push.
	Coalesce time.Duration
	// MaxPayload is cluster_max_payload.
	MaxPayload int64
	Log        *slog.Logger
}

// ControlPlane serves /v1/outlet: it sends every connected data plane the
// whole configuration on connect and after every change, and records each
// data plane's state in clustering_data_planes on every ping.
type ControlPlane struct {
	o     ControlPlaneOptions
	store DataPlaneStore
	wake  chan struct{}

	mu      sync.Mutex
	clients map[*dpConn]struct{}
	payload *payload // the last export, deflated once for every client
	exports atomic.Int64
}

type payload struct {
	seq        int64 // order of the exports, so an older one never replaces a newer
	frame      []byte
	hash       string
	configured []string // plugin names the export configures
}

// NewControlPlane builds a control plane on st.
func NewControlPlane(st DataPlaneStore, o ControlPlaneOptions) *ControlPlane {
	return &ControlPlane{o: o, store: st, wake: make(chan struct{}, 1), clients: map[*dpConn]struct{}{}}
}

// Changed signals a configuration change (a local write, or another
// control plane's seen through cluster_events); it never blocks, and
// signals that arrive together count once, as Kong caps its semaphore at 1.
func (c *ControlPlane) Changed() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run is the push loop (Kong's push_config_loop): on a change it exports,
// sends to every data plane, then waits Coalesce before the next push.
func (c *ControlPlane) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		}
		c.mu.Lock()
		n := len(c.clients)
		if n == 0 {
			c.payload = nil // the next data plane to connect exports afresh
		}
		c.mu.Unlock()
		if n == 0 {
			continue
		}
		start := time.Now()
		p, err := c.export(ctx)
		if err != nil {
			c.o.Log.Error("unable to export configuration for data planes", "error", err)
			continue
		}
		c.mu.Lock()
		for dp := range c.clients {
			dp.send(p)
		}
		c.mu.Unlock()
		c.o.Log.Debug("config pushed", "data_planes", n, "config_hash", p.hash, "took", time.Since(start))
		if !sleep(ctx, c.o.Coalesce) {
			return nil
		}
	}
}

func (c *ControlPlane) export(ctx context.Context) (*payload, error) {
	seq := c.exports.Add(1) // taken before reading: a later number is a later view
	x, err := c.store.Export(ctx)
	if err != nil {
		return nil, err
	}
	hash, hashes := ConfigHash(x.Config)
	frame, err := encodePayload(x, hash, hashes, time.Now())
	if err != nil {
		return nil, err
	}
	p := &payload{seq: seq, frame: frame, hash: hash, configured: configuredPlugins(x.Config)}
	c.mu.Lock()
	if c.payload == nil || c.payload.seq < seq {
		c.payload = p
	}
	c.mu.Unlock()
	return p, nil
}

var upgrader = websocket.Upgrader{HandshakeTimeout: frameTimeout, WriteBufferSize: 1 << 16,
	CheckOrigin: func(*http.Request) bool { return true }}

// ServeHTTP is the cluster listener's handler: only /v1/outlet exists.
func (c *ControlPlane) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/outlet" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	id, version := q.Get("node_id"), q.Get("node_version")
	if id == "" || version == "" {
		http.Error(w, "node_id and node_version are required", http.StatusBadRequest)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		c.o.Log.Error("data plane websocket upgrade failed", "node_id", id, "error", err)
		return
	}
	defer conn.Close()
	conn.SetReadLimit(c.o.MaxPayload)
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	dp := &dpConn{cp: c, conn: conn, row: store.DataPlane{ID: id, Hostname: q.Get("node_hostname"), IP: ip,
		Version: version, ConfigHash: EmptyHash, SyncStatus: SyncUnknown, TTL: c.o.PurgeDelay},
		wake: make(chan struct{}, 1), dirty: make(chan struct{}, 1)}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		dp.row.CertExpiry = r.TLS.PeerCertificates[0].NotAfter
	}
	if err := dp.serve(r.Context()); err != nil {
		c.o.Log.Warn("data plane disconnected", "node_id", id, "hostname", dp.row.Hostname, "error", err)
	}
}

// dpConn is one connected data plane.
type dpConn struct {
	cp   *ControlPlane
	conn *websocket.Conn
	// pending is the newest configuration not yet written; wake tells the
	// writer there is one.
	pending *payload
	sentSeq int64
	wake    chan struct{}
	// dirty asks the recorder to write the row; writes happen one at a
	// time so an older state never overwrites a newer one.
	dirty chan struct{}

	mu        sync.Mutex
	row       store.DataPlane
	dpPlugins map[string]string
}

func (dp *dpConn) serve(ctx context.Context) error {
	c := dp.cp
	_ = dp.conn.SetReadDeadline(time.Now().Add(frameTimeout))
	typ, data, err := dp.conn.ReadMessage()
	if err != nil {
		return fmt.Errorf("failed to receive websocket basic info frame: %w", err)
	}
	var info basicInfo
	switch {
	case typ != websocket.BinaryMessage:
		err = errors.New("basic info frame is not binary")
	case json.Unmarshal(data, &info) != nil:
		err = errors.New("failed to decode websocket basic info data")
	case info.Type != "basic_info":
		err = fmt.Errorf("invalid basic info data type: %s", info.Type)
	case info.Plugins == nil:
		err = errors.New("missing plugins in basic info data")
	}
	if err != nil {
		dp.close()
		return err
	}
	dp.row.Labels = info.Labels
	dp.dpPlugins = map[string]string{}
	for _, p := range info.Plugins {
		dp.dpPlugins[p.Name] = p.Version
	}
	if err := checkKongVersion(c.o.Version, dp.row.Version); err != nil {
		dp.close()
		dp.row.SyncStatus, dp.row.LastSeen = SyncKongVersionIncompatible, time.Now()
		dp.record(ctx)
		return err
	}
	c.o.Log.Info("data plane connected", "node_id", dp.row.ID, "hostname", dp.row.Hostname, "ip", dp.row.IP)

	c.mu.Lock()
	p := c.payload
	fresh := len(c.clients) == 0 || p == nil
	c.clients[dp] = struct{}{}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.clients, dp)
		c.mu.Unlock()
	}()
	if fresh {
		if p, err = c.export(ctx); err != nil {
			c.o.Log.Error("unable to send initial configuration to data plane", "node_id", dp.row.ID, "error", err)
		}
	}
	if p != nil {
		dp.send(p)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go dp.recorder(ctx)
	go func() { errc <- dp.writer(ctx) }()
	go func() { errc <- dp.reader(ctx) }()
	return <-errc
}

// send queues a configuration for the data plane unless its plugins make
// it incompatible, in which case sync_status says why and nothing is sent.
func (dp *dpConn) send(p *payload) {
	status, err := checkPlugins(dp.cp.o.Plugins, p.configured, dp.dpPlugins)
	dp.mu.Lock()
	// Kong writes a changed status at once, else with the next ping; a
	// data plane that has not pinged yet gets its row with its first ping.
	changed := dp.row.SyncStatus != status && !dp.row.LastSeen.IsZero()
	dp.row.SyncStatus = status
	dp.mu.Unlock()
	if changed {
		dp.markDirty()
	}
	if err != nil {
		dp.cp.o.Log.Error("configuration not sent to data plane", "node_id", dp.row.ID, "sync_status", status, "error", err)
		return
	}
	dp.mu.Lock()
	if p.seq > dp.sentSeq && (dp.pending == nil || p.seq > dp.pending.seq) {
		dp.pending = p
	}
	dp.mu.Unlock()
	select {
	case dp.wake <- struct{}{}:
	default:
	}
}

func (dp *dpConn) writer(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-dp.wake:
			dp.mu.Lock()
			p := dp.pending
			dp.pending = nil
			if p != nil {
				dp.sentSeq = p.seq
			}
			dp.mu.Unlock()
			if p == nil {
				continue
			}
			_ = dp.conn.SetWriteDeadline(time.Now().Add(2 * frameTimeout))
			if err := dp.conn.WriteMessage(websocket.BinaryMessage, p.frame); err != nil {
				return fmt.Errorf("send configuration: %w", err)
			}
		}
	}
}

// reader accepts pings only: each carries the data plane's config hash,
// is recorded, and answered with an empty pong.
func (dp *dpConn) reader(ctx context.Context) error {
	_ = dp.conn.SetReadDeadline(time.Now().Add(pingWait))
	dp.conn.SetPingHandler(func(hash string) error {
		if len(hash) != 32 {
			return fmt.Errorf("ping payload of %d bytes is not a config hash", len(hash))
		}
		_ = dp.conn.SetReadDeadline(time.Now().Add(pingWait))
		dp.mu.Lock()
		dp.row.ConfigHash, dp.row.LastSeen = hash, time.Now()
		dp.mu.Unlock()
		dp.markDirty()
		return dp.conn.WriteControl(websocket.PongMessage, nil, time.Now().Add(frameTimeout))
	})
	// Pings are handled inside ReadMessage; any data frame ends the link,
	// as Kong's control plane accepts nothing else from a v1 data plane.
	typ, _, err := dp.conn.ReadMessage()
	if err != nil {
		return err
	}
	return fmt.Errorf("unexpected frame of type %d from data plane", typ)
}

func (dp *dpConn) markDirty() {
	select {
	case dp.dirty <- struct{}{}:
	default:
	}
}

func (dp *dpConn) recorder(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-dp.dirty:
			dp.record(ctx)
		}
	}
}

func (dp *dpConn) record(ctx context.Context) {
	dp.mu.Lock()
	row := dp.row
	dp.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), frameTimeout)
	defer cancel()
	if err := dp.cp.store.UpsertDataPlane(ctx, row); err != nil {
		dp.cp.o.Log.Error("unable to update clustering data plane status", "node_id", row.ID, "error", err)
	}
}

func (dp *dpConn) close() {
	_ = dp.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
}
