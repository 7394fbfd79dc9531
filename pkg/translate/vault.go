package translate

import (
	"github.com/kong/go-kong/kong"
	kongv1alpha1 "github.com/kong/kubernetes-configuration/api/configuration/v1alpha1"
)

// fillVaults is KIC's FillVaults: each KongVault becomes a vault named after its backend with
// its prefix; of KongVaults sharing a prefix the oldest (then by name) wins.
func (t *translator) fillVaults() {
	byPrefix := map[string]*kongv1alpha1.KongVault{}
	var prefixes []string
	for _, v := range sortedByCreation(t.snap.KongVaults) {
		// sortedByCreation orders by creation, then namespace/name (KongVault is
		// cluster-scoped, so by name): the first of a prefix wins.
		if winner, ok := byPrefix[v.Spec.Prefix]; ok {
			t.fail(v, "spec.prefix", "spec.prefix %q is duplicate (KongVault %s has it)", v.Spec.Prefix, winner.Name)
			continue
		}
		byPrefix[v.Spec.Prefix] = v
		prefixes = append(prefixes, v.Spec.Prefix)
	}
	for _, prefix := range prefixes {
		v := byPrefix[prefix]
		cfg, err := rawConfig(v.Spec.Config.Raw)
		if err != nil {
			t.fail(v, "spec.config", "failed to parse configuration of vault %q to JSON: %v", v.Name, err)
			continue
		}
		kv := &kong.Vault{
			Name:   kong.String(v.Spec.Backend),
			Prefix: kong.String(v.Spec.Prefix),
			Config: cfg,
			Tags:   t.tags(v),
		}
		if v.Spec.Description != "" {
			kv.Description = kong.String(v.Spec.Description)
		}
		t.state.Vaults = append(t.state.Vaults, kv)
	}
}
