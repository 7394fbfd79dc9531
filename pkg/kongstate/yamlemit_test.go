package kongstate

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestKeyOrderMatchesGoYAML compares keyLess with the order go-yaml v2 gives two keys of one
// mapping; with two keys its order does not depend on map iteration.
func TestKeyOrderMatchesGoYAML(t *testing.T) {
	keys := []string{"", "a", "b", "A", "_a", "a_b", "a1", "a2", "a10", "a01", "a001", "a0", "00", "007", "0b2",
		"1:20", "1", "10", "9", "x-y", "x_y", "x.y", "ä", "é1", "http2", "http10", "redis_port", "redis_timeout"}
	for _, a := range keys {
		for _, b := range keys {
			if a == b {
				continue
			}
			out, err := yaml.Marshal(map[string]int{a: 1, b: 2})
			if err != nil {
				t.Fatal(err)
			}
			goYAMLFirst := strings.HasSuffix(strings.SplitN(string(out), "\n", 2)[0], " 1")
			if keyLess(a, b) != goYAMLFirst {
				t.Errorf("keyLess(%q, %q) = %v; go-yaml puts %q first:\n%s", a, b, keyLess(a, b), map[bool]string{true: a, false: b}[goYAMLFirst], out)
			}
		}
	}
}
