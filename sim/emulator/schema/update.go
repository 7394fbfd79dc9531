package schema

import "time"

// ProcessUpdate serves PATCH (and PUT on an existing target) the way Kong's
// DAO does: the patch's shorthands are expanded first, then it is merged
// over the stored row (records merged field by field, arrays and maps
// replaced), then the whole entity is validated. Transformations (password
// hashing, cert_digest) run only for fields the patch supplies.
func (e *Entity) ProcessUpdate(stored, patch map[string]any, now time.Time) (map[string]any, error) {
	if patch == nil {
		patch = map[string]any{}
	}
	p, _ := normalizeJSON(patch).(map[string]any)
	base, _ := normalizeJSON(stored).(map[string]any)
	if base == nil {
		base = map[string]any{}
	}
	probe := mergeValues(e.Fields, p, base)
	fields, _, serr := e.resolveSubschema(probe)
	if serr != nil {
		return nil, serr
	}
	p, errs := processRecord(fields, e.Shorthands, p, pctx{op: Update, now: now})
	if len(errs) > 0 {
		return nil, &Error{Fields: errs}
	}
	merged := mergeValues(fields, p, base)
	return e.finish(merged, p, Update)
}

// mergeValues is Kong's Schema:merge_values.
func mergeValues(fields []*Field, top, bottom map[string]any) map[string]any {
	out := make(map[string]any, len(bottom)+len(top))
	for k, v := range bottom {
		out[k] = v
	}
	for k, v := range top {
		out[k] = v
	}
	for _, f := range fields {
		tv, ok := top[f.Name]
		if !ok || f.Type != Record {
			continue
		}
		tm, isMap := tv.(map[string]any)
		if !isMap {
			continue
		}
		bm, _ := bottom[f.Name].(map[string]any)
		if bm == nil {
			bm = map[string]any{}
		}
		out[f.Name] = mergeValues(f.Fields, tm, bm)
	}
	return out
}

// Present returns a stored entity as Kong serves it on reads: deprecated
// shorthand fields of records (rate-limiting's config.redis_host, ...) are
// echoed with the value of the field they stand for. Writes never store
// them.
func (e *Entity) Present(row map[string]any) map[string]any {
	fields, _, err := e.resolveSubschema(row)
	if err != nil {
		return row
	}
	out, _ := normalizeJSON(row).(map[string]any)
	presentRecord(fields, out)
	return out
}

func presentRecord(fields []*Field, rec map[string]any) {
	for _, f := range fields {
		if f.Type != Record {
			continue
		}
		sub, ok := rec[f.Name].(map[string]any)
		if !ok {
			continue
		}
		presentRecord(f.Fields, sub)
		for _, sh := range f.Shorthands {
			if sh.replacedWith == nil {
				continue
			}
			v, _ := getField(sub, joinDots(sh.replacedWith))
			sub[sh.Field.Name] = v
		}
	}
}

func joinDots(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += "."
		}
		s += p
	}
	return s
}
