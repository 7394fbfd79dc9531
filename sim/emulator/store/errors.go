package store

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kong's DAO error codes (kong/db/errors.lua); the Admin API maps them to
// HTTP statuses and renders the Error as Kong's body.
const (
	CodeInvalidPrimaryKey  = 1
	CodeSchemaViolation    = 2
	CodePrimaryKey         = 3
	CodeForeignKey         = 4
	CodeUnique             = 5
	CodeNotFound           = 6
	CodeInvalidOffset      = 7
	CodeDatabase           = 8
	CodeInvalidSize        = 9
	CodeInvalidOptions     = 11
	CodeOperationUnsupport = 12
	CodeForeignUnresolved  = 13
	CodeReferencedByOthers = 19
)

var codeNames = map[int]string{
	1: "invalid primary key", 2: "schema violation", 3: "primary key violation", 4: "foreign key violation",
	5: "unique constraint violation", 6: "not found", 7: "invalid offset", 8: "database error",
	9: "invalid size", 11: "invalid options", 12: "operation unsupported", 13: "foreign keys unresolved",
	19: "referenced by others",
}

// Error is one of Kong's DAO errors; its JSON form is Kong's error body.
type Error struct {
	Code    int
	Message string
	Fields  map[string]any
	// Options replaces Fields for invalid options (Kong puts them under
	// "options").
	Options map[string]any
	// Err is the underlying cause of a database error; never shown to
	// clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Name is Kong's name for the error code.
func (e *Error) Name() string { return codeNames[e.Code] }

// Body is Kong's JSON error body for the error.
func (e *Error) Body() map[string]any {
	b := map[string]any{"code": e.Code, "name": e.Name(), "message": e.Message}
	if e.Options != nil {
		b["options"] = e.Options
	} else if e.Fields != nil {
		b["fields"] = e.Fields
	}
	return b
}

// ErrNotFound is returned by reads of an absent entity.
var ErrNotFound = errors.New("entity not found")

// IsDatabaseError reports whether err is a database (code 8) error: the
// Admin API answers those with Kong's generic 500.
func IsDatabaseError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeDatabase
}

func dbError(err error) error {
	return &Error{Code: CodeDatabase, Message: "database error", Err: err}
}

// LuaString renders a value the way Kong prints keys in its messages
// (pl.pretty-like, keys sorted): {consumer=null,name="key-auth"}.
func LuaString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+LuaString(x[k]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, LuaString(e))
		}
		return "{" + strings.Join(parts, ",") + "}"
	default:
		return fmt.Sprint(x)
	}
}
