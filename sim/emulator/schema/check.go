package schema

import (
	"fmt"
	"strings"
)

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
	FieldSources   []string
	RunWithMissing bool
	Fn             func(rec map[string]any) map[string]string
}

// getField reads a dotted path ("config.policy"); absent is (nil, false).
func getField(data map[string]any, path string) (any, bool) {
	cur := any(data)
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[part]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// setError places a message at a dotted path in Kong's nested error table.
func setError(errs map[string]any, path string, msg any) {
	parts := strings.Split(path, ".")
	cur := errs
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[parts[len(parts)-1]] = msg
}

func hasError(errs map[string]any, path string) bool {
	cur := any(errs)
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return true // a parent already failed as a whole
		}
		if cur, ok = m[p]; !ok {
			return false
		}
	}
	return true
}

func entityError(errs map[string]any, msg string) {
	list, _ := errs["@entity"].([]any)
	errs["@entity"] = append(list, msg)
}

// schemaField finds a (possibly dotted) field definition.
func schemaField(fields []*Field, path string) *Field {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		var found *Field
		for _, f := range fields {
			if f.Name == p {
				found = f
			}
		}
		if found == nil {
			return nil
		}
		if i == len(parts)-1 {
			return found
		}
		fields = found.Fields
	}
	return nil
}

// withMatch lays a check's if_match/then_match attributes over the schema
// field, as Kong's metatable __index fallback does.
func withMatch(base, m *Field) *Field {
	var out Field
	if base != nil {
		out = *base
	}
	if m.Type != "" {
		out.Type = m.Type
	}
	if m.HasEq {
		out.HasEq, out.Eq = true, m.Eq
	}
	if m.OneOf != nil {
		out.OneOf = m.OneOf
	}
	if m.NotOneOf != nil {
		out.NotOneOf = m.NotOneOf
	}
	if m.Match != "" {
		out.Match = m.Match
	}
	if m.Elements != nil {
		out.Elements = m.Elements
	}
	if m.MatchAny != nil {
		out.MatchAny = m.MatchAny
	}
	if m.MatchAll != nil {
		out.MatchAll = m.MatchAll
	}
	if m.MatchNone != nil {
		out.MatchNone = m.MatchNone
	}
	if m.NotMatch != "" {
		out.NotMatch = m.NotMatch
	}
	if m.StartsWith != "" {
		out.StartsWith = m.StartsWith
	}
	if m.HasNe {
		out.HasNe, out.Ne = true, m.Ne
	}
	if m.Contains != nil {
		out.Contains = m.Contains
	}
	if m.LenEq != nil {
		out.LenEq = m.LenEq
	}
	if m.LenMin != nil {
		out.LenMin = m.LenMin
	}
	if m.Between != nil {
		out.Between = m.Between
	}
	if m.Gt != nil {
		out.Gt = m.Gt
	}
	if m.Required {
		out.Required = true
	}
	if m.Custom != nil {
		out.Custom = m.Custom
	}
	out.Err = m.Err
	return &out
}

// runCheck is Kong's run_entity_check for one check.
func runCheck(c *Check, fields []*Field, data map[string]any, full bool, errs map[string]any) {
	var toCheck []string
	required := map[string]bool{}
	runMissing, runInvalid := false, false
	switch c.Kind {
	case "at_least_one_of":
		toCheck, runMissing, runInvalid = c.Fields, true, true
	case "only_one_of", "distinct":
		toCheck, runInvalid = c.Fields, true
		for _, f := range c.Fields {
			required[f] = true
		}
	case "mutually_required", "mutually_exclusive":
		toCheck, runMissing = c.Fields, true
	case "conditional":
		toCheck, runInvalid = []string{c.IfField, c.ThenField}, true
		required[c.IfField] = true
	case "conditional_at_least_one_of":
		toCheck = append(append([]string{c.IfField}, c.ThenAtLeastOneOf...), c.ElseThenAtLeastOneOf...)
		runMissing, runInvalid = true, true
		required[c.IfField] = true
	case "custom_entity_check":
		toCheck = c.FieldSources
		for _, f := range c.FieldSources {
			required[f] = true
		}
		runMissing = c.RunWithMissing
	}
	var missing []string
	allNil, allOK := true, true
	for _, name := range toCheck {
		v, present := getField(data, name)
		if !present {
			if !runMissing && required[name] {
				missing = append(missing, name)
			}
		} else {
			allNil = false
			if s, ok := v.(string); ok && strings.HasPrefix(s, "{vault://") {
				if f := schemaField(fields, name); f != nil && f.Referenceable {
					return
				}
			}
		}
		if hasError(errs, name) {
			allOK = false
		}
	}
	if !allOK && !runInvalid {
		return
	}
	if allNil && !(runMissing && full) {
		return
	}
	if missing != nil {
		for _, m := range missing {
			setError(errs, m, msgReqForCheck)
		}
		return
	}
	get := func(name string) any { v, _ := getField(data, name); return v }
	nonEmptyAny := func(names []string) bool {
		for _, n := range names {
			if isNonEmpty(get(n)) {
				return true
			}
		}
		return false
	}
	countNonEmpty := func(names []string) int {
		n := 0
		for _, name := range names {
			if isNonEmpty(get(name)) {
				n++
			}
		}
		return n
	}
	switch c.Kind {
	case "at_least_one_of":
		if !nonEmptyAny(c.Fields) {
			entityError(errs, fmt.Sprintf(msgAtLeastOneOf, quotedList(c.Fields)))
		}
	case "only_one_of":
		if countNonEmpty(c.Fields) != 1 {
			entityError(errs, fmt.Sprintf(msgOnlyOneOf, quotedList(c.Fields)))
		}
	case "distinct":
		var seen []any
		for _, n := range c.Fields {
			v := get(n)
			if !isNonEmpty(v) {
				continue
			}
			for _, s := range seen {
				if equalJSON(s, v) {
					entityError(errs, fmt.Sprintf(msgDistinct, quotedList(c.Fields)))
					return
				}
			}
			seen = append(seen, v)
		}
	case "mutually_required":
		if n := countNonEmpty(c.Fields); n != 0 && n != len(c.Fields) {
			entityError(errs, fmt.Sprintf(msgMutReq, quotedList(c.Fields)))
		}
	case "mutually_exclusive":
		if countNonEmpty(c.Fields) > 1 {
			entityError(errs, fmt.Sprintf(msgMutExcl, quotedList(c.Fields)))
		}
	case "conditional":
		ifv, thenv := get(c.IfField), get(c.ThenField)
		if ok, _ := validateField(withMatch(schemaField(fields, c.IfField), c.IfMatch), ifv); !ok {
			return
		}
		if c.ThenMatch.Required && thenv == nil {
			setError(errs, c.ThenField, msgRequired)
			entityError(errs, fmt.Sprintf(msgConditional, c.IfField))
			return
		}
		if ok, err := validateField(withMatch(schemaField(fields, c.ThenField), c.ThenMatch), thenv); !ok {
			setError(errs, c.ThenField, err)
			if c.ThenErr != "" {
				entityError(errs, strings.ReplaceAll(c.ThenErr, "%s", c.IfField))
			} else {
				entityError(errs, fmt.Sprintf(msgConditional, c.IfField))
			}
		}
	case "conditional_at_least_one_of":
		ifv, present := getField(data, c.IfField)
		if !present {
			return
		}
		base := schemaField(fields, c.IfField)
		if ok, _ := validateField(withMatch(base, c.IfMatch), ifv); ok {
			if !nonEmptyAny(c.ThenAtLeastOneOf) {
				entityError(errs, conditionalMsg(c.ThenErr, c.ThenAtLeastOneOf))
			}
			return
		}
		if c.ElseMatch == nil {
			return
		}
		if ok, _ := validateField(withMatch(base, c.ElseMatch), ifv); !ok {
			return
		}
		if !nonEmptyAny(c.ElseThenAtLeastOneOf) {
			entityError(errs, conditionalMsg(c.ElseThenErr, c.ElseThenAtLeastOneOf))
		}
	case "custom_entity_check":
		for k, msg := range c.Fn(data) {
			if k == "@entity" {
				entityError(errs, msg)
			} else {
				setError(errs, k, msg)
			}
		}
	}
}

func conditionalMsg(format string, names []string) string {
	list := quotedList(names)
	if format != "" {
		return strings.Replace(format, "%s", list, 1)
	}
	return fmt.Sprintf(msgAtLeastOneOf, list)
}
