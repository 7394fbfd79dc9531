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
		var b strings.Builder
		b.WriteString("{\n")
		for _, k := range sortedKeys(t) {
			val := t[k]
			if s, ok := val.(string); ok {
				val = strconv.Quote(s)
			} else {
				val = prettyLua(val, indent+"  ")
			}
			fmt.Fprintf(&b, "%s  %s = %v,\n", indent, k, val)
		}
		b.WriteString(indent + "}")
		return b.String()
	case []any:
		var b strings.Builder
		b.WriteString("{\n")
		for i, x := range t {
			if x == nil {
				continue
			}
			val := prettyLua(x, indent+"  ")
			if s, ok := x.(string); ok {
				val = strconv.Quote(s)
			}
			fmt.Fprintf(&b, "%s  [%d] = %s,\n", indent, i+1, val)
		}
		b.WriteString(indent + "}")
		return b.String()
	}
	return fmt.Sprint(v)
}
