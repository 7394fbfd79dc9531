package schema

import (
	"regexp"
	"testing"
)

func TestLuaPatternsMatchLikeLua(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"^%u+$", "GET", true},
		{"^%u+$", "Get", false},
		{"^[a-z][a-z%d-]-[a-z%d]+$", "my-vault", true},
		{"^[a-z][a-z%d-]-[a-z%d]+$", "my-", false},
		{"^[0-9]+-[0-9]+$", "200-299", true}, // "-" after a quantifier is a literal
		{"^[0-9]+-[0-9]+$", "200", false},
		{"^[^:]+:.*$", "a:b", true},
		{"^[^*]*%*?[^*]*$", "*.a.*", false},
		{"^%*%.", "*.example.com", true},
		{"%.%*$", "example.*", true},
		{"^[%a_-][%a%d_-]*$", "MY_PREFIX", true},
		{"^[%a_-][%a%d_-]*$", "1X", false},
		{"^[^*&%%\\`]+$", "/tmp/file.log", true},
		{"^[^*&%%\\`]+$", "/tmp/a*b", false},
		{"^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]%-[Tt][Yy][Pp][Ee]$", "Content-Type", true},
		{"//", "/a//b", true},
	}
	for _, tc := range tests {
		if got := regexp.MustCompile(luaToRE2(tc.pattern)).MatchString(tc.s); got != tc.want {
			t.Errorf("match(%q, %q) = %v, want %v (RE2 %s)", tc.s, tc.pattern, got, tc.want, luaToRE2(tc.pattern))
		}
	}
}

// TestRegistryCompilesEveryPatternItServes walks the /schemas bodies of every
// entity, plugin and vault, and checks each Lua pattern they serve was
// compiled when its schema was registered, so validation never compiles one
// while answering a request.
func TestRegistryCompilesEveryPatternItServes(t *testing.T) {
	var bodies []map[string]any
	for _, e := range All() {
		bodies = append(bodies, e.JSON())
	}
	for _, name := range PluginNames() {
		body, ok := PluginJSON(name)
		if !ok {
			t.Fatalf("PluginJSON(%q) not found", name)
		}
		bodies = append(bodies, body)
	}
	env, _ := VaultJSON("env")
	bodies = append(bodies, env)

	var served []string
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				switch k {
				case "match", "not_match", "pattern":
					if s, ok := x.(string); ok {
						served = append(served, s)
					}
				case "patterns":
					for _, p := range x.([]any) {
						served = append(served, p.(string))
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		case []map[string]any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	for _, b := range bodies {
		walk(b)
	}
	if len(served) < 10 {
		t.Fatalf("found only %d served patterns; the walk misses the schema bodies' shape", len(served))
	}
	compiled := schemas().patterns
	for _, p := range served {
		if compiled[p] == nil {
			t.Errorf("pattern %q is served but was not compiled at registration", p)
		}
	}
}
