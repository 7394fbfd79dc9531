// Package emulator is a Kong 3.9.3-compatible node on PostgreSQL: it wires
// configuration, storage, the Admin and Status APIs, the cluster part
// (traditional polling, hybrid control plane or data plane) and the
// configuration snapshot a node serves, and runs Kong's commands (start,
// health, version, migrations).
package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/admin"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/cluster"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/proxy"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// Version is the Kong version the emulator reports.
const Version = admin.Version

// StoreOptions derives the store's settings from Kong's configuration.
func StoreOptions(c *config.Config, nodeID string) store.Options {
	return store.Options{
		Host: c.PG.Host, Port: c.PG.Port, User: c.PG.User, Password: c.PG.Password, Database: c.PG.Database,
		Schema: c.PG.Schema,
		SSL:    c.PG.SSL, SSLVerify: c.PG.SSLVerify, Timeout: time.Duration(c.PG.TimeoutMS) * time.Millisecond,
		PoolSize: c.PG.PoolSize, NodeID: nodeID, DBUpdatePropagation: c.DBUpdatePropagation,
		ControlPlane: c.Role == config.RoleControlPlane,
	}
}

// Logger builds the slog logger for KONG_LOG_LEVEL.
func Logger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "info", "notice":
		l = slog.LevelInfo
	case "warn":
		l = slog.LevelWarn
	default:
		l = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// Service is a part of a node that runs until the node stops: the
// cluster_events poller and rebuild, the hybrid links and the listeners.
type Service interface {
	Run(ctx context.Context) error
}

// Node is one running emulator node.
type Node struct {
	Config *config.Config
	// Store and Admin are nil on a data plane, which has no database.
	Store  *store.Store
	Admin  *admin.Server
	NodeID string
	// Proxy serves the node's current snapshot (nil on a control plane).
	Proxy *proxy.Server
	// Services run alongside the listeners; a failing one stops the node.
	Services []Service
	log      *slog.Logger

	// hash reports the config hash served, ready whether the node serves.
	hash  func() string
	ready func() (bool, string)
	// servers are the node's listeners with what each serves.
	servers []served
}

type served struct {
	ln      net.Listener
	handler http.Handler
	kind    string
}

// NewNode builds the node's parts for its role: a traditional node and a
// control plane connect to PostgreSQL; a data plane loads the configuration
// it persisted. Listen then opens the listeners and Run serves.
func NewNode(ctx context.Context, c *config.Config, log *slog.Logger) (*Node, error) {
	nodeID := c.NodeID
	if nodeID == "" && c.Role == config.RoleDataPlane {
		var err error
		if nodeID, err = persistentNodeID(c.Prefix); err != nil {
			log.Warn("node id not persisted; this data plane will appear as a new one after a restart", "error", err)
		}
	}
	if nodeID == "" {
		nodeID = uuid.NewString()
	}
	host, _ := os.Hostname()
	n := &Node{Config: c, NodeID: nodeID, log: log}
	var applier cluster.Applier
	if c.Role != config.RoleControlPlane {
		opts, err := proxyOptions(c)
		if err != nil {
			return nil, err
		}
		n.Proxy = proxy.NewServer(log, opts)
		applier = cluster.ProxyApplier{Server: n.Proxy, Options: opts}
	}
	if c.Role == config.RoleDataPlane {
		return n, n.dataPlane(host, applier)
	}
	st, err := store.Open(ctx, StoreOptions(c, nodeID))
	if err != nil {
		return nil, err
	}
	n.Store = st
	n.Admin = admin.New(st, c, nodeID, host, log)
	poller := &cluster.Poller{Source: st, NodeID: nodeID, Log: log,
		Frequency: seconds(c.DBUpdateFrequency), Propagation: seconds(c.DBUpdatePropagation)}
	if c.Role == config.RoleControlPlane {
		return n, n.controlPlane(poller)
	}
	trad := cluster.NewTraditional(st, poller, applier, log)
	n.ready = func() (bool, string) {
		if trad.Applied() == 0 {
			return false, "router builds not yet complete"
		}
		return true, ""
	}
	n.Admin.Cluster = admin.Cluster{Changed: trad.Changed, Ready: n.ready}
	n.Services = append(n.Services, trad)
	return n, nil
}

func (n *Node) controlPlane(poller *cluster.Poller) error {
	c := n.Config
	certs, err := cluster.LoadTLS(c)
	if err != nil {
		n.Store.Close()
		return err
	}
	cp := cluster.NewControlPlane(n.Store, cluster.ControlPlaneOptions{Version: Version, Plugins: pluginVersions(),
		PurgeDelay: seconds(c.ClusterPurgeDelay), Coalesce: seconds(c.DBUpdateFrequency),
		MaxPayload: c.ClusterMaxPayload, Log: n.log})
	poller.OnEvents = cp.Changed
	n.Admin.Cluster = admin.Cluster{Changed: cp.Changed}
	n.Services = append(n.Services, cp, pollerService{poller})
	for _, l := range c.ClusterListen {
		ln, err := net.Listen("tcp", l.Addr())
		if err != nil {
			n.Close()
			return fmt.Errorf("cluster_listen %s: %w", l.Listener, err)
		}
		n.servers = append(n.servers, served{tls.NewListener(ln, certs.ServerConfig(n.log)), cp, "cluster"})
	}
	return nil
}

func (n *Node) dataPlane(host string, applier cluster.Applier) error {
	c := n.Config
	certs, err := cluster.LoadTLS(c)
	if err != nil {
		return err
	}
	dp, err := cluster.NewDataPlane(cluster.DataPlaneOptions{ControlPlane: c.ClusterControlPlane,
		TLS: certs.ClientConfig(n.log, c.ClusterControlPlane), NodeID: n.NodeID, Hostname: host, Version: Version,
		Plugins: pluginList(), ProcessConf: c.Sanitized(), Labels: c.ClusterDPLabels, Prefix: c.Prefix,
		MaxPayload: c.ClusterMaxPayload, Log: n.log}, applier)
	if err != nil {
		return err
	}
	n.hash = dp.Hash
	n.ready = func() (bool, string) {
		if dp.Hash() == cluster.EmptyHash {
			return false, "no configuration available (empty configuration present)"
		}
		return true, ""
	}
	n.Services = append(n.Services, dp)
	return nil
}

// persistentNodeID reads a data plane's id from <prefix>/kong.id, creating
// it when absent or invalid, as Kong does (kong/pdk/private/node.lua), so a
// restarted data plane keeps its clustering_data_planes row.
func persistentNodeID(prefix string) (string, error) {
	path := filepath.Join(prefix, "kong.id")
	if raw, err := os.ReadFile(path); err == nil {
		if id, err := uuid.Parse(strings.TrimSpace(string(raw))); err == nil {
			return id.String(), nil
		}
	}
	id := uuid.NewString()
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		return id, err
	}
	return id, os.WriteFile(path, []byte(id), 0o644)
}

// pollerService runs a poller as a node service.
type pollerService struct{ p *cluster.Poller }

func (s pollerService) Run(ctx context.Context) error { return s.p.Run(ctx) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Listen opens the node's listeners for its role: Admin API (plain and
// TLS, not on a data plane), proxy (not on a control plane), Status API,
// and a control plane's cluster listener (opened by NewNode). It returns
// the admin addresses.
func (n *Node) Listen() ([]string, error) {
	var addrs []string
	if n.Proxy != nil {
		if err := n.listenProxy(); err != nil {
			return nil, err
		}
	}
	if n.Admin != nil {
		for _, l := range n.Config.AdminListen {
			ln, err := n.listen("admin_listen", l, "admin_ssl_cert", "admin_ssl_cert_key")
			if err != nil {
				return nil, err
			}
			n.servers = append(n.servers, served{ln, n.Admin, "admin"})
			addrs = append(addrs, ln.Addr().String())
		}
		if len(addrs) == 0 {
			n.Close()
			return nil, errors.New("admin_listen is off: nothing to serve")
		}
	}
	status := n.Admin
	if status == nil {
		status = admin.NewStatus(n.Config, n.NodeID, "", admin.Cluster{}, n.log)
	}
	status.Cluster.ConfigHash = nil
	if n.Config.Role == config.RoleDataPlane {
		status.Cluster.ConfigHash = n.hash
	}
	status.Cluster.Ready = n.ready
	if n.Proxy != nil {
		status.Cluster.ProxyStats = func() any { return n.Proxy.Stats() }
	}
	for _, l := range n.Config.StatusListen {
		if l.SSL {
			continue
		}
		ln, err := n.listen("status_listen", l, "", "")
		if err != nil {
			return nil, err
		}
		n.servers = append(n.servers, served{ln, status.StatusHandler(), "status"})
	}
	return addrs, nil
}

// listen opens one listener, with TLS when the entry says ssl.
func (n *Node) listen(setting string, l config.Listener, certKey, keyKey string) (net.Listener, error) {
	ln, err := net.Listen("tcp", l.Addr())
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("%s %s: %w", setting, l.Listener, err)
	}
	if !l.SSL {
		return ln, nil
	}
	certs, _ := n.Config.Values[certKey].([]string)
	keys, _ := n.Config.Values[keyKey].([]string)
	cert, err := listenerCert(certKey, keyKey, certs, keys)
	if err != nil {
		_ = ln.Close()
		n.Close()
		return nil, fmt.Errorf("%s %s: %w", setting, l.Listener, err)
	}
	protos := []string{"http/1.1"}
	if l.HTTP2 {
		protos = []string{"h2", "http/1.1"}
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: protos,
		MinVersion: tls.VersionTLS12}), nil
}

// Run serves until ctx ends, then shuts down gracefully.
func (n *Node) Run(ctx context.Context) error {
	errc := make(chan error, len(n.servers)+len(n.Services))
	svcCtx, stopServices := context.WithCancel(ctx)
	defer stopServices()
	for _, svc := range n.Services {
		go func(svc Service) {
			if err := svc.Run(svcCtx); err != nil && svcCtx.Err() == nil {
				errc <- err
			}
		}(svc)
	}
	errLog := slog.NewLogLogger(n.log.Handler(), slog.LevelWarn)
	var servers []*http.Server
	for _, s := range n.servers {
		srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
		servers = append(servers, srv)
		go func(ln net.Listener) { errc <- srv.Serve(ln) }(s.ln)
	}
	n.log.Info("kong-emulator started", "node_id", n.NodeID, "version", Version, "role", n.Config.Role)
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			n.Close()
			return err
		}
	}
	stopServices()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	for _, srv := range servers {
		if serr := srv.Shutdown(shutdownCtx); err == nil {
			err = serr
		}
	}
	if n.Store != nil {
		n.Store.Close()
	}
	return err
}

// Close releases listeners and the pool without serving.
func (n *Node) Close() {
	for _, s := range n.servers {
		_ = s.ln.Close()
	}
	if n.Store != nil {
		n.Store.Close()
	}
}

// PIDFile is where `kong start` records the process, so `kong health`
// can find it, as Kong's prefix does.
func PIDFile(c *config.Config) string {
	return filepath.Join(c.Prefix, "pids", "nginx.pid")
}

// Health checks the node the way `kong health` does, and stricter: the
// process named by the prefix's pid file must be alive, and the node must
// serve: /status/ready answers 200 on the Status API (or /status on the
// Admin API when there is no Status API).
func Health(ctx context.Context, c *config.Config) error {
	pid, err := RunningPID(c)
	if err != nil {
		return err
	}
	url := ""
	for _, l := range c.StatusListen {
		if !l.SSL && url == "" {
			url = "http://" + localAddr(l) + "/status/ready"
		}
	}
	for _, l := range c.AdminListen {
		if !l.SSL && url == "" {
			url = "http://" + localAddr(l) + "/status"
		}
	}
	if url == "" {
		return notRunning(c, errors.New("neither status_listen nor admin_listen has a plain HTTP listener to probe"))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return notRunning(c, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return notRunning(c, fmt.Errorf("process %d runs but does not serve yet (%s answered %d)", pid, url, resp.StatusCode))
	}
	return nil
}

// localAddr is where a local client reaches a listener bound to any address.
func localAddr(l config.Listener) string {
	host := strings.Trim(l.IP, "[]")
	if host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(l.Port))
}
