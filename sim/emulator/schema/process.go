package schema

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// pctx carries what Kong's process_auto_fields receives: the write context
// and the clock.
type pctx struct {
	op  Op
	now time.Time
}

func (e *Entity) process(in map[string]any, op Op, now time.Time) (map[string]any, error) {
	if in == nil {
		in = map[string]any{}
	}
	data, _ := normalizeJSON(in).(map[string]any)
	input, _ := normalizeJSON(in).(map[string]any)
	fields, _, serr := e.resolveSubschema(data)
	if serr != nil {
		return nil, serr
	}
	c := pctx{op: op, now: now}
	data, errs := processRecord(fields, e.Shorthands, data, c)
	if len(errs) > 0 {
		return nil, &Error{Fields: errs}
	}
	if e.TTL {
		if _, ok := data["ttl"]; !ok && op != Update {
			data["ttl"] = nil
		}
	}
	if op == Update {
		// a merged row: fields the caller did not change look supplied, so
		// transformations must not re-apply to stored values.
		marked := make(map[string]any, len(input)+1)
		for k, v := range input {
			marked[k] = v
		}
		marked["@merged"] = true
		input = marked
	}
	return e.finish(data, input, op)
}

// finish validates a processed entity against its (sub)schema and runs
// the transformations; input is what the caller supplied.
func (e *Entity) finish(data, input map[string]any, op Op) (map[string]any, error) {
	fields, checks, serr := e.resolveSubschema(data)
	if serr != nil {
		return nil, serr
	}
	errs := validateRecord(fields, append(append([]*Check{}, e.Checks...), checks...), data, true, e.extraKeys())
	if len(errs) > 0 {
		return nil, &Error{Fields: errs}
	}
	if schemaField(fields, "updated_at") == nil {
		delete(data, "updated_at") // accepted unvalidated, never stored
	}
	if e.transform != nil {
		data = e.transform(data, input, op)
		if v, ok := data["@error"]; ok {
			delete(data, "@error")
			return nil, &Error{Fields: v.(map[string]any)}
		}
	}
	return data, nil
}

// extraKeys are keys Kong's DAO accepts beside the schema fields.
func (e *Entity) extraKeys() map[string]bool {
	if e.TTL {
		return map[string]bool{"ttl": true}
	}
	return nil
}

// resolveSubschema merges the subschema's fields over the entity's, as
// Kong's each_field does; it reports Kong's errors when the key is missing
// or names no subschema.
func (e *Entity) resolveSubschema(data map[string]any) ([]*Field, []*Check, *Error) {
	if e.subschema == nil {
		return e.Fields, nil, nil
	}
	key, present := data[e.SubschemaKey]
	if !present || key == nil {
		if e.SubschemaKey == "protocols" {
			return e.Fields, nil, nil
		}
		return nil, nil, &Error{Fields: map[string]any{e.SubschemaKey: msgRequired}}
	}
	over, checks, ok := e.subschema(key)
	if !ok {
		if e.SubschemaKey == "protocols" {
			return e.Fields, nil, nil
		}
		name, _ := key.(string)
		if arr, isArr := key.([]any); isArr && len(arr) > 0 {
			name = fmt.Sprint(arr[0])
		}
		if _, isStr := key.(string); !isStr && name == "" {
			return nil, nil, &Error{Fields: map[string]any{e.SubschemaKey: msgString}}
		}
		return nil, nil, &Error{Fields: map[string]any{e.SubschemaKey: fmt.Sprintf(e.SubschemaError, name)}}
	}
	return overlayFields(e.Fields, over), checks, nil
}

// overlayFields replaces fields by name, keeping the parent's order.
func overlayFields(base, over []*Field) []*Field {
	out := make([]*Field, len(base))
	for i, f := range base {
		out[i] = f
		for _, o := range over {
			if o.Name == f.Name {
				out[i] = o
			}
		}
	}
	return out
}

// processRecord is Kong's process_auto_fields for one record: shorthands,
// auto fields and defaults. Unknown keys stay for validation to report.
func processRecord(fields []*Field, shorthands []*Shorthand, data map[string]any, c pctx) (map[string]any, map[string]any) {
	errs := map[string]any{}
	for _, sh := range shorthands {
		v, ok := data[sh.Field.Name]
		if !ok {
			continue
		}
		if _, err := validateField(sh.Field, v); err != nil {
			errs[sh.Field.Name] = err
			continue
		}
		delete(data, sh.Field.Name)
		if msg := sh.Translate(v, data); msg != "" {
			errs[sh.Field.Name] = msg
		}
	}
	if len(errs) > 0 {
		return data, errs
	}
	insertish := c.op == Insert || c.op == Upsert
	for _, f := range fields {
		v, present := data[f.Name]
		if f.Auto {
			switch {
			case f.UUID:
				if insertish && !present {
					v, present = newUUID(), true
				}
			case f.Type == String:
				if insertish && !present {
					v, present = randomString(), true
				}
			case f.Name == "created_at" && insertish && v == nil,
				f.Name == "updated_at":
				if f.Type == Number {
					v = float64(c.now.UnixMilli()) / 1000
				} else {
					v = float64(c.now.Unix())
				}
				present = true
			}
		}
		nv, np, ferr := adjustField(f, v, present, c)
		if ferr != nil {
			errs[f.Name] = ferr
		}
		if np {
			data[f.Name] = nv
		}
	}
	return data, errs
}

// adjustField is Kong's adjust_field_for_context: records recurse (filling
// required ones), arrays and maps recurse into their elements, sets lose
// duplicates, and missing values get their default or null. The error, nil
// when there is none, is shaped as validation's: a record's field → message
// map, an array's list with nil for the elements without one, a map's key →
// error map.
func adjustField(f *Field, v any, present bool, c pctx) (any, bool, any) {
	switch f.Type {
	case Record:
		recurse := present && v != nil
		if c.op != Update {
			recurse = (present && v != nil) || (!present && f.Required)
		}
		if recurse {
			if !present {
				v, present = handleMissing(f)
			}
			if m, ok := v.(map[string]any); ok {
				out, errs := processRecord(f.Fields, f.Shorthands, m, c)
				if len(errs) > 0 {
					return out, true, errs
				}
				return out, true, nil
			}
		}
	case Array, Set, Map:
		if !present && c.op != Update && f.HasDefault {
			// Kong stores the default as is, but serves it through a select
			// that fills each element record; fill now so both agree.
			v, present = handleMissing(f)
		}
		sub := f.Elements
		if f.Type == Map {
			sub = f.Values
		}
		switch t := v.(type) {
		case []any:
			if f.Type == Set {
				t = dedupe(t)
			}
			var elErrs []any
			if sub != nil {
				for i, el := range t {
					nv, _, err := adjustField(sub, el, true, c)
					t[i] = nv
					if err != nil {
						elErrs = append(elErrs, make([]any, i-len(elErrs))...)
						elErrs = append(elErrs, err)
					}
				}
			}
			v = t
			if elErrs != nil {
				return v, true, elErrs
			}
		case map[string]any:
			valErrs := map[string]any{}
			if sub != nil && f.Type == Map {
				for k, el := range t {
					nv, _, err := adjustField(sub, el, true, c)
					t[k] = nv
					if err != nil {
						valErrs[k] = err
					}
				}
			}
			if len(valErrs) > 0 {
				return v, true, valErrs
			}
		}
	}
	if !present && c.op != Update {
		return handleMissingProcessed(f, c)
	}
	return v, present, nil
}

func handleMissingProcessed(f *Field, c pctx) (any, bool, any) {
	v, ok := handleMissing(f)
	if ok && f.Type == Record && !f.HasDefault {
		if m, isMap := v.(map[string]any); isMap {
			out, errs := processRecord(f.Fields, f.Shorthands, m, pctx{op: Insert, now: c.now})
			if len(errs) > 0 {
				return out, true, errs
			}
			return out, true, nil
		}
	}
	return v, ok, nil
}

// handleMissing is Kong's handle_missing_field.
func handleMissing(f *Field) (any, bool) {
	if f.HasDefault {
		return deepCopy(f.Default), true
	}
	if !f.Required {
		return nil, true
	}
	if f.Type == Record {
		return map[string]any{}, true
	}
	return nil, false
}

func dedupe(in []any) []any {
	out := make([]any, 0, len(in))
	for _, v := range in {
		dup := false
		for _, w := range out {
			if equalJSON(v, w) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// normalizeJSON deep-copies decoded JSON, turning every number into
// float64 so that validation sees one numeric type, as Lua does.
func normalizeJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = normalizeJSON(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalizeJSON(x)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = x
		}
		return out
	case json.Number:
		if f, err := strconv.ParseFloat(string(t), 64); err == nil {
			return f
		}
		return string(t)
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case int32:
		return float64(t)
	case float32:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return v
}

func deepCopy(v any) any { return normalizeJSON(v) }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString mirrors Kong's random_string: 32 alphanumeric characters.
func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b[:])
}
