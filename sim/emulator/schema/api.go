package schema

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Error is Kong's schema violation (code 2). Fields is the nested "fields"
// map of Kong's error body: field → message, records nested, array
// elements as arrays, entity checks under "@entity".
type Error struct {
	Fields map[string]any
}

// Error reads like Kong's message: "schema violation (host: required field
// missing)" or "2 schema violations (a: ...; b: ...)".
func (e *Error) Error() string {
	parts := violationParts(e.Fields)
	if len(parts) == 1 {
		return "schema violation (" + parts[0] + ")"
	}
	return fmt.Sprintf("%d schema violations (%s)", len(parts), strings.Join(parts, "; "))
}

// Get returns an entity schema by its schema name (core entities and the
// credential DAOs), because the Admin API and storage are keyed by it.
func Get(name string) (*Entity, bool) {
	e, ok := schemas().byName[name]
	return e, ok
}

// All returns every entity, parents before children, which is the order to
// create tables and to export configuration in.
func All() []*Entity {
	ordered := schemas().ordered
	out := make([]*Entity, len(ordered))
	copy(out, ordered)
	return out
}

// PluginNames returns the bundled plugin names this emulator enables, sorted,
// for GET /plugins/enabled and GET /.
func PluginNames() []string {
	plugins := schemas().plugins
	names := make([]string, 0, len(plugins))
	for n := range plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PluginInfo returns a plugin's version and priority as Kong 3.9.3 reports
// them under "available_on_server" in GET /.
func PluginInfo(name string) (version string, priority int, ok bool) {
	p, ok := schemas().plugins[name]
	if !ok {
		return "", 0, false
	}
	return p.Version, p.Priority, true
}

// Process validates in (decoded JSON; foreign keys already resolved to
// {"id": "<uuid>"}), applies shorthands, fills defaults (Insert/Upsert) and
// auto fields, and returns the entity exactly as Kong stores and serves it:
// every schema field present, null where absent. A violation is an *Error.
// It never writes anything, so /schemas/{entity}/validate can use it too.
func (e *Entity) Process(in map[string]any, op Op, now time.Time) (map[string]any, error) {
	return e.process(in, op, now)
}

// TTLOptionError checks the ttl a POST/PUT may carry for TTL entities
// (keyauth_credentials) as Kong's DAO does; it returns the message Kong puts
// under "options" (code 11, invalid options), or "" when ttl is valid.
func TTLOptionError(e *Entity, ttl any) string {
	if ttl == nil {
		return ""
	}
	if !e.TTL {
		return fmt.Sprintf("cannot be used with '%s'", e.Name)
	}
	n, ok := normalizeJSON(ttl).(float64)
	if !ok || n != float64(int64(n)) || n < 0 || n > 1e8 {
		return "must be an integer between 0 and 1e+08"
	}
	return ""
}

// FieldsFor returns the fields that apply to data: the entity's fields with
// its subschema's overrides (a plugin's own config record, a route's
// protocol family, the env vault's config), for walks such as form-value
// type inference that must see the plugin's config fields.
func (e *Entity) FieldsFor(data map[string]any) []*Field {
	fields, _, err := e.resolveSubschema(data)
	if err != nil {
		return e.Fields
	}
	return fields
}

// FormatTarget normalises a target address as Kong's targets DAO does
// (host:port, default port 8000, IPv6 expanded in brackets), so lookups by
// target string match what Process stored; ok is false for an address that
// is neither a hostname nor an IP.
func FormatTarget(target string) (string, bool) { return formatTarget(target) }

// VaultJSON returns the body of GET /schemas/vaults/{name}; only the env
// vault is installed in OSS.
func VaultJSON(name string) (map[string]any, bool) {
	if name != "env" {
		return nil, false
	}
	return map[string]any{"fields": fieldsJSON(envVaultFields), "entity_checks": []any{}}, true
}
