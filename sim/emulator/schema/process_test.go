package schema

import (
	"encoding/json"
	"testing"
)

// TestShorthandErrorsInsideArraysAndMapsAreReported checks that a shorthand that refuses its
// value inside an array element or a map value fails the write, at the element's place, instead
// of being dropped while the shorthand's key is.
func TestShorthandErrorsInsideArraysAndMapsAreReported(t *testing.T) {
	refuse := &Shorthand{
		Field:     F("legacy", String),
		Translate: func(v any, rec map[string]any) string { return "legacy is refused: " + v.(string) },
	}
	el := F("", Record, Fields(F("name", String)), func(f *Field) { f.Shorthands = []*Shorthand{refuse} })
	fields := []*Field{
		F("list", Array, Elements(el)),
		F("byKey", Map, KV(El(String), el)),
	}
	data := map[string]any{
		"list":  []any{map[string]any{"name": "ok"}, map[string]any{"legacy": "x"}},
		"byKey": map[string]any{"a": map[string]any{"legacy": "y"}},
	}
	_, errs := processRecord(fields, nil, data, pctx{op: Insert})
	got, err := json.Marshal(errs)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"byKey":{"a":{"legacy":"legacy is refused: y"}},"list":[null,{"legacy":"legacy is refused: x"}]}`
	if string(got) != want {
		t.Errorf("errors = %s\nwant     %s", got, want)
	}
}
