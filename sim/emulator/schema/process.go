package schema

import (
	"errors"
	"time"
)

func (e *Entity) process(in map[string]any, op Op, now time.Time) (map[string]any, error) {
	return nil, errors.New("not implemented")
}

func flattenErrors(prefix string, m map[string]any, out *[]string) {
	for k, v := range m {
		*out = append(*out, prefix+k+": "+toString(v))
	}
}

func toString(v any) string { s, _ := v.(string); return s }

func compileFields(fs []*Field) {}
