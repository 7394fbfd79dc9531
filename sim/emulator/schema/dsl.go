// Package schema holds Kong 3.9.3's entity and plugin schemas as data, and
// uses that same data to validate entities, fill their defaults and serve
// them on /schemas, so that what the emulator stores is exactly what its
// schemas advertise (decK fills defaults from /schemas and must see no diff).
package schema

// Type is a Kong schema field type; the names are Kong's so that they can be
// served unchanged on /schemas.
type Type string

// Kong's field types.
const (
	String  Type = "string"
	Integer Type = "integer"
	Number  Type = "number"
	Boolean Type = "boolean"
	Array   Type = "array"
	Set     Type = "set"
	Map     Type = "map"
	Record  Type = "record"
	Foreign Type = "foreign"
	JSON    Type = "json"
)

// Field is one field of a schema, with the attributes of Kong's schema DSL;
// the served JSON and the validation both read these attributes.
type Field struct {
	Name string
	Type Type

	Required, Unique, Auto, Immutable bool
	// Default is the JSON-typed default (float64, string, bool, []any,
	// map[string]any or nil); HasDefault tells an explicit null default
	// (served as absent, like Lua's nil) from none.
	Default    any
	HasDefault bool

	// Reference is the referenced entity's schema name for foreign fields.
	Reference string
	// OnDelete is "cascade", "null" or "" (restrict) for foreign fields.
	OnDelete string

	Elements, Keys, Values *Field
	Fields                 []*Field
	// Shorthands are the record's shorthand_fields (served, and applied by
	// Process before validation).
	Shorthands []*Shorthand

	// Validators, named like Kong's.
	OneOf    []any
	NotOneOf []any
	Between  *[2]float64
	Gt       *float64
	LenEq    *int
	LenMin   *int
	LenMax   *int
	Match    string // Lua pattern, served as-is
	NotMatch string
	MatchAll []PatternErr
	// ExclusiveSubsets is Kong's mutually_exclusive_subsets.
	ExclusiveSubsets [][]string
	MatchAny         *MatchAny
	MatchNone        []PatternErr
	StartsWith       string
	Contains         any
	UUID             bool
	Timestamp        bool
	Eq               any
	HasEq            bool
	Ne               any
	HasNe            bool
	IsRegex          bool
	Referenceable    bool
	Encrypted        bool
	Description      string
	// Custom is a Go port of Kong's custom_validator (not served); it returns
	// Kong's message, or "" when the value is valid.
	Custom func(v any) string
	// Extra holds further JSON-only attributes served verbatim.
	Extra map[string]any
	// Err replaces every validator message, as Kong's err attribute does.
	Err string
	// Transient fields are accepted and served but not stored in the row.
	Transient bool
	// optional records stay optional inside entities (required = false).
	optional bool
	// Checks are a record's entity_checks.
	Checks []*Check
}

// Opt sets one attribute of a Field; schemas are declared with F(name,
// type, opts...) so that they read like Kong's Lua definitions.
type Opt func(*Field)

// MatchAny is Kong's match_any validator: at least one pattern must match.
type MatchAny struct {
	Patterns []string
	Err      string
}

// PatternErr is one entry of Kong's match_none validator.
type PatternErr struct {
	Pattern string
	Err     string
}

// Shorthand is one of Kong's shorthand_fields: an input-only field that is
// translated into real fields before validation.
type Shorthand struct {
	Field *Field
	// Translate receives the shorthand's value and the entity (or record)
	// being processed and writes the real fields; a non-empty return is a
	// violation message for the shorthand field.
	Translate func(v any, rec map[string]any) string
	// replacedWith is the path of the real field a deprecated shorthand
	// stands for; Kong echoes the shorthand with that value on reads.
	replacedWith []string
}

// Entity is one DAO schema: its storage, its Admin API paths and its fields.
type Entity struct {
	Name          string   // schema name: "services", "keyauth_credentials", "plugins"
	Table         string   // PostgreSQL table ("sm_vaults" for vaults)
	AdminPath     string   // top-level collection path: "services", "key-auths", "vaults"
	NestedPath    string   // path under its parent: "routes", "key-auth", "targets"
	EndpointKey   string   // "name", "username", "key", "instance_name", "prefix", "target"
	CacheKey      []string // e.g. plugins: name, route, service, consumer
	Workspaceable bool
	TTL           bool
	// Internal entities (workspaces) have no Admin API.
	Internal bool
	Fields   []*Field // in Kong's order
	// Checks are the entity_checks, served and enforced.
	Checks []*Check
	// Shorthands are the entity's shorthand_fields (not served at top level,
	// as Kong strips them).
	Shorthands []*Shorthand
	// SubschemaKey names the field whose value selects a subschema
	// ("name" for plugins and vaults, "protocols" for routes).
	SubschemaKey string
	// subschema returns the field overrides and checks for a subschema key
	// value; ok is false when the value names no subschema.
	subschema func(key any) (fields []*Field, checks []*Check, ok bool)
	// SubschemaError formats the unknown-subschema message (%s = key).
	SubschemaError string
	// transform derives fields after validation (Kong's transformations:
	// ca_certificates.cert_digest, basic-auth password hashing, target
	// normalisation); input holds the fields the caller supplied.
	transform func(rec, input map[string]any, op Op) map[string]any
}

// Op tells Process which Admin API write it serves, because defaults and
// auto fields differ between them.
type Op int

// The write operations.
const (
	Insert Op = iota // POST: defaults and auto fields filled
	Upsert           // PUT: full replacement, defaults filled
	Update           // PATCH: input already merged with the stored row
)
