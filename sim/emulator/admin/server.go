// Package admin is the emulator's Admin API: Kong 3.9.3's endpoints,
// generated from the schema package's entity metadata, on top of the store.
package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/kongversion"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// Version is the Kong version the emulator reports.
const Version = kongversion.Version

// ServerHeader is Kong's Server header value.
const ServerHeader = "kong/" + Version

// Server serves the Admin API.
type Server struct {
	store    *store.Store
	cfg      *config.Config
	log      *slog.Logger
	nodeID   string
	hostname string
	now      func() time.Time
	// requests counts requests served, for /status "total_requests".
	requests atomic.Int64
	// Cluster connects the node's cluster part (set before serving).
	Cluster Cluster
}

// New builds the Admin API of a node.
func New(st *store.Store, cfg *config.Config, nodeID, hostname string, log *slog.Logger) *Server {
	return &Server{store: st, cfg: cfg, log: log, nodeID: nodeID, hostname: hostname, now: time.Now}
}

// ServeHTTP adds Kong's headers, limits the body, recovers panics into
// Kong's 500 and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.requests.Add(1)
	lw := &latencyWriter{ResponseWriter: w, start: start}
	h := w.Header()
	h.Set("Server", ServerHeader)
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = "*"
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	if s.cfg != nil && s.cfg.AdminBodyLimit > 0 {
		r.Body = http.MaxBytesReader(lw, r.Body, s.cfg.AdminBodyLimit)
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("admin request panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
			writeJSON(lw, http.StatusInternalServerError, msg("An unexpected error occurred"))
		}
	}()
	s.route(lw, r)
	if s.Cluster.Changed != nil && isWrite(r.Method) && lw.status < 300 {
		s.Cluster.Changed()
	}
	s.log.Debug("admin request", "method", r.Method, "path", r.URL.Path, "status", lw.status,
		"latency_ms", time.Since(start).Milliseconds())
}

// latencyWriter sets X-Kong-Admin-Latency just before the status is sent.
type latencyWriter struct {
	http.ResponseWriter
	start   time.Time
	written bool
	status  int
}

func (l *latencyWriter) WriteHeader(code int) {
	if !l.written {
		l.written, l.status = true, code
		l.Header().Set("X-Kong-Admin-Latency", strconv.FormatInt(time.Since(l.start).Milliseconds(), 10))
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *latencyWriter) Write(b []byte) (int, error) {
	if !l.written {
		l.WriteHeader(http.StatusOK)
	}
	return l.ResponseWriter.Write(b)
}

func msg(m string) map[string]any { return map[string]any{"message": m} }

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"An unexpected error occurred"}`)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

var errHTTP = map[int]int{
	store.CodeInvalidPrimaryKey: 400, store.CodeSchemaViolation: 400, store.CodePrimaryKey: 400,
	store.CodeForeignKey: 400, store.CodeUnique: 409, store.CodeNotFound: 404, store.CodeInvalidOffset: 400,
	store.CodeDatabase: 500, store.CodeInvalidSize: 400, store.CodeInvalidOptions: 400,
	store.CodeOperationUnsupport: 405, store.CodeForeignUnresolved: 400, store.CodeReferencedByOthers: 400,
}

// fail renders any error the way Kong's handle_error does.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var se *schema.Error
	var de *store.Error
	var he *httpError
	switch {
	case errors.As(err, &he):
		writeJSON(w, he.status, he.body)
	case errors.As(err, &se):
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"code": store.CodeSchemaViolation, "name": "schema violation", "message": se.Error(), "fields": se.Fields})
	case errors.As(err, &de) && de.Code != store.CodeDatabase:
		writeJSON(w, errHTTP[de.Code], de.Body())
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, msg("Not found"))
	default:
		s.log.Error("admin request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		writeJSON(w, http.StatusInternalServerError, msg("An unexpected error occurred"))
	}
}

// httpError is a plain {"message": ...} answer with a status.
type httpError struct {
	status int
	body   map[string]any
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %v", e.status, e.body) }

func badRequest(m string) error { return &httpError{http.StatusBadRequest, msg(m)} }

// allow answers OPTIONS and refuses methods a path does not support.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if r.Method == http.MethodOptions {
		list := strings.Join(append(methods, "OPTIONS"), ", ")
		w.Header().Set("Allow", list)
		w.Header().Set("Access-Control-Allow-Methods", list)
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	m := r.Method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	for _, x := range methods {
		if x == m {
			return true
		}
	}
	writeJSON(w, http.StatusMethodNotAllowed, msg("Method not allowed"))
	return false
}
