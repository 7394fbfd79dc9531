package schema

import (
	"encoding/json"
	"testing"
	"time"
)

// testNow is a fixed clock with milliseconds, so that integer and float
// timestamps can both be checked.
var testNow = time.Unix(1700000000, 123000000)

const testUUID = "a2c3e1b4-1234-4234-8234-123456789abc"

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return m
}

func mustGet(t *testing.T, name string) *Entity {
	t.Helper()
	e, ok := Get(name)
	if !ok {
		t.Fatalf("entity %q is not registered", name)
	}
	return e
}

func canon(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding: %v", err)
	}
	return string(b)
}

func schemaErr(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatal("expected a schema violation, got none")
	}
	se, ok := err.(*Error)
	if !ok {
		t.Fatalf("expected *Error, got %T: %v", err, err)
	}
	return se
}
