package plan

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// randomBody is a small JSON value with what canonical treats specially: nulls, empty lists
// and objects, timestamps, tags in some order, and values that differ only slightly.
func randomBody(r *rand.Rand, depth int) any {
	keys := []string{"a", "b", "tags", "created_at", "updated_at", "config"}
	switch n := r.IntN(9); {
	case n == 0:
		return nil
	case n == 1:
		return []any{}
	case n == 2:
		return map[string]any{}
	case n == 3:
		return float64(r.IntN(2))
	case n == 4:
		return []string{"x", "y"}[r.IntN(2)]
	case n == 5 && depth > 0:
		l := make([]any, r.IntN(3))
		for i := range l {
			l[i] = randomBody(r, depth-1)
		}
		return l
	case depth > 0:
		m := map[string]any{}
		for range r.IntN(4) {
			k := keys[r.IntN(len(keys))]
			if k == "tags" {
				tags := []any{"t1", "t2", "t3"}[:r.IntN(4)]
				r.Shuffle(len(tags), func(i, j int) { tags[i], tags[j] = tags[j], tags[i] })
				m[k] = tags
				continue
			}
			m[k] = randomBody(r, depth-1)
		}
		return m
	}
	return true
}

// TestSameCanonicalIsDeepEqualOfCanonical: the allocation-free comparison agrees with
// comparing the canonical copies, on random bodies and on each body against a variant.
func TestSameCanonicalIsDeepEqualOfCanonical(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	same, differ := 0, 0
	for range 20000 {
		a, b := randomBody(r, 3), randomBody(r, 3)
		if r.IntN(2) == 0 {
			b = cloneValue(a)
			if m, ok := b.(map[string]any); ok && r.IntN(2) == 0 {
				m["created_at"] = float64(r.IntN(9)) // timestamps never count
			}
		}
		want := reflect.DeepEqual(canonical(a), canonical(b))
		if got := sameCanonical(a, b); got != want {
			t.Fatalf("sameCanonical(%#v, %#v) = %v, canonical copies equal: %v", a, b, got, want)
		}
		if want {
			same++
		} else {
			differ++
		}
	}
	if same < 1000 || differ < 1000 {
		t.Fatalf("generator too one-sided: %d same, %d differ", same, differ)
	}
}
