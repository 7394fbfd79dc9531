package schema

import "testing"

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
		if got := luaMatch(tc.s, tc.pattern); got != tc.want {
			t.Errorf("luaMatch(%q, %q) = %v, want %v (RE2 %s)", tc.s, tc.pattern, got, tc.want, luaToRE2(tc.pattern))
		}
	}
}
