package translate

import (
	"strings"
	"testing"
)

// TestEntityWithoutIDIsAWarning checks that an entity FillIDs cannot give an ID (here a
// KongVault without a prefix, which only manifests can carry past the CRD's validation) is
// reported instead of dropped silently, and is still translated, as KIC keeps it.
func TestEntityWithoutIDIsAWarning(t *testing.T) {
	const manifests = `
apiVersion: configuration.konghq.com/v1alpha1
kind: KongVault
metadata: {name: prefixless, annotations: {kubernetes.io/ingress.class: kong}}
spec: {backend: env, config: {}}
`
	snap, err := decodeSnapshot([]byte(manifests))
	if err != nil {
		t.Fatalf("decode manifests: %v", err)
	}
	state, diags := Translate(snap, DefaultOptions())
	var found bool
	for _, d := range diags {
		if d.Kind == "Kong vault" && strings.Contains(d.Reason, "vault prefix is required") {
			found = true
			if d.Severity != SeverityWarning {
				t.Errorf("severity = %s, want warning: %s", d.Severity, d)
			}
		}
	}
	if !found {
		t.Fatalf("no diagnostic for the vault without an ID; got %v", diags)
	}
	if len(state.Vaults) != 1 {
		t.Errorf("got %d vaults; KIC keeps the vault without an ID", len(state.Vaults))
	}
}
