package admin

import (
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	available := map[string]any{}
	for _, n := range schema.PluginNames() {
		v, prio, _ := schema.PluginInfo(n)
		available[n] = map[string]any{"version": v, "priority": prio}
	}
	inUse, err := s.store.PluginNamesInUse(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	conf := map[string]any{}
	if s.cfg != nil {
		conf = s.cfg.Sanitized()
	}
	conf["database"] = "postgres"
	if _, ok := conf["router_flavor"]; !ok {
		conf["router_flavor"] = "traditional_compatible"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tagline": "Welcome to kong", "version": Version, "edition": "community",
		"hostname": s.hostname, "node_id": s.nodeID, "lua_version": "LuaJIT 2.1.0-20231117",
		"timers": map[string]any{"running": 0, "pending": 0},
		"pids":   map[string]any{"master": os.Getpid(), "workers": []int{os.Getpid()}},
		"plugins": map[string]any{
			"available_on_server": available,
			"enabled_in_cluster":  inUse,
		},
		"configuration": conf,
	})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	total := s.requests.Load()
	body := map[string]any{
		"memory": map[string]any{
			"workers_lua_vms":  []any{map[string]any{"http_allocated_gc": "0.02 MiB", "pid": os.Getpid()}},
			"lua_shared_dicts": map[string]any{"kong": map[string]any{"allocated_slabs": "0.04 MiB", "capacity": "5.00 MiB"}},
		},
		"server": map[string]any{"connections_accepted": total, "connections_active": 1, "connections_handled": total,
			"connections_reading": 0, "connections_waiting": 0, "connections_writing": 1, "total_requests": total},
	}
	// A node without a database (data plane) reports the hash of its
	// configuration instead, as Kong does.
	if s.store != nil {
		body["database"] = map[string]any{"reachable": s.store.Ping(r.Context())}
	}
	if s.Cluster.ConfigHash != nil {
		body["configuration_hash"] = s.Cluster.ConfigHash()
	}
	if s.Cluster.ProxyStats != nil {
		body["kong_emulator"] = map[string]any{"proxy": s.Cluster.ProxyStats()}
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) endpoints(w http.ResponseWriter, _ *http.Request) {
	list := []string{"/", "/status", "/endpoints", "/config", "/tags", "/tags/{tags}", "/schemas/{db_entity_name}",
		"/schemas/{db_entity_name}/validate", "/schemas/plugins/{name}", "/schemas/plugins/validate",
		"/plugins/enabled", "/plugins/schema/{name}", "/upstreams/{upstreams}/health",
		"/upstreams/{upstreams}/targets/all", "/upstreams/{upstreams}/targets/{targets}/healthy",
		"/upstreams/{upstreams}/targets/{targets}/unhealthy"}
	for _, e := range schema.All() {
		if e.Internal {
			continue
		}
		if e.AdminPath != "" {
			list = append(list, "/"+e.AdminPath, "/"+e.AdminPath+"/{"+e.AdminPath+"}")
		}
		for _, f := range e.Fields {
			if f.Type != schema.Foreign {
				continue
			}
			ref, ok := schema.Get(f.Reference)
			if !ok || ref.AdminPath == "" {
				continue
			}
			if e.AdminPath != "" && !disabledForeign[e.Name+"/"+f.Name] {
				list = append(list, "/"+e.AdminPath+"/{"+e.AdminPath+"}/"+f.Name)
			}
			if e.NestedPath != "" {
				base := "/" + ref.AdminPath + "/{" + ref.AdminPath + "}/" + e.NestedPath
				list = append(list, base, base+"/{"+e.Name+"}")
			}
		}
	}
	sort.Strings(list)
	data := make([]any, 0, len(list))
	seen := map[string]bool{}
	for _, p := range list {
		if !seen[p] {
			seen[p] = true
			data = append(data, p)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "next": nil})
}

func (s *Server) tags(w http.ResponseWriter, r *http.Request, tag string) {
	q := r.URL.Query()
	size, err := pageSize(q, sizeOutOfRange)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, next, err := s.store.Tags(r.Context(), tag, size, q.Get("offset"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body := map[string]any{"data": rows, "next": nil}
	if next != "" {
		base := "/tags"
		if tag != "" {
			base += "/" + url.PathEscape(tag)
		}
		body["next"] = base + "?offset=" + url.QueryEscape(next)
		body["offset"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

// schemas serves /schemas/...; it reports whether the path was one of its.
func (s *Server) schemas(w http.ResponseWriter, r *http.Request, segs []string) bool {
	switch {
	case len(segs) == 2 && segs[0] == "plugins" && segs[1] == "validate":
		if allow(w, r, http.MethodPost) {
			plugins, _ := schema.Get("plugins")
			s.validate(w, r, plugins)
		}
	case len(segs) == 2 && segs[0] == "plugins":
		if allow(w, r, http.MethodGet) {
			writeNamedSchema(w, "plugin", segs[1], schema.PluginJSON)
		}
	case len(segs) == 2 && segs[1] == "validate":
		if allow(w, r, http.MethodPost) {
			e, ok := schema.Get(segs[0])
			if !ok || e.Internal {
				writeJSON(w, http.StatusNotFound, msg("No entity named '"+segs[0]+"'"))
				return true
			}
			s.validate(w, r, e)
		}
	case len(segs) == 2 && segs[0] == "vaults":
		if allow(w, r, http.MethodGet) {
			writeNamedSchema(w, "vault", segs[1], schema.VaultJSON)
		}
	case len(segs) == 1:
		if allow(w, r, http.MethodGet) {
			e, ok := schema.Get(segs[0])
			if !ok || e.Internal {
				writeJSON(w, http.StatusNotFound, msg("No entity named '"+segs[0]+"'"))
				return true
			}
			writeJSON(w, http.StatusOK, e.JSON())
		}
	default:
		return false
	}
	return true
}

// writeNamedSchema sends the schema lookup finds for a plugin or vault name,
// or Kong's 404 naming the kind.
func writeNamedSchema(w http.ResponseWriter, kind, name string, lookup func(string) (map[string]any, bool)) {
	body, ok := lookup(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, msg("No "+kind+" named '"+name+"'"))
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request, e *schema.Entity) {
	body, err := readBody(r, e)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	delete(body, "ttl")
	if _, err := e.Process(body, schema.Insert, s.now()); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, msg("schema validation successful"))
}

// legacyPluginSchema serves the deprecated /plugins/schema/{name}: the
// config record alone.
func (s *Server) legacyPluginSchema(w http.ResponseWriter, r *http.Request, name string) {
	body, ok := schema.PluginJSON(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, msg("No plugin named '"+name+"'"))
		return
	}
	fields, _ := body["fields"].([]any)
	for _, f := range fields {
		if m, ok := f.(map[string]any); ok {
			if cfg, ok := m["config"]; ok {
				writeJSON(w, http.StatusOK, cfg)
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": []any{}})
}

// upstreamHealth answers /upstreams/{u}/health: this node runs no health
// checker, so every target reports HEALTHCHECKS_OFF, as Kong does with
// health checks disabled.
func (s *Server) upstreamHealth(w http.ResponseWriter, r *http.Request, up map[string]any) {
	targets, _ := schema.Get("targets")
	rows, err := s.store.All(r.Context(), targets, map[string]any{"upstream": up["id"]})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := make([]any, 0, len(rows))
	for _, t := range rows {
		t["health"] = "HEALTHCHECKS_OFF"
		t["data"] = map[string]any{"addresses": []any{}}
		data = append(data, t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "next": nil, "node_id": s.nodeID})
}

// StatusHandler serves Kong's Status API (status_listen): GET /status and
// GET /status/ready, which answers 503 while the database is unreachable or
// the node has nothing to serve.
func (s *Server) StatusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", ServerHeader)
		switch strings.TrimSuffix(r.URL.Path, "/") {
		case "/status":
			if allow(w, r, http.MethodGet) {
				s.status(w, r)
			}
		case "/status/ready":
			if allow(w, r, http.MethodGet) {
				s.ready(w, r)
			}
		default:
			writeJSON(w, http.StatusNotFound, msg("Not found"))
		}
	})
}
