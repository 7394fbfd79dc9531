// Package config loads the emulator's configuration the way Kong 3.9 does:
// Kong's defaults, then a kong.conf file, then KONG_* environment variables
// (environment wins), with Kong's value parsing, listener syntax and error
// messages, so the emulator is a drop-in for the official image.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
)

// DefaultPaths are where Kong looks for kong.conf when -c is not given.
var DefaultPaths = []string{"/etc/kong/kong.conf", "/etc/kong.conf"}

// Roles are the values Kong accepts for role. The emulator runs traditional
// and control_plane nodes (the latter without data-plane links yet) and
// refuses data_plane.
const (
	RoleTraditional  = "traditional"
	RoleControlPlane = "control_plane"
	RoleDataPlane    = "data_plane"
)

// Config is the typed view of the settings the emulator uses. Values keeps
// every setting (known or not) as parsed, for GET / "configuration".
type Config struct {
	Prefix   string
	Database string
	PG       PG
	Role     string
	LogLevel string
	NodeID   string

	AdminListen   []Listener
	ProxyListen   []Listener
	StatusListen  []Listener
	ClusterListen []Listener

	ClusterControlPlane string
	ClusterCert         string
	ClusterCertKey      string
	ClusterCACert       string
	ClusterMTLS         string
	ClusterServerName   string
	// ClusterPurgeDelay is cluster_data_plane_purge_delay and
	// ClusterMaxPayload cluster_max_payload (bytes).
	ClusterPurgeDelay float64
	ClusterMaxPayload int64
	// ClusterDPLabels are cluster_dp_labels as key → value.
	ClusterDPLabels map[string]string

	// DBUpdateFrequency and DBUpdatePropagation are in seconds, as in Kong.
	DBUpdateFrequency   float64
	DBUpdatePropagation float64
	RouterFlavor        string
	// AdminBodyLimit is nginx_admin_client_max_body_size in bytes (0 = none).
	AdminBodyLimit int64

	// Values holds every setting after parsing (arrays as []string, numbers
	// as float64, booleans as bool), keyed by Kong's name.
	Values map[string]any
}

// PG holds the pg_* settings.
type PG struct {
	Host      string
	Port      int
	User      string
	Password  string
	Database  string
	Schema    string
	SSL       bool
	SSLVerify bool
	// TimeoutMS is pg_timeout in milliseconds.
	TimeoutMS int
	// PoolSize is pg_pool_size (0 = the store's default of 32 connections).
	PoolSize int
}

// Error lists every invalid setting, as Kong prints them at startup.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return strings.Join(e.Problems, ", ")
}

// Load builds the configuration from Kong's defaults, the file at path (or
// the first of DefaultPaths that exists when path is empty), and env (a
// list of KEY=VALUE, normally os.Environ()). Unknown settings are kept but
// otherwise ignored, as Kong ignores them.
func Load(path string, env []string) (*Config, error) {
	raw := defaults()
	if path == "" {
		for _, p := range DefaultPaths {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no file at: %s", path)
	}
	if path != "" {
		fileValues, err := readFile(path)
		if err != nil {
			return nil, err
		}
		for k, v := range fileValues {
			raw[k] = v
		}
	}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "KONG_") {
			continue
		}
		raw[strings.ToLower(strings.TrimPrefix(k, "KONG_"))] = v
	}
	return parse(raw)
}

// readFile parses kong.conf: "key = value" lines, '#' starts a comment
// unless escaped as '\#'.
func readFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration file %s: %w", path, err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := stripComment(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		out[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read configuration file %s: %w", path, err)
	}
	return out, nil
}

func stripComment(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '#':
			b.WriteByte('#')
			i++
		case line[i] == '#':
			return b.String()
		default:
			b.WriteByte(line[i])
		}
	}
	return b.String()
}

type kind int

const (
	kString kind = iota
	kNumber
	kBool
	kArray
)

// typed lists the settings whose type Kong forces (conf_loader/constants.lua);
// everything else is a string.
var typed = map[string]kind{
	"proxy_listen": kArray, "admin_listen": kArray, "admin_gui_listen": kArray, "status_listen": kArray,
	"stream_listen": kArray, "cluster_listen": kArray, "db_update_frequency": kNumber,
	"db_update_propagation": kNumber, "db_cache_ttl": kNumber, "db_cache_neg_ttl": kNumber,
	"db_resurrect_ttl": kNumber, "db_cache_warmup_entities": kArray, "pg_port": kNumber,
	"pg_timeout": kNumber, "pg_ssl": kBool, "pg_ssl_verify": kBool, "pg_max_concurrent_queries": kNumber,
	"pg_semaphore_timeout": kNumber, "pg_keepalive_timeout": kNumber, "pg_pool_size": kNumber,
	"pg_backlog": kNumber, "pg_ro_port": kNumber, "pg_ro_ssl": kBool, "worker_state_update_frequency": kNumber,
	"headers": kArray, "headers_upstream": kArray, "trusted_ips": kArray, "plugins": kArray, "vaults": kArray,
	"cluster_data_plane_purge_delay": kNumber, "cluster_max_payload": kNumber, "cluster_use_proxy": kBool,
	"cluster_dp_labels": kArray, "cluster_rpc": kBool, "cluster_incremental_sync": kBool,
	"anonymous_reports": kBool, "allow_debug_header": kBool, "ssl_cert": kArray, "ssl_cert_key": kArray,
	"admin_ssl_cert": kArray, "admin_ssl_cert_key": kArray, "status_ssl_cert": kArray, "status_ssl_cert_key": kArray,
	"cluster_ocsp": kString, "wasm": kBool, "dns_resolver": kArray, "dns_order": kArray, "ssl_protocols": kString,
}

// enums lists the settings Kong restricts to a set of values, in Kong's order
// (it is printed in the error message).
var enums = map[string][]string{
	"database":           {"postgres", "cassandra", "off"},
	"role":               {"data_plane", "control_plane", "traditional"},
	"log_level":          {"debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"},
	"router_flavor":      {"traditional", "traditional_compatible", "expressions"},
	"worker_consistency": {"strict", "eventual"},
	"cluster_mtls":       {"shared", "pki"},
}

func parse(raw map[string]string) (*Config, error) {
	var problems []string
	values := map[string]any{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(raw[k])
		if v == "" || v == "NONE" {
			continue // unset values are removed, as in Kong
		}
		switch typed[k] {
		case kNumber:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s is not a number: '%s'", k, v))
				continue
			}
			values[k] = n
		case kBool:
			values[k] = v == "on" || v == "true"
		case kArray:
			parts := strings.Split(v, ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			values[k] = parts
		default:
			if e, ok := enums[k]; ok && !contains(e, v) {
				problems = append(problems, fmt.Sprintf("%s has an invalid value: '%s' (%s)", k, v, strings.Join(e, ", ")))
				continue
			}
			values[k] = v
		}
	}
	c := &Config{Values: values}
	c.Prefix = str(values, "prefix")
	c.Database = str(values, "database")
	c.Role = str(values, "role")
	c.LogLevel = str(values, "log_level")
	c.NodeID = str(values, "node_id")
	c.RouterFlavor = str(values, "router_flavor")
	c.PG = PG{
		Host: str(values, "pg_host"), Port: int(num(values, "pg_port")), User: str(values, "pg_user"),
		Password: str(values, "pg_password"), Database: str(values, "pg_database"), Schema: str(values, "pg_schema"),
		SSL: boolean(values, "pg_ssl"), SSLVerify: boolean(values, "pg_ssl_verify"),
		TimeoutMS: int(num(values, "pg_timeout")), PoolSize: int(num(values, "pg_pool_size")),
	}
	c.DBUpdateFrequency = num(values, "db_update_frequency")
	c.DBUpdatePropagation = num(values, "db_update_propagation")
	c.ClusterControlPlane = str(values, "cluster_control_plane")
	c.ClusterCert = str(values, "cluster_cert")
	c.ClusterCertKey = str(values, "cluster_cert_key")
	c.ClusterCACert = str(values, "cluster_ca_cert")
	c.ClusterMTLS = str(values, "cluster_mtls")
	c.ClusterServerName = str(values, "cluster_server_name")
	c.ClusterPurgeDelay = num(values, "cluster_data_plane_purge_delay")
	c.ClusterMaxPayload = int64(num(values, "cluster_max_payload"))
	if labels, ok := values["cluster_dp_labels"].([]string); ok {
		c.ClusterDPLabels = map[string]string{}
		for _, l := range labels {
			k, v, ok := strings.Cut(l, ":")
			if !ok || k == "" {
				problems = append(problems, fmt.Sprintf("cluster_dp_labels: invalid label '%s' (expected key:value)", l))
				continue
			}
			c.ClusterDPLabels[k] = v
		}
	}
	if c.ClusterPurgeDelay < 60 {
		problems = append(problems, "cluster_data_plane_purge_delay must be 60 or greater")
	}
	if c.ClusterMaxPayload < 4194304 {
		problems = append(problems, "cluster_max_payload must be 4194304 (4MB) or greater")
	}

	for _, l := range []struct {
		key string
		dst *[]Listener
	}{
		{"admin_listen", &c.AdminListen}, {"proxy_listen", &c.ProxyListen},
		{"status_listen", &c.StatusListen}, {"cluster_listen", &c.ClusterListen},
	} {
		entries, _ := values[l.key].([]string)
		parsed, err := ParseListeners(entries, httpFlags)
		if err != nil {
			problems = append(problems, l.key+" "+err.Error())
			continue
		}
		*l.dst = parsed
	}
	if size, ok := values["nginx_admin_client_max_body_size"].(string); ok {
		n, err := ParseSize(size)
		if err != nil {
			problems = append(problems, "nginx_admin_client_max_body_size "+err.Error())
		}
		c.AdminBodyLimit = n
	}
	if c.DBUpdateFrequency <= 0 {
		problems = append(problems, "db_update_frequency must be greater than 0")
	}
	if c.PG.Port <= 0 || c.PG.Port > 65535 {
		problems = append(problems, fmt.Sprintf("pg_port must be between 1 and 65535: '%d'", c.PG.Port))
	}
	problems = append(problems, c.checkRole()...)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

func (c *Config) checkRole() []string {
	var problems []string
	switch c.Role {
	case RoleControlPlane, RoleDataPlane:
		if c.ClusterCert == "" || c.ClusterCertKey == "" {
			problems = append(problems, "cluster certificate and key must be provided to use Hybrid mode")
		}
	}
	if c.Role == RoleControlPlane {
		if len(c.AdminListen) == 0 {
			problems = append(problems, `admin_listen must be specified when role = "control_plane"`)
		}
		if len(c.ClusterListen) == 0 {
			problems = append(problems, `cluster_listen must be specified when role = "control_plane"`)
		}
		if c.Database == "off" {
			problems = append(problems, `in-memory storage can not be used when role = "control_plane"`)
		}
		if c.ClusterMTLS == "pki" && c.ClusterCACert == "" {
			problems = append(problems, `cluster_ca_cert must be specified when cluster_mtls = "pki"`)
		}
	}
	if c.Role == RoleDataPlane && len(c.ProxyListen) == 0 {
		problems = append(problems, `proxy_listen must be specified when role = "data_plane"`)
	}
	switch {
	case c.ClusterDPLabels == nil || c.Role == RoleDataPlane:
	case c.Role == RoleControlPlane:
		problems = append(problems, `cluster_dp_labels can not be used when role = "control_plane"`)
	default:
		problems = append(problems, `cluster_dp_labels can only be used when role = "data_plane"`)
	}
	if c.Role == RoleDataPlane && c.Database != "off" {
		problems = append(problems, `only in-memory storage can be used when role = "data_plane"`+
			"\nHint: set database = off in your kong.conf")
	}
	if c.Role == RoleTraditional && c.Database == "off" {
		// DB-less traditional is valid Kong, but this emulator only serves
		// database mode; say so as a configuration error rather than later.
		problems = append(problems, "database = off is not supported by kong-emulator when role = \"traditional\"")
	}
	return problems
}

// Sanitized returns Values with secrets masked, as Kong's
// remove_sensitive() does for GET / "configuration".
func (c *Config) Sanitized() map[string]any {
	out := make(map[string]any, len(c.Values))
	for k, v := range c.Values {
		out[k] = v
	}
	for _, k := range []string{"pg_password", "pg_ro_password", "cluster_cert_key", "ssl_cert_key",
		"admin_ssl_cert_key", "status_ssl_cert_key", "client_ssl_cert_key", "admin_gui_ssl_cert_key"} {
		if _, ok := out[k]; ok {
			out[k] = "******"
		}
	}
	for _, l := range []struct {
		key string
		ls  []Listener
	}{{"admin_listeners", c.AdminListen}, {"proxy_listeners", c.ProxyListen}, {"status_listeners", c.StatusListen}} {
		list := make([]any, 0, len(l.ls))
		for _, x := range l.ls {
			list = append(list, x.JSON())
		}
		out[l.key] = list
	}
	return out
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	if s == "NONE" {
		return ""
	}
	return s
}

func num(m map[string]any, k string) float64 { n, _ := m[k].(float64); return n }

func boolean(m map[string]any, k string) bool { b, _ := m[k].(bool); return b }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
