package schema

// Check is one of Kong's entity_checks. Kind names the check as Kong does
// ("at_least_one_of", "conditional", "mutually_required", ...), so the same
// value is both served on /schemas and enforced by Process.
type Check struct {
	Kind   string
	Fields []string // at_least_one_of, only_one_of, distinct, mutually_required, mutually_exclusive

	// conditional and conditional_at_least_one_of
	IfField              string
	IfMatch              *Field // validator-only field: OneOf, Eq, ...
	ThenField            string
	ThenMatch            *Field
	ThenAtLeastOneOf     []string
	ThenErr              string
	ElseMatch            *Field
	ElseThenAtLeastOneOf []string
	ElseThenErr          string

	// mutually_exclusive_subsets
	Subsets [][]string

	// custom_entity_check: Fn receives the processed entity and returns the
	// violations it finds (field → message; "@entity" for entity level).
	FieldSources []string
	Fn           func(rec map[string]any) map[string]string
}
