// Package emulator is a Kong 3.9.3-compatible node on PostgreSQL: it wires
// configuration, storage and the Admin API (and the Status API) into a Node,
// and backs Kong's start and health commands.
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
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/admin"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
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
		Schemas: routerSchemas(c.RouterFlavor),
	}
}

// routerSchemas are the entity schemas of a router_flavor; config has
// refused any flavor but Kong's three, so the fallback to Kong's default
// only serves a Config built by hand.
func routerSchemas(flavor string) *schema.Schemas {
	s, err := schema.ForRouterFlavor(flavor)
	if err != nil {
		s, _ = schema.ForRouterFlavor("")
	}
	return s
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

// Service is a part of a node that runs next to the Admin API until the
// node stops. NewNode adds none: a caller that builds a node with more parts
// (a cluster_events poller, a proxy) appends them to Node.Services before Run.
type Service interface {
	Run(ctx context.Context) error
}

// Node is one running emulator node.
type Node struct {
	Config *config.Config
	Store  *store.Store
	Admin  *admin.Server
	NodeID string
	// Services run alongside the Admin API until ctx ends; a failing one
	// stops the node. Empty unless the caller adds some.
	Services []Service
	log      *slog.Logger

	listeners []net.Listener
	status    []net.Listener
}

// NewNode connects to PostgreSQL and builds the node's parts; Run serves.
func NewNode(ctx context.Context, c *config.Config, log *slog.Logger) (*Node, error) {
	nodeID := c.NodeID
	if nodeID == "" {
		nodeID = uuid.NewString()
	}
	if c.Role == config.RoleDataPlane {
		return nil, errors.New("role data_plane is not implemented by this emulator yet")
	}
	st, err := store.Open(ctx, StoreOptions(c, nodeID))
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return &Node{Config: c, Store: st, NodeID: nodeID, log: log,
		Admin: admin.New(st, c, nodeID, host, log)}, nil
}

// Listen opens the Admin API's listeners (plain and TLS, Kong's 8001 and
// 8444 by default) and the Status API's; it returns the admin addresses.
func (n *Node) Listen() ([]string, error) {
	var addrs []string
	for _, l := range n.Config.AdminListen {
		ln, err := net.Listen("tcp", l.Addr())
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("admin_listen %s: %w", l.Listener, err)
		}
		if l.SSL {
			certs, _ := n.Config.Values["admin_ssl_cert"].([]string)
			keys, _ := n.Config.Values["admin_ssl_cert_key"].([]string)
			cert, err := listenerCert(certs, keys)
			if err != nil {
				_ = ln.Close()
				n.Close()
				return nil, fmt.Errorf("admin_listen %s: %w", l.Listener, err)
			}
			protos := []string{"http/1.1"}
			if l.HTTP2 {
				protos = []string{"h2", "http/1.1"}
			}
			ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: protos,
				MinVersion: tls.VersionTLS12})
		}
		n.listeners = append(n.listeners, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	if len(n.listeners) == 0 {
		return nil, errors.New("admin_listen is off: nothing to serve")
	}
	for _, l := range n.Config.StatusListen {
		if l.SSL {
			continue
		}
		ln, err := net.Listen("tcp", l.Addr())
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("status_listen %s: %w", l.Listener, err)
		}
		n.status = append(n.status, ln)
	}
	return addrs, nil
}

// Run serves until ctx ends, then shuts down gracefully.
func (n *Node) Run(ctx context.Context) error {
	srv := &http.Server{Handler: n.Admin, ReadHeaderTimeout: 10 * time.Second}
	statusSrv := &http.Server{Handler: n.Admin.StatusHandler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, len(n.listeners)+len(n.status)+len(n.Services))
	svcCtx, stopServices := context.WithCancel(ctx)
	defer stopServices()
	for _, svc := range n.Services {
		go func(svc Service) {
			if err := svc.Run(svcCtx); err != nil && svcCtx.Err() == nil {
				errc <- err
			}
		}(svc)
	}
	for _, ln := range n.listeners {
		go func(ln net.Listener) { errc <- srv.Serve(ln) }(ln)
	}
	for _, ln := range n.status {
		go func(ln net.Listener) { errc <- statusSrv.Serve(ln) }(ln)
	}
	n.log.Info("kong-emulator started", "node_id", n.NodeID, "version", Version)
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			n.Close()
			return err
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serr := statusSrv.Shutdown(shutdownCtx); err == nil {
		err = serr
	}
	n.Store.Close()
	return err
}

// Close releases listeners and the pool without serving.
func (n *Node) Close() {
	for _, ln := range append(n.listeners, n.status...) {
		_ = ln.Close()
	}
	n.Store.Close()
}

// PIDFile is where `kong start` records the process, so `kong health`
// can find it, as Kong's prefix does.
func PIDFile(c *config.Config) string {
	return filepath.Join(c.Prefix, "pids", "nginx.pid")
}

// Health checks the node the way `kong health` does: the process named by
// the prefix's pid file runs, and the Admin API answers.
func Health(ctx context.Context, c *config.Config) error {
	if _, err := RunningPID(c); err != nil {
		return err
	}
	for _, l := range c.AdminListen {
		if l.SSL {
			continue
		}
		host := strings.Trim(l.IP, "[]")
		if host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, fmt.Sprint(l.Port))+"/status", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return notRunning(c, err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
	return notRunning(c, nil)
}
