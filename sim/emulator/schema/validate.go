package schema

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Kong's validation messages (kong/db/schema/init.lua validation_errors).
const (
	msgArray        = "expected an array"
	msgSet          = "expected a set"
	msgMap          = "expected a map"
	msgRecord       = "expected a record"
	msgString       = "expected a string"
	msgNumber       = "expected a number"
	msgBoolean      = "expected a boolean"
	msgInteger      = "expected an integer"
	msgRequired     = "required field missing"
	msgUnknown      = "unknown field"
	msgTimestamp    = "expected a valid timestamp"
	msgUUID         = "expected a valid UUID"
	msgMissingPK    = "missing primary key"
	msgReqForCheck  = "field required for entity check"
	msgConditional  = "failed conditional validation given value of field '%s'"
	msgAtLeastOneOf = "at least one of these fields must be non-empty: %s"
	msgOnlyOneOf    = "exactly one of these fields must be non-empty: %s"
	msgDistinct     = "values of these fields must be distinct: %s"
	msgMutReq       = "all or none of these fields must be set: %s"
	msgMutExcl      = "only one or none of these fields must be set: %s"
	msgMutExclSets  = "these sets are mutually exclusive: %s"
)

var uuidRE = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// validateRecord is Kong's Schema:validate over one record: every key is
// validated (unknown keys refused), required fields checked, then the
// entity checks run. It returns Kong's nested error table, empty if valid.
func validateRecord(fields []*Field, checks []*Check, data map[string]any, full bool, extra map[string]bool) map[string]any {
	errs := map[string]any{}
	byName := make(map[string]*Field, len(fields))
	for _, f := range fields {
		byName[f.Name] = f
	}
	for k, v := range data {
		if k == "updated_at" {
			continue // Kong's unvalidated_fields: the auto value replaces it
		}
		f, ok := byName[k]
		if !ok {
			if !extra[k] {
				errs[k] = msgUnknown
			}
			continue
		}
		if _, err := validateField(f, v); err != nil {
			errs[k] = err
		}
	}
	for _, f := range fields {
		v, present := data[f.Name]
		if f.Required && ((present && v == nil) || (full && !present)) {
			errs[f.Name] = msgRequired
		}
	}
	for _, c := range checks {
		runCheck(c, fields, data, full, errs)
	}
	return errs
}

// validateField is Kong's Schema:validate_field. The error is a string, or
// a nested map (records) or slice (array elements).
func validateField(f *Field, v any) (bool, any) {
	if v == nil {
		if f.HasEq && f.Eq != nil {
			return false, fmt.Sprintf("value must be %s", luaString(f.Eq))
		}
		if f.Required {
			return false, msgRequired
		}
		return true, nil
	}
	if f.HasEq && f.Eq == nil {
		return false, orErr(f, "value must be null")
	}
	switch f.Type {
	case Array, Set:
		arr, ok := v.([]any)
		if !ok {
			if m, isMap := v.(map[string]any); isMap && len(m) == 0 {
				arr = []any{} // Lua cannot tell {} from []
			} else if f.Type == Array {
				return false, msgArray
			} else {
				return false, msgSet
			}
		}
		if f.Elements != nil {
			el := *f.Elements
			el.Required = true
			var errs []any
			for i, x := range arr {
				if ok, err := validateField(&el, x); !ok {
					for len(errs) < i {
						errs = append(errs, nil)
					}
					errs = append(errs, err)
				}
			}
			if errs != nil {
				return false, errs
			}
		}
	case Map:
		m, ok := v.(map[string]any)
		if !ok {
			if arr, isArr := v.([]any); isArr && len(arr) == 0 {
				m = map[string]any{}
			} else {
				return false, msgMap
			}
		}
		for k, x := range m {
			if f.Keys != nil {
				kf := *f.Keys
				kf.Required = true
				if ok, err := validateField(&kf, k); !ok {
					return false, err
				}
			}
			if f.Values != nil {
				vf := *f.Values
				vf.Required = true
				if ok, err := validateField(&vf, x); !ok {
					return false, err
				}
			}
		}
	case Record:
		m, ok := v.(map[string]any)
		if !ok {
			if arr, isArr := v.([]any); isArr && len(arr) == 0 {
				m = map[string]any{}
			} else {
				return false, msgRecord
			}
		}
		cp, _ := deepCopy(m).(map[string]any)
		cp, perrs := processRecord(f.Fields, f.Shorthands, cp, pctx{op: Insert})
		if len(perrs) > 0 {
			return false, perrs
		}
		if errs := validateRecord(f.Fields, f.Checks, cp, true, nil); len(errs) > 0 {
			return false, errs
		}
	case Foreign:
		m, ok := v.(map[string]any)
		if !ok {
			return false, map[string]any{"id": msgMissingPK}
		}
		id, present := m["id"]
		if !present || id == nil {
			return false, map[string]any{"id": msgMissingPK}
		}
		s, isStr := id.(string)
		if !isStr {
			return false, map[string]any{"id": msgString}
		}
		if !uuidRE.MatchString(s) {
			return false, map[string]any{"id": msgUUID}
		}
	case Integer:
		n, ok := v.(float64)
		if !ok || n != math.Floor(n) || math.IsInf(n, 0) {
			return false, msgInteger
		}
	case Number:
		if _, ok := v.(float64); !ok {
			return false, msgNumber
		}
	case Boolean:
		if _, ok := v.(bool); !ok {
			return false, msgBoolean
		}
	case String:
		s, ok := v.(string)
		if !ok {
			return false, msgString
		}
		if f.Referenceable && strings.HasPrefix(s, "{vault://") && strings.HasSuffix(s, "}") {
			return true, nil
		}
	case JSON:
		return true, nil
	}
	if msg := runValidators(f, v); msg != "" {
		return false, orErr(f, msg)
	}
	return true, nil
}

// orInvalid is Kong's fallback message for pattern validators without err.
func orInvalid(msg, value string) string {
	if msg == "" {
		return "invalid value: " + value
	}
	return msg
}

func orErr(f *Field, msg string) string {
	if f.Err != "" {
		return f.Err
	}
	return msg
}

// runValidators applies the validators in Kong's validators_order.
func runValidators(f *Field, v any) string {
	s, isStr := v.(string)
	n, isNum := v.(float64)
	if f.HasEq && !equalJSON(v, f.Eq) {
		return fmt.Sprintf("value must be %s", luaString(f.Eq))
	}
	if f.HasNe && equalJSON(v, f.Ne) {
		return "value must not be " + luaString(v)
	}
	if f.NotOneOf != nil {
		for _, o := range f.NotOneOf {
			if equalJSON(v, o) {
				return "must not be one of: " + joinLua(f.NotOneOf)
			}
		}
	}
	if f.OneOf != nil {
		found := false
		for _, o := range f.OneOf {
			if equalJSON(v, o) {
				found = true
				break
			}
		}
		if !found {
			return "expected one of: " + joinLua(f.OneOf)
		}
	}
	if f.Gt != nil && isNum && !(n > *f.Gt) {
		return "value must be greater than " + luaString(*f.Gt)
	}
	if f.Timestamp && isNum && !(n > 0) {
		return msgTimestamp
	}
	if f.UUID && isStr && (len(s) != 36 || !uuidRE.MatchString(s)) {
		return msgUUID
	}
	if f.IsRegex && isStr {
		if _, err := regexp.Compile(s); err != nil {
			return "not a valid regex: " + s
		}
	}
	if f.Between != nil && isNum && (n < f.Between[0] || n > f.Between[1]) {
		return fmt.Sprintf("value should be between %d and %d", int64(f.Between[0]), int64(f.Between[1]))
	}
	length := -1
	switch t := v.(type) {
	case string:
		length = len(t)
	case []any:
		length = len(t)
	case map[string]any:
		length = len(t)
	}
	if length >= 0 {
		if f.LenEq != nil && length != *f.LenEq {
			return fmt.Sprintf("length must be %d", *f.LenEq)
		}
		lenMin := f.LenMin
		if lenMin == nil && isStr {
			one := 1
			lenMin = &one
		}
		if lenMin != nil && length < *lenMin {
			return fmt.Sprintf("length must be at least %d", *lenMin)
		}
		if f.LenMax != nil && length > *f.LenMax {
			return fmt.Sprintf("length must be at most %d", *f.LenMax)
		}
	}
	if isStr {
		if f.StartsWith != "" && !strings.HasPrefix(s, f.StartsWith) {
			return "should start with: " + f.StartsWith
		}
		if f.NotMatch != "" && luaMatch(s, f.NotMatch) {
			return "invalid value: " + s
		}
		for _, p := range f.MatchNone {
			if luaMatch(s, p.Pattern) {
				return orInvalid(p.Err, s)
			}
		}
		if f.Match != "" && !luaMatch(s, f.Match) {
			return "invalid value: " + s
		}
		for _, p := range f.MatchAll {
			if !luaMatch(s, p.Pattern) {
				return orInvalid(p.Err, s)
			}
		}
		if f.MatchAny != nil {
			ok := false
			for _, p := range f.MatchAny.Patterns {
				if luaMatch(s, p) {
					ok = true
					break
				}
			}
			if !ok {
				return orInvalid(f.MatchAny.Err, s)
			}
		}
	}
	if f.Contains != nil {
		arr, _ := v.([]any)
		found := false
		for _, x := range arr {
			if equalJSON(x, f.Contains) {
				found = true
			}
		}
		if !found {
			return "expected to contain: " + luaString(f.Contains)
		}
	}
	if f.Custom != nil {
		if msg := f.Custom(v); msg != "" {
			return msg
		}
	}
	if f.ExclusiveSubsets != nil {
		if msg := exclusiveSubsets(v, f.ExclusiveSubsets); msg != "" {
			return msg
		}
	}
	return ""
}

func exclusiveSubsets(v any, subsets [][]string) string {
	arr, _ := v.([]any)
	var member [][]string
	seen := map[int]bool{}
	for _, x := range arr {
		for i, sub := range subsets {
			for _, el := range sub {
				if el == x && !seen[i] {
					seen[i] = true
					member = append(member, sub)
				}
			}
		}
	}
	if len(member) <= 1 {
		return ""
	}
	var parts []string
	for _, m := range member {
		parts = append(parts, "("+quotedList(m)+")")
	}
	return fmt.Sprintf(msgMutExclSets, strings.Join(parts, ", "))
}

// luaString formats a value as Lua's tostring would, for messages.
func luaString(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1e15 {
			return fmt.Sprintf("%d", int64(t))
		}
		return fmt.Sprint(t)
	case string:
		return t
	}
	return fmt.Sprint(v)
}

func joinLua(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = luaString(v)
	}
	return strings.Join(parts, ", ")
}

func quotedList(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = "'" + n + "'"
	}
	return strings.Join(parts, ", ")
}

// isNonEmpty is Kong's is_nonempty.
func isNonEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return true
}

func validUTF8(s string) bool { return utf8.ValidString(s) }
