package proxy

import (
	"encoding/json"
	"fmt"
	"sort"
)

// row reads one entity as encoding/json decoded it. Absent keys and JSON
// nulls read as the zero value, as Kong treats ngx.null; a present value of
// the wrong type is an error naming the entity and field.
type row struct {
	kind string
	m    map[string]any
	err  error
}

func (r *row) fail(field, want string, v any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s %v: field %q: expected %s, got %T", r.kind, r.m["id"], field, want, v)
	}
}

func (r *row) str(k string) string {
	switch v := r.m[k].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		r.fail(k, "a string", v)
		return ""
	}
}

func (r *row) boolean(k string, def bool) bool {
	switch v := r.m[k].(type) {
	case nil:
		return def
	case bool:
		return v
	default:
		r.fail(k, "a boolean", v)
		return def
	}
}

func (r *row) num(k string, def float64) float64 {
	return toNum(r, k, r.m[k], def)
}

func (r *row) integer(k string, def int) int {
	return int(r.num(k, float64(def)))
}

func toNum(r *row, k string, v any, def float64) float64 {
	switch v := v.(type) {
	case nil:
		return def
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			r.fail(k, "a number", v)
			return def
		}
		return f
	default:
		r.fail(k, "a number", v)
		return def
	}
}

// has reports whether the key holds a non-null value: Kong distinguishes a
// null hosts field from an empty array (the latter still sets the
// plain-host priority bit).
func (r *row) has(k string) bool { return r.m[k] != nil }

func (r *row) strs(k string) []string { return strList(r, k, r.m[k]) }

func strList(r *row, k string, v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				r.fail(k, "an array of strings", e)
				return nil
			}
			out = append(out, s)
		}
		return out
	default:
		r.fail(k, "an array of strings", v)
		return nil
	}
}

// fk reads a foreign key written as {"id":"…"} or as the bare id.
func (r *row) fk(k string) string {
	switch v := r.m[k].(type) {
	case nil:
		return ""
	case string:
		return v
	case map[string]any:
		id, _ := v["id"].(string)
		if id == "" {
			r.fail(k, `a foreign key {"id":…}`, v)
		}
		return id
	default:
		r.fail(k, `a foreign key {"id":…}`, v)
		return ""
	}
}

// obj reads a record field (a plugin's config).
func (r *row) obj(k string) map[string]any {
	switch v := r.m[k].(type) {
	case nil:
		return map[string]any{}
	case map[string]any:
		return v
	default:
		r.fail(k, "an object", v)
		return map[string]any{}
	}
}

// headerMap reads a route's headers: name → values.
func (r *row) headerMap(k string) map[string][]string {
	switch v := r.m[k].(type) {
	case nil:
		return nil
	case map[string][]string:
		return v
	case map[string]any:
		out := make(map[string][]string, len(v))
		for name, vals := range v {
			out[name] = strList(r, k+"."+name, vals)
		}
		return out
	default:
		r.fail(k, "an object of header names to arrays", v)
		return nil
	}
}

// config reads a plugin's config record; errors land on the plugin's row.
func (r *row) config() *row {
	return &row{kind: r.kind + " " + r.str("name") + " config", m: r.obj("config")}
}

// sub reads a nested record of a config.
func (r *row) sub(k string) *row { return &row{kind: r.kind + "." + k, m: r.obj(k)} }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
