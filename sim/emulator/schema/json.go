package schema

// JSON returns the body of GET /schemas/{name}: Kong's schema_to_jsonable
// of the entity, built from the same Field data that Process uses.
func (e *Entity) JSON() map[string]any {
	return map[string]any{
		"fields":        fieldsJSON(e.Fields),
		"entity_checks": checksJSON(e.Checks),
	}
}

// PluginJSON returns the body of GET /schemas/plugins/{name}: the plugin's
// own schema (scope restrictions, protocols, config), from which decK fills
// defaults.
func PluginJSON(name string) (map[string]any, bool) {
	p, ok := schemas().plugins[name]
	if !ok {
		return nil, false
	}
	return map[string]any{
		"fields":        fieldsJSON(p.Fields),
		"entity_checks": checksJSON(p.Checks),
	}, true
}

func fieldsJSON(fs []*Field) []any {
	out := make([]any, 0, len(fs))
	for _, f := range fs {
		out = append(out, map[string]any{f.Name: f.JSON()})
	}
	return out
}

// JSON returns one field's attributes as Kong serves them.
func (f *Field) JSON() map[string]any {
	m := map[string]any{"type": string(f.Type)}
	set := func(k string, v any) { m[k] = v }
	flag := func(k string, b bool) {
		if b {
			m[k] = true
		}
	}
	if f.Required {
		set("required", true)
	} else if f.optional {
		set("required", false)
	}
	flag("unique", f.Unique)
	flag("auto", f.Auto)
	flag("immutable", f.Immutable)
	flag("uuid", f.UUID)
	flag("timestamp", f.Timestamp)
	flag("is_regex", f.IsRegex)
	flag("referenceable", f.Referenceable)
	flag("encrypted", f.Encrypted)
	flag("transient", f.Transient)
	if f.HasDefault {
		set("default", deepCopy(f.Default))
	}
	if f.Reference != "" {
		set("reference", f.Reference)
	}
	if f.OnDelete != "" {
		set("on_delete", f.OnDelete)
	}
	if f.Elements != nil {
		set("elements", f.Elements.JSON())
	}
	if f.Keys != nil {
		set("keys", f.Keys.JSON())
	}
	if f.Values != nil {
		set("values", f.Values.JSON())
	}
	if f.Type == Record && (f.Extra["abstract"] == nil || f.Fields != nil) {
		set("fields", fieldsJSON(f.Fields))
		if len(f.Shorthands) > 0 {
			var sh []any
			for _, s := range f.Shorthands {
				sh = append(sh, map[string]any{s.Field.Name: s.Field.JSON()})
			}
			set("shorthand_fields", sh)
		}
		if len(f.Checks) > 0 {
			set("entity_checks", checksJSON(f.Checks))
		}
	}
	if f.OneOf != nil {
		set("one_of", deepCopy(f.OneOf))
	}
	if f.NotOneOf != nil {
		set("not_one_of", deepCopy(f.NotOneOf))
	}
	if f.Between != nil {
		set("between", []any{f.Between[0], f.Between[1]})
	}
	if f.Gt != nil {
		set("gt", *f.Gt)
	}
	if f.LenEq != nil {
		set("len_eq", float64(*f.LenEq))
	}
	if f.LenMin != nil {
		set("len_min", float64(*f.LenMin))
	}
	if f.LenMax != nil {
		set("len_max", float64(*f.LenMax))
	}
	if f.Match != "" {
		set("match", f.Match)
	}
	if f.NotMatch != "" {
		set("not_match", f.NotMatch)
	}
	if f.StartsWith != "" {
		set("starts_with", f.StartsWith)
	}
	if f.MatchAll != nil {
		set("match_all", patternsJSON(f.MatchAll))
	}
	if f.MatchNone != nil {
		set("match_none", patternsJSON(f.MatchNone))
	}
	if f.MatchAny != nil {
		ps := make([]any, len(f.MatchAny.Patterns))
		for i, p := range f.MatchAny.Patterns {
			ps[i] = p
		}
		set("match_any", map[string]any{"patterns": ps, "err": f.MatchAny.Err})
	}
	if f.Contains != nil {
		set("contains", f.Contains)
	}
	if f.HasEq {
		set("eq", f.Eq)
	}
	if f.HasNe {
		set("ne", f.Ne)
	}
	if f.Err != "" {
		set("err", f.Err)
	}
	if f.ExclusiveSubsets != nil {
		var subs []any
		for _, s := range f.ExclusiveSubsets {
			subs = append(subs, strs(s))
		}
		set("mutually_exclusive_subsets", subs)
	}
	if f.Description != "" {
		set("description", f.Description)
	}
	for k, v := range f.Extra {
		set(k, deepCopy(v))
	}
	return m
}

func patternsJSON(ps []PatternErr) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = map[string]any{"pattern": p.Pattern, "err": p.Err}
	}
	return out
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func checksJSON(cs []*Check) []any {
	out := make([]any, 0, len(cs))
	for _, c := range cs {
		out = append(out, map[string]any{c.Kind: c.argJSON()})
	}
	return out
}

// matchJSON serves an if_match/then_match: only the attributes it sets.
func matchJSON(f *Field) map[string]any {
	m := f.JSON()
	if f.Type == "" {
		delete(m, "type")
	}
	return m
}

func (c *Check) argJSON() any {
	switch c.Kind {
	case "conditional":
		m := map[string]any{
			"if_field": c.IfField, "if_match": matchJSON(c.IfMatch),
			"then_field": c.ThenField, "then_match": matchJSON(c.ThenMatch),
		}
		if c.ThenErr != "" {
			m["then_err"] = c.ThenErr
		}
		return m
	case "conditional_at_least_one_of":
		m := map[string]any{
			"if_field": c.IfField, "if_match": matchJSON(c.IfMatch),
			"then_at_least_one_of": strs(c.ThenAtLeastOneOf),
		}
		if c.ThenErr != "" {
			m["then_err"] = c.ThenErr
		}
		if c.ElseMatch != nil {
			m["else_match"] = matchJSON(c.ElseMatch)
			m["else_then_at_least_one_of"] = strs(c.ElseThenAtLeastOneOf)
			if c.ElseThenErr != "" {
				m["else_then_err"] = c.ElseThenErr
			}
		}
		return m
	case "custom_entity_check":
		m := map[string]any{"field_sources": strs(c.FieldSources)}
		if c.RunWithMissing {
			m["run_with_missing_fields"] = true
		}
		return m
	case "mutually_exclusive_subsets":
		var subs []any
		for _, s := range c.Subsets {
			subs = append(subs, strs(s))
		}
		return subs
	}
	return strs(c.Fields)
}
