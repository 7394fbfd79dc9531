package schema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// violationParts builds the pieces of Kong's schema_violation message:
// entity-level errors first, then "field: msg" in sorted key order, one
// level of nesting spelt "field.sub: msg", deeper tables pretty-printed.
func violationParts(errs map[string]any) []string {
	var parts []string
	if list, ok := errs["@entity"].([]any); ok {
		for _, m := range list {
			parts = append(parts, fmt.Sprint(m))
		}
	}
	for _, k := range sortedKeys(errs) {
		if k == "@entity" {
			continue
		}
		switch sub := errs[k].(type) {
		case map[string]any:
			for _, sk := range sortedKeys(sub) {
				parts = append(parts, fmt.Sprintf("%s.%s: %s", k, sk, prettyLua(sub[sk], "")))
			}
		case []any:
			for i, v := range sub {
				if v != nil {
					parts = append(parts, fmt.Sprintf("%s.%d: %s", k, i+1, prettyLua(v, "")))
				}
			}
		default:
			parts = append(parts, fmt.Sprintf("%s: %v", k, sub))
		}
	}
	return parts
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// prettyLua approximates pl.pretty.write, which Kong uses for nested error
// tables inside messages.
func prettyLua(v any, indent string) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		var items []string
		for _, k := range sortedKeys(t) {
			items = append(items, fmt.Sprintf("%s  %s = %s", indent, k, prettyValue(t[k], indent)))
		}
		return "{\n" + strings.Join(items, ",\n") + "\n" + indent + "}"
	case []any:
		var items []string
		for i, x := range t {
			if x != nil {
				items = append(items, fmt.Sprintf("%s  [%d] = %s", indent, i+1, prettyValue(x, indent)))
			}
		}
		return "{\n" + strings.Join(items, ",\n") + "\n" + indent + "}"
	}
	return fmt.Sprint(v)
}

func prettyValue(v any, indent string) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return prettyLua(v, indent+"  ")
}
