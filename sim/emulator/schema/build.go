package schema

// The builders below let schemas be declared as compact data that reads
// like Kong's Lua: F("retries", Integer, Def(5), Between(0, 32767)).

// F declares a field.
func F(name string, t Type, opts ...Opt) *Field {
	f := &Field{Name: name, Type: t}
	for _, o := range opts {
		o(f)
	}
	return f
}

// El declares an unnamed field for elements, keys and values.
func El(t Type, opts ...Opt) *Field { return F("", t, opts...) }

// Def sets the default; numbers may be given as Go ints.
func Def(v any) Opt {
	return func(f *Field) { f.Default, f.HasDefault = normalizeJSON(v), true }
}

// Required marks the field required.
func Required(f *Field) { f.Required = true }

// Optional explicitly sets required = false (records stay optional).
func Optional(f *Field) { f.Required = false; f.optional = true }

// Unique marks the field unique.
func Unique(f *Field) { f.Unique = true }

// Auto marks the field auto-generated.
func Auto(f *Field) { f.Auto = true }

// Immutable marks the field immutable.
func Immutable(f *Field) { f.Immutable = true }

// Referenceable marks the field as accepting vault references.
func Referenceable(f *Field) { f.Referenceable = true }

// Encrypted marks the field encrypted at rest.
func Encrypted(f *Field) { f.Encrypted = true }

// Desc sets the description.
func Desc(d string) Opt { return func(f *Field) { f.Description = d } }

// OneOf sets one_of.
func OneOf(vs ...any) Opt {
	return func(f *Field) { f.OneOf = normalizeJSON(vs).([]any) }
}

// NotOneOf sets not_one_of.
func NotOneOf(vs ...any) Opt {
	return func(f *Field) { f.NotOneOf = normalizeJSON(vs).([]any) }
}

// Between sets between.
func Between(lo, hi float64) Opt { return func(f *Field) { f.Between = &[2]float64{lo, hi} } }

// Gt sets gt.
func Gt(n float64) Opt { return func(f *Field) { f.Gt = &n } }

// LenMin sets len_min.
func LenMin(n int) Opt { return func(f *Field) { f.LenMin = &n } }

// LenMax sets len_max.
func LenMax(n int) Opt { return func(f *Field) { f.LenMax = &n } }

// LenEq sets len_eq.
func LenEq(n int) Opt { return func(f *Field) { f.LenEq = &n } }

// Match sets match (a Lua pattern).
func Match(p string) Opt { return func(f *Field) { f.Match = p } }

// NotMatch sets not_match.
func NotMatch(p string) Opt { return func(f *Field) { f.NotMatch = p } }

// StartsWith sets starts_with.
func StartsWith(p string) Opt { return func(f *Field) { f.StartsWith = p } }

// EqNull sets eq = null (scope restrictions such as no_consumer).
func EqNull(f *Field) { f.HasEq, f.Eq = true, nil }

// Eq sets eq.
func Eq(v any) Opt { return func(f *Field) { f.HasEq, f.Eq = true, normalizeJSON(v) } }

// Err sets err.
func Err(msg string) Opt { return func(f *Field) { f.Err = msg } }

// Elements sets the element field of arrays and sets.
func Elements(el *Field) Opt { return func(f *Field) { f.Elements = el } }

// KV sets the key and value fields of maps.
func KV(k, v *Field) Opt { return func(f *Field) { f.Keys, f.Values = k, v } }

// Fields sets the fields of a record.
func Fields(fs ...*Field) Opt { return func(f *Field) { f.Fields = fs } }

// Ref makes a foreign field reference an entity.
func Ref(entity string) Opt { return func(f *Field) { f.Reference = entity } }

// OnDelete sets on_delete of a foreign field.
func OnDelete(s string) Opt { return func(f *Field) { f.OnDelete = s } }

// Custom sets a custom validator.
func Custom(fn func(v any) string) Opt { return func(f *Field) { f.Custom = fn } }

// CustomStr sets a custom validator over string values.
func CustomStr(fn func(s string) string) Opt {
	return Custom(func(v any) string {
		s, ok := v.(string)
		if !ok {
			return ""
		}
		return fn(s)
	})
}

// Extra serves further attributes verbatim.
func Extra(k string, v any) Opt {
	return func(f *Field) {
		if f.Extra == nil {
			f.Extra = map[string]any{}
		}
		f.Extra[k] = normalizeJSON(v)
	}
}

// With applies options to a copy of a typedef.
func (f *Field) With(opts ...Opt) *Field {
	cp := *f
	for _, o := range opts {
		o(&cp)
	}
	return &cp
}

// Named returns a copy of a typedef under a field name.
func (f *Field) Named(name string, opts ...Opt) *Field {
	cp := f.With(opts...)
	cp.Name = name
	return cp
}

// Ne sets ne.
func Ne(v any) Opt { return func(f *Field) { f.HasNe, f.Ne = true, normalizeJSON(v) } }
