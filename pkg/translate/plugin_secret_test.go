package translate

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// TestPluginConfigFromSecretsIsRecorded checks that every plugin config value read from a
// Secret (configFrom, configPatches of KongPlugin and KongClusterPlugin) is recorded in the
// state, which is what lets printing redact it; config written in the plugin itself is not.
func TestPluginConfigFromSecretsIsRecorded(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string][]string // k8s-name tag of the plugin → recorded JSON pointers
	}{
		{
			name: "KongPlugin configFrom and configPatches",
			in:   "plugins",
			want: map[string][]string{"rate-limit": {"/redis/password"}, "key-auth": {""}},
		},
		{
			name: "KongClusterPlugin configFrom, configPatches and a patch replacing the whole config",
			in:   "cluster-plugin-config",
			want: map[string][]string{"from-secret": {""}, "patched": {"/client_secret"}, "replaced": {""}, "shadowed": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, _ := Translate(readSnapshot(t, filepath.Join("testdata", tt.in, "in.yaml")), DefaultOptions())
			seen := map[string]bool{}
			for _, p := range state.Plugins {
				name := k8sName(p)
				want, listed := tt.want[name]
				if !listed {
					want = nil // plugins the table does not name have inline config only
				}
				seen[name] = true
				if got := state.SecretConfig(p); !reflect.DeepEqual(got, want) {
					t.Errorf("plugin %s (%s): recorded %q, want %q", deref(p.Name), name, got, want)
				}
			}
			for name := range tt.want {
				if !seen[name] {
					t.Errorf("no plugin from %s in the state", name)
				}
			}
			assertRedactedHidesSecretConfig(t, state)
		})
	}
}

// assertRedactedHidesSecretConfig checks that the redacted copy hides exactly the recorded
// values: the original still has them, the copy has the placeholder.
func assertRedactedHidesSecretConfig(t *testing.T, state *kongstate.State) {
	t.Helper()
	redacted := state.Redacted()
	for i, p := range state.Plugins {
		ptrs := state.SecretConfig(p)
		if len(ptrs) == 0 {
			if !reflect.DeepEqual(redacted.Plugins[i].Config, p.Config) {
				t.Errorf("plugin %s: inline config changed by redaction: %v", k8sName(p), redacted.Plugins[i].Config)
			}
			continue
		}
		for _, ptr := range ptrs {
			key := strings.TrimPrefix(ptr, "/")
			if ptr == "" || strings.Contains(key, "/") {
				continue // whole-config and nested pointers are covered by kongstate's tests
			}
			if got := redacted.Plugins[i].Config[key]; got != kongstate.RedactedValue {
				t.Errorf("plugin %s: redacted %s = %v", k8sName(p), ptr, got)
			}
			if p.Config[key] == kongstate.RedactedValue {
				t.Errorf("plugin %s: the translated state itself was redacted", k8sName(p))
			}
		}
	}
}

func k8sName(p *kong.Plugin) string {
	for _, tag := range p.Tags {
		if name, ok := strings.CutPrefix(deref(tag), "k8s-name:"); ok {
			return name
		}
	}
	return ""
}
