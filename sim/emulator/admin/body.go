package admin

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// readBody decodes a JSON, form-encoded or multipart body into a map, as
// Kong's api_helpers do; form values are typed by e's fields (after
// subschema resolution, so plugin config keys are typed too). An empty body
// is an empty map; other content types are refused with 415.
func readBody(r *http.Request, e *schema.Entity) (map[string]any, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &httpError{http.StatusRequestEntityTooLarge, msg("Request body too large")}
		}
		return nil, badRequest("Cannot read request body")
	}
	ct := r.Header.Get("Content-Type")
	if len(strings.TrimSpace(string(raw))) == 0 && !strings.HasPrefix(ct, "multipart/") {
		return map[string]any{}, nil
	}
	mt, params, _ := mime.ParseMediaType(ct)
	switch mt {
	case "application/json":
		var v any
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		if err := dec.Decode(&v); err != nil || dec.More() {
			return nil, badRequest("Cannot parse JSON body")
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, badRequest("Cannot parse JSON body")
		}
		return m, nil
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, badRequest("Cannot parse form body")
		}
		m := nestForm(vals)
		return coerce(m, e.FieldsFor(m)), nil
	case "multipart/form-data":
		r.Body = io.NopCloser(strings.NewReader(string(raw)))
		r.Header.Set("Content-Type", mime.FormatMediaType(mt, params))
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return nil, badRequest("Cannot parse multipart body")
		}
		m := nestForm(url.Values(r.MultipartForm.Value))
		return coerce(m, e.FieldsFor(m)), nil
	case "":
		return nil, &httpError{http.StatusUnsupportedMediaType, nil}
	default:
		return nil, &httpError{http.StatusUnsupportedMediaType, nil}
	}
}

// nestForm applies Kong's form conventions: "a.b=c" nests records,
// "a[]=x" and repeated keys make arrays, "a[1]=x" indexes arrays,
// "a[k]=v" sets map keys.
func nestForm(vals url.Values) map[string]any {
	out := map[string]any{}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := vals[k]
		path, isArray := splitFormKey(k)
		var v any
		if isArray || len(vs) > 1 {
			arr := make([]any, len(vs))
			for i, x := range vs {
				arr[i] = x
			}
			v = arr
		} else {
			v = vs[0]
		}
		setPath(out, path, v)
	}
	for k, v := range out {
		out[k] = indexedToArrays(v) // the top level stays an object
	}
	return out
}

func splitFormKey(k string) ([]string, bool) {
	isArray := strings.HasSuffix(k, "[]")
	k = strings.TrimSuffix(k, "[]")
	var path []string
	for _, part := range strings.Split(k, ".") {
		for {
			i := strings.IndexByte(part, '[')
			if i < 0 || !strings.HasSuffix(part, "]") {
				path = append(path, part)
				break
			}
			path = append(path, part[:i])
			inner := part[i+1 : len(part)-1]
			part = inner
		}
	}
	return path, isArray
}

func setPath(m map[string]any, path []string, v any) {
	for i, p := range path {
		if i == len(path)-1 {
			if existing, ok := m[p].([]any); ok {
				if arr, isArr := v.([]any); isArr {
					m[p] = append(existing, arr...)
				} else {
					m[p] = append(existing, v)
				}
				return
			}
			m[p] = v
			return
		}
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
}

// indexedToArrays turns maps whose keys are all 1-based indexes into arrays.
func indexedToArrays(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	allIdx := len(m) > 0
	for k, x := range m {
		m[k] = indexedToArrays(x)
		if n, err := strconv.Atoi(k); err != nil || n < 1 || n > len(m) {
			allIdx = false
		}
	}
	if !allIdx {
		return m
	}
	arr := make([]any, len(m))
	for k, x := range m {
		n, _ := strconv.Atoi(k)
		arr[n-1] = x
	}
	return arr
}

// coerce converts form strings to the types the schema expects, as Kong
// does for non-JSON bodies.
func coerce(m map[string]any, fields []*schema.Field) map[string]any {
	for _, f := range fields {
		v, ok := m[f.Name]
		if !ok {
			continue
		}
		m[f.Name] = coerceValue(v, f)
	}
	return m
}

func coerceValue(v any, f *schema.Field) any {
	if f == nil {
		return v
	}
	switch f.Type {
	case schema.Integer, schema.Number:
		if s, ok := v.(string); ok {
			if n, err := strconv.ParseFloat(s, 64); err == nil {
				return n
			}
		}
	case schema.Boolean:
		if s, ok := v.(string); ok {
			switch s {
			case "true":
				return true
			case "false":
				return false
			}
		}
	case schema.Array, schema.Set:
		if s, ok := v.(string); ok {
			if s == "" {
				return []any{}
			}
			v = []any{s}
		}
		if arr, ok := v.([]any); ok {
			for i := range arr {
				arr[i] = coerceValue(arr[i], f.Elements)
			}
			return arr
		}
	case schema.Record:
		if rm, ok := v.(map[string]any); ok {
			return coerce(rm, f.Fields)
		}
	case schema.Map:
		if rm, ok := v.(map[string]any); ok {
			for k, x := range rm {
				rm[k] = coerceValue(x, f.Values)
			}
			return rm
		}
	case schema.Foreign:
		if s, ok := v.(string); ok {
			return map[string]any{"id": s}
		}
	}
	if s, ok := v.(string); ok && s == "" && f.Type != schema.String {
		return nil
	}
	return v
}
