package emulator

import (
	"sort"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/cluster"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// pluginVersions are the plugins this node loads, name → version, for the
// control plane's compatibility checks.
func pluginVersions() map[string]string {
	out := map[string]string{}
	for _, n := range schema.PluginNames() {
		v, _, _ := schema.PluginInfo(n)
		out[n] = v
	}
	return out
}

// pluginList is basic_info's plugin list, sorted by name as Kong sends it.
func pluginList() []cluster.PluginInfo {
	versions := pluginVersions()
	out := make([]cluster.PluginInfo, 0, len(versions))
	for n, v := range versions {
		out = append(out, cluster.PluginInfo{Name: n, Version: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
