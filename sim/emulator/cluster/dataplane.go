package cluster

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Kong's clustering timings (kong/constants.lua, clustering/data_plane.lua).
const (
	pingInterval = 30 * time.Second
	// pingWait is how long either side waits for a frame before it drops
	// the connection (1.5 × the ping interval).
	pingWait     = pingInterval * 3 / 2
	frameTimeout = 5 * time.Second
)

// DataPlaneOptions configure a data plane's link to its control plane.
type DataPlaneOptions struct {
	// ControlPlane is cluster_control_plane (host:port).
	ControlPlane string
	TLS          *tls.Config
	NodeID       string
	Hostname     string
	Version      string
	Plugins      []PluginInfo
	// ProcessConf is the node's configuration minus secrets, for basic_info.
	ProcessConf map[string]any
	Labels      map[string]string
	// Prefix is where the last configuration is kept across restarts.
	Prefix string
	// MaxPayload is cluster_max_payload.
	MaxPayload int64
	// Retry returns the wait before reconnecting; Kong waits 5–10 s.
	Retry func() time.Duration
	Log   *slog.Logger
}

// DataPlane is a hybrid data plane's side of the link: it receives the
// whole configuration from the control plane, applies it, keeps it on disk,
// and reports its hash in pings. A control plane that is down never stops
// it serving what it has.
type DataPlane struct {
	o       DataPlaneOptions
	applier Applier
	hash    atomic.Value // string
	// latest holds the newest unapplied configuration frame; older
	// unprocessed frames are dropped, as Kong keeps only the last one.
	latest chan []byte
}

// persistName is the file under the prefix holding the last configuration
// frame (Kong keeps it in dbless.lmdb).
const persistName = "dp_config.json.gz"

// NewDataPlane loads the configuration persisted under the prefix, if
// any, and applies it, so a restarted data plane serves at once.
func NewDataPlane(o DataPlaneOptions, a Applier) (*DataPlane, error) {
	if o.Retry == nil {
		o.Retry = func() time.Duration { return 5*time.Second + rand.N(5*time.Second) }
	}
	d := &DataPlane{o: o, applier: a, latest: make(chan []byte, 1)}
	d.hash.Store(EmptyHash)
	raw, err := os.ReadFile(d.persistPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
		return d, nil
	case err != nil:
		return nil, fmt.Errorf("read persisted configuration: %w", err)
	}
	if _, err := d.apply(raw, false); err != nil {
		// Serve nothing rather than refuse to start: the control plane
		// sends a configuration as soon as it is reachable.
		o.Log.Error("cannot load the persisted configuration; starting empty", "path", d.persistPath(), "error", err)
		return d, nil
	}
	o.Log.Info("found persisted configuration, loaded", "config_hash", d.Hash())
	return d, nil
}

func (d *DataPlane) persistPath() string { return filepath.Join(d.o.Prefix, persistName) }

// Hash is the hash of the configuration being served (EmptyHash for none).
func (d *DataPlane) Hash() string { return d.hash.Load().(string) }

// Run keeps a connection to the control plane until ctx ends, reconnecting
// after a random 5–10 s on any failure.
func (d *DataPlane) Run(ctx context.Context) error {
	for {
		err := d.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := d.o.Retry()
		d.o.Log.Warn("connection to control plane broken; reconnecting", "control_plane", d.o.ControlPlane,
			"error", err, "retry_in", wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// session runs one connection: basic_info, a ping, then configuration
// frames in and pings (carrying the hash) out.
func (d *DataPlane) session(ctx context.Context) error {
	dialer := websocket.Dialer{TLSClientConfig: d.o.TLS, HandshakeTimeout: frameTimeout,
		// One frame per message: Kong's websocket library treats a
		// fragmented frame as a fatal error.
		WriteBufferSize: 1 << 20}
	// Kong does not escape the query values; neither do we.
	url := "wss://" + d.o.ControlPlane + "/v1/outlet?node_id=" + d.o.NodeID + "&node_hostname=" + d.o.Hostname +
		"&node_version=" + d.o.Version
	conn, resp, err := dialer.DialContext(ctx, url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return fmt.Errorf("connect to control plane %s: %w", d.o.ControlPlane, err)
	}
	defer conn.Close()
	conn.SetReadLimit(d.o.MaxPayload)
	info, err := json.Marshal(basicInfo{Type: "basic_info", Plugins: d.o.Plugins, ProcessConf: d.o.ProcessConf,
		Filters: map[string]any{}, Labels: d.o.Labels})
	if err != nil {
		return fmt.Errorf("encode basic_info: %w", err)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(frameTimeout))
	if err := conn.WriteMessage(websocket.BinaryMessage, info); err != nil {
		return fmt.Errorf("send basic_info: %w", err)
	}
	d.o.Log.Info("connected to control plane", "control_plane", d.o.ControlPlane)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pingNow := make(chan struct{}, 1)
	pingNow <- struct{}{}
	errc := make(chan error, 3)
	go func() { errc <- d.pinger(ctx, conn, pingNow) }()
	go func() { errc <- d.applyLoop(ctx, pingNow) }()
	go func() { errc <- d.reader(conn) }()
	select {
	case <-ctx.Done():
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
			time.Now().Add(time.Second))
		return ctx.Err()
	case err := <-errc:
		return err
	}
}

// reader keeps the newest configuration frame; any frame (pongs
// included) proves the control plane alive.
func (d *DataPlane) reader(conn *websocket.Conn) error {
	alive := func(string) error { return conn.SetReadDeadline(time.Now().Add(pingWait)) }
	_ = alive("")
	conn.SetPongHandler(alive)
	for {
		typ, data, err := conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("read from control plane: %w", err)
		}
		_ = alive("")
		if typ != websocket.BinaryMessage {
			continue // Kong's data plane ignores text frames
		}
		select {
		case <-d.latest:
		default:
		}
		d.latest <- data
	}
}

func (d *DataPlane) pinger(ctx context.Context, conn *websocket.Conn, now <-chan struct{}) error {
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-now:
		}
		if err := conn.WriteControl(websocket.PingMessage, []byte(d.Hash()), time.Now().Add(frameTimeout)); err != nil {
			return fmt.Errorf("ping control plane: %w", err)
		}
	}
}

func (d *DataPlane) applyLoop(ctx context.Context, pingNow chan<- struct{}) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case frame := <-d.latest:
			if _, err := d.apply(frame, true); err != nil {
				// Kong logs and keeps the connection; the next push retries.
				d.o.Log.Error("cannot apply configuration from control plane", "error", err)
				continue
			}
			select {
			case pingNow <- struct{}{}:
			default:
			}
		}
	}
}

// apply decodes a configuration frame and applies it unless its hash is
// the one served; persist keeps the frame for a restart.
func (d *DataPlane) apply(frame []byte, persist bool) (bool, error) {
	m, err := decodePayload(frame, d.o.MaxPayload)
	if err != nil {
		return false, err
	}
	if m.Type != "reconfigure" {
		return false, nil
	}
	hash := m.ConfigHash
	if hash == "" {
		hash, _ = ConfigHash(m.ConfigTable)
	}
	if hash == d.Hash() {
		return false, nil
	}
	if err := d.applier.Apply(toEntities(m.ConfigTable)); err != nil {
		return false, fmt.Errorf("configuration %s: %w", hash, err)
	}
	d.hash.Store(hash)
	d.o.Log.Info("configuration applied", "config_hash", hash)
	if persist {
		if err := writeFileAtomic(d.persistPath(), frame); err != nil {
			d.o.Log.Error("cannot persist configuration; a restart without the control plane will start empty",
				"error", err)
		}
	}
	return true, nil
}

func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
