package validate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// FieldError is one message of Kong's "fields" map at a dotted path ("config.minute",
// "paths[1]"); an empty path is about the entity as a whole.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Flatten turns Kong's "fields" error map into one FieldError per message, ordered by path.
// Kong nests a record's errors as objects, an array's per-element errors as arrays (null where
// an element is fine), and an entity check's messages under "@entity", which belong to the
// record that holds them.
func Flatten(fields any) []FieldError {
	var out []FieldError
	flatten(fields, "", false, &out)
	slices.SortStableFunc(out, func(a, b FieldError) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func flatten(v any, path string, messages bool, out *[]FieldError) {
	switch x := v.(type) {
	case nil:
	case string:
		*out = append(*out, FieldError{Path: path, Message: x})
	case map[string]any:
		for k, e := range x {
			if k == "@entity" {
				flatten(e, path, true, out)
				continue
			}
			flatten(e, join(path, k), false, out)
		}
	case []any:
		for i, e := range x {
			if messages {
				flatten(e, path, true, out)
				continue
			}
			flatten(e, fmt.Sprintf("%s[%d]", path, i), false, out)
		}
	default:
		*out = append(*out, FieldError{Path: path, Message: fmt.Sprint(x)})
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
