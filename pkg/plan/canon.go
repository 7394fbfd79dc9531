package plan

import (
	"crypto/sha1" //nolint:gosec // Kong's basic-auth stores SHA1(password .. consumer_id); we only compare
	"encoding/hex"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// equal reports whether a desired body and a current body describe the same entity, after
// canonicalising both (see canonical).
func equal(sp *spec, want, have map[string]any) bool {
	switch sp.kind {
	case KindBasicAuth:
		want = hashedPassword(want)
	case KindPlugin:
		have = withoutAliases(want, have)
	case KindKeyAuth:
		have = ttlCountdown(want, have)
	case KindOAuth2:
		want = hashedClientSecret(want, have)
	}
	return sameCanonical(want, have)
}

// sameCanonical is reflect.DeepEqual(canonical(a), canonical(b)), walking both values instead
// of building their canonical copies: most entities of a sync are unchanged, and comparing
// them is most of its planning.
func sameCanonical(a, b any) bool {
	if isEmpty(a) || isEmpty(b) {
		return isEmpty(a) && isEmpty(b)
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, va := range x {
			if isTimestamp(k) {
				continue
			}
			vb := y[k]
			if k == "tags" {
				if !sameTags(va, vb) {
					return false
				}
				continue
			}
			if !sameCanonical(va, vb) {
				return false
			}
		}
		for k, vb := range y {
			if _, seen := x[k]; !seen && !isTimestamp(k) && !isEmpty(vb) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameCanonical(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}

// sameTags compares two values of a "tags" key as canonical does: a list in any order.
func sameTags(a, b any) bool {
	ca, cb := canonical(a), canonical(b)
	if l, ok := ca.([]any); ok {
		ca = sortedStrings(l)
	}
	if l, ok := cb.([]any); ok {
		cb = sortedStrings(l)
	}
	return reflect.DeepEqual(ca, cb)
}

// isEmpty reports whether canonical(v) is nil: null, an empty list, or an object of nothing
// but empty values and timestamps.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for k, e := range x {
			if !isTimestamp(k) && !isEmpty(e) {
				return false
			}
		}
		return true
	case []any:
		return len(x) == 0
	}
	return false
}

func isTimestamp(k string) bool { return k == "created_at" || k == "updated_at" }

// ttlCountdown: Kong answers a key-auth credential's remaining ttl, which counts down from the
// ttl it was written with; a remaining ttl not above the desired one is the same credential.
func ttlCountdown(want, have map[string]any) map[string]any {
	w, wok := want["ttl"].(float64)
	h, hok := have["ttl"].(float64)
	if !wok || !hok || h > w || h <= 0 {
		return have
	}
	out := maps.Clone(have)
	out["ttl"] = w
	return out
}

// withoutAliases drops from a current plugin's config the keys the desired config lacks.
// Once filled from the schema, the desired config holds every field of the plugin's schema,
// so such keys are the deprecated shorthand aliases Kong echoes back (rate-limiting's
// redis_host next to redis.host), which would otherwise look like a change on every sync.
func withoutAliases(want, have map[string]any) map[string]any {
	wc, _ := want["config"].(map[string]any)
	hc, _ := have["config"].(map[string]any)
	if len(wc) == 0 || len(hc) == 0 {
		return have
	}
	trimmed := maps.Clone(hc)
	for k := range hc {
		if _, ok := wc[k]; !ok {
			delete(trimmed, k)
		}
	}
	out := maps.Clone(have)
	out["config"] = trimmed
	return out
}

// hashedPassword is what Kong stores for a basic-auth credential: SHA1(password ..
// consumer_id) in hex, so a password that did not change compares equal.
func hashedPassword(body map[string]any) map[string]any {
	pw, _ := body["password"].(string)
	consumer, _ := body["consumer"].(map[string]any)
	id, _ := consumer["id"].(string)
	if pw == "" || id == "" {
		return body
	}
	sum := sha1.Sum([]byte(pw + id)) //nolint:gosec // see import
	out := maps.Clone(body)
	out["password"] = hex.EncodeToString(sum[:])
	return out
}

// canonical drops what carries no meaning for a comparison: nulls, empty lists and objects
// (Kong answers [] or null for an unset list, go-kong omits it), timestamps, and the order of
// tags. Numbers are float64 on both sides, since both went through JSON.
func canonical(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k == "created_at" || k == "updated_at" {
				continue
			}
			c := canonical(e)
			if c == nil {
				continue
			}
			if k == "tags" {
				if tags, ok := c.([]any); ok {
					c = sortedStrings(tags)
				}
			}
			out[k] = c
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canonical(e)
		}
		return out
	default:
		return v
	}
}

func sortedStrings(in []any) []any {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b any) int {
		as, _ := a.(string)
		bs, _ := b.(string)
		return strings.Compare(as, bs)
	})
	return out
}

// clone deep-copies a JSON body.
func clone(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c, _ := cloneValue(m).(map[string]any)
	return c
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v
	}
}

// secretPointers are the JSON pointers of e's body that must not be printed: the kind's
// secret fields and a plugin's config values that came from Secrets.
func secretPointers(e *entity) []string {
	var ps []string
	for _, f := range e.kind.secrets {
		ps = append(ps, "/"+f)
	}
	for _, p := range e.secretConfig {
		ps = append(ps, "/config"+p)
	}
	return ps
}

// secrets are the pointers secretPointers gives and, for a plugin, those that hold on either
// side whatever the side: the fields the other side marked as from a Secret, the fields Kong's
// schema marks encrypted or referenceable, and config fields with a well-known secret name in
// either body. A delete, whose entity is only Kong's, so hides what its create hid.
func (b *builder) secrets(e *entity, bodies ...map[string]any) []string {
	ps := secretPointers(e)
	if e.kind.kind != KindPlugin {
		return ps
	}
	if e.match != nil {
		for _, p := range e.match.secretConfig {
			ps = append(ps, "/config"+p)
		}
	}
	name, _ := e.body["name"].(string)
	for _, p := range b.secretConfig[name] {
		ps = append(ps, "/config"+p)
	}
	for _, body := range bodies {
		ps = append(ps, namedSecrets(body["config"], "/config")...)
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// namedSecrets returns the JSON pointers under prefix of every object field of v that
// kongstate.IsSecretConfigName names; inside an array the pointer is the array's (hidePointer then hides it
// whole, since an element's index says nothing stable).
func namedSecrets(v any, prefix string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			ptr := prefix + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
			if kongstate.IsSecretConfigName(k) {
				out = append(out, ptr)
				continue
			}
			out = append(out, namedSecrets(e, ptr)...)
		}
	case []any:
		for _, e := range x {
			if len(namedSecrets(e, prefix)) > 0 {
				return []string{prefix}
			}
		}
	}
	return out
}

// Redacted returns copies of the op's body and old body with every secret replaced by
// kongstate.RedactedValue, for diffs and reports.
func (op *Op) Redacted() (body, old map[string]any) {
	return redact(op.Body, op.secrets), redact(op.Old, op.secrets)
}

func redact(m map[string]any, pointers []string) map[string]any {
	if m == nil {
		return nil
	}
	c := clone(m)
	for _, ptr := range pointers {
		hidePointer(c, strings.Split(strings.TrimPrefix(ptr, "/"), "/"))
	}
	return c
}

// hidePointer hides the value at path in m, or m's whole parent when the path does not
// resolve (when in doubt, show less, as kongstate's redaction does).
func hidePointer(m map[string]any, path []string) {
	seg := strings.NewReplacer("~1", "/", "~0", "~").Replace(path[0])
	v, ok := m[seg]
	if !ok || v == nil {
		return
	}
	if len(path) == 1 {
		m[seg] = hideAll(v)
		return
	}
	child, ok := v.(map[string]any)
	if !ok {
		m[seg] = hideAll(v)
		return
	}
	hidePointer(child, path[1:])
}

func hideAll(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = hideAll(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = hideAll(e)
		}
		return x
	case nil:
		return nil
	default:
		return kongstate.RedactedValue
	}
}
