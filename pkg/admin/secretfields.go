package admin

import (
	"context"
	"slices"
	"strings"

	"github.com/kong/go-kong/kong"
)

// PluginSecretFields returns, for each plugin name, the JSON pointers within its config of the
// fields Kong's schema marks encrypted (stored encrypted by Kong's keyring) or referenceable (may
// hold a vault reference: credentials by design), so that a plan hides them on both sides of
// every op, deletes included, whatever the value's origin. Schemas come from the cache
// FillDefaults fills; a plugin Kong does not know has none.
func (s *Schemas) PluginSecretFields(ctx context.Context, c *kong.Client, version string, names []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, name := range names {
		if _, done := out[name]; done || name == "" {
			continue
		}
		sc, err := s.get(ctx, c, version, "plugins/"+name)
		if err != nil {
			return nil, err
		}
		out[name] = secretPointers(configFields(sc), "")
	}
	return out, nil
}

// configFields are the fields of a plugin schema's config record.
func configFields(sc kong.Schema) []any {
	fields, _ := sc["fields"].([]any)
	for _, f := range fields {
		if m, ok := f.(map[string]any); ok {
			if cfg, ok := m["config"].(map[string]any); ok {
				sub, _ := cfg["fields"].([]any)
				return sub
			}
		}
	}
	return nil
}

// secretPointers walks a record's fields ([{name: {type, encrypted, referenceable, fields,
// elements, values}}]): a marked field is one pointer; a record is walked into; an array, set
// or map whose elements or values are marked (or are records holding a marked field) is one
// pointer for the whole of it.
func secretPointers(fields []any, prefix string) []string {
	var out []string
	for _, f := range fields {
		m, _ := f.(map[string]any)
		for name, def := range m {
			d, _ := def.(map[string]any)
			ptr := prefix + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
			switch {
			case marked(d):
				out = append(out, ptr)
			case d["type"] == "record":
				sub, _ := d["fields"].([]any)
				out = append(out, secretPointers(sub, ptr)...)
			default:
				for _, key := range []string{"elements", "values"} {
					inner, _ := d[key].(map[string]any)
					sub, _ := inner["fields"].([]any)
					if inner != nil && (marked(inner) || len(secretPointers(sub, "")) > 0) {
						out = append(out, ptr)
						break
					}
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func marked(d map[string]any) bool {
	return d["encrypted"] == true || d["referenceable"] == true
}
