package admin

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
)

// Cluster is what a node's cluster part reports through the Admin and
// Status APIs; every field is optional.
type Cluster struct {
	// Changed runs after every successful write through the Admin API, so
	// the node rebuilds (traditional) or pushes (control plane) at once.
	Changed func()
	// ConfigHash is the hash of the configuration served, reported by
	// data planes as /status "configuration_hash".
	ConfigHash func() string
	// Ready reports whether the node serves proxy traffic, with Kong's
	// reason when it does not (/status/ready).
	Ready func() (bool, string)
	// ProxyStats reports the node's proxy (requests served, what the
	// snapshot holds, plugins configured but not executed) under /status
	// "kong_emulator", so nobody mistakes a stored plugin for a running one.
	ProxyStats func() any
}

// NewStatus builds the Status API of a node without a database (a data
// plane): /status without "database", with "configuration_hash".
func NewStatus(cfg *config.Config, nodeID, hostname string, cl Cluster, log *slog.Logger) *Server {
	s := New(nil, cfg, nodeID, hostname, log)
	s.Cluster = cl
	return s
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

const notControlPlane = "this endpoint is only available when Kong is configured to run as Control Plane for the cluster"

func (s *Server) controlPlaneOnly(w http.ResponseWriter) bool {
	if s.cfg == nil || s.cfg.Role != config.RoleControlPlane {
		writeJSON(w, http.StatusBadRequest, msg(notControlPlane))
		return false
	}
	return true
}

// dataPlanes serves GET /clustering/data-planes, paged like any collection.
func (s *Server) dataPlanes(w http.ResponseWriter, r *http.Request) {
	if !s.controlPlaneOnly(w) {
		return
	}
	q := r.URL.Query()
	size, err := pageSize(q, sizeOutOfRange)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, next, err := s.store.DataPlanes(r.Context(), size, q.Get("offset"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body := map[string]any{"data": rows, "next": nil}
	if next != "" {
		body["next"] = "/clustering/data-planes?offset=" + url.QueryEscape(next)
		body["offset"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

// clusteringStatus serves the deprecated GET /clustering/status: data
// planes keyed by id.
func (s *Server) clusteringStatus(w http.ResponseWriter, r *http.Request) {
	if !s.controlPlaneOnly(w) {
		return
	}
	out := map[string]any{}
	offset := ""
	for {
		rows, next, err := s.store.DataPlanes(r.Context(), 1000, offset)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, raw := range rows {
			var dp map[string]any
			if err := json.Unmarshal(raw, &dp); err != nil {
				s.fail(w, r, err)
				return
			}
			id, _ := dp["id"].(string)
			out[id] = map[string]any{"config_hash": dp["config_hash"], "hostname": dp["hostname"],
				"ip": dp["ip"], "last_seen": dp["last_seen"]}
		}
		if next == "" {
			break
		}
		offset = next
	}
	w.Header().Set("Deprecation", "true")
	writeJSON(w, http.StatusOK, out)
}

// ready answers GET /status/ready as kong/status/ready.lua does.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.store != nil && !s.store.Ping(r.Context()) {
		writeJSON(w, http.StatusServiceUnavailable, msg("failed to connect to database"))
		return
	}
	if s.Cluster.Ready != nil {
		if ok, why := s.Cluster.Ready(); !ok {
			writeJSON(w, http.StatusServiceUnavailable, msg(why))
			return
		}
	}
	writeJSON(w, http.StatusOK, msg("ready"))
}
