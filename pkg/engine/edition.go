package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// withoutEnterprise takes out of desired what only Kong Gateway Enterprise has, when cl runs
// the open-source edition, as KIC does: consumer groups, the plugins scoped to one and the
// consumers' memberships. OSS Kong answers 404 on /consumer_groups, so sending them would only
// fail, one bare 404 per entity; everything else syncs. It returns one note per consumer
// group, naming its Kubernetes object and what was left out with it.
func withoutEnterprise(cl *admin.Cluster, desired *kongstate.State) []string {
	if cl.Enterprise() || desired == nil || len(desired.ConsumerGroups) == 0 && !hasGroupPlugins(desired) {
		return nil
	}
	plugins, members := map[string]int{}, map[string]int{}
	groupOf := func(g *kong.ConsumerGroup) string {
		if g == nil {
			return ""
		}
		if g.ID != nil && *g.ID != "" {
			for _, cg := range desired.ConsumerGroups {
				if cg.ID != nil && *cg.ID == *g.ID && cg.Name != nil {
					return *cg.Name
				}
			}
			return *g.ID
		}
		return deref(g.Name)
	}
	desired.Plugins = slices.DeleteFunc(desired.Plugins, func(p *kong.Plugin) bool {
		if p.ConsumerGroup == nil {
			return false
		}
		plugins[groupOf(p.ConsumerGroup)]++
		return true
	})
	for _, c := range desired.Consumers {
		for _, g := range c.Groups {
			members[groupOf(g)]++
		}
		c.Groups = nil
	}
	var notes []string
	seen := map[string]bool{}
	for _, g := range desired.ConsumerGroups {
		name := deref(g.Name)
		seen[name] = true
		notes = append(notes, fmt.Sprintf("%s needs Kong Enterprise (%s is the open-source edition): consumer group %q not sent, "+
			"with its %d plugin(s) and %d membership(s); everything else is synced", objectName(g.Tags, "KongConsumerGroup "+name),
			version(cl), name, plugins[name], members[name]))
	}
	for name, n := range plugins {
		if !seen[name] {
			notes = append(notes, fmt.Sprintf("%d plugin(s) scoped to consumer group %q need Kong Enterprise (%s is the open-source edition): not sent", n, name, version(cl)))
		}
	}
	desired.ConsumerGroups = nil
	slices.Sort(notes)
	return notes
}

func hasGroupPlugins(s *kongstate.State) bool {
	if slices.ContainsFunc(s.Plugins, func(p *kong.Plugin) bool { return p.ConsumerGroup != nil }) {
		return true
	}
	return slices.ContainsFunc(s.Consumers, func(c *kongstate.Consumer) bool { return len(c.Groups) > 0 })
}

// objectName is "Kind namespace/name" from an entity's k8s-* tags, or fallback.
func objectName(tags []*string, fallback string) string {
	var kind, ns, name string
	for _, t := range tags {
		if t == nil {
			continue
		}
		switch {
		case strings.HasPrefix(*t, "k8s-kind:"):
			kind = strings.TrimPrefix(*t, "k8s-kind:")
		case strings.HasPrefix(*t, "k8s-namespace:"):
			ns = strings.TrimPrefix(*t, "k8s-namespace:")
		case strings.HasPrefix(*t, "k8s-name:"):
			name = strings.TrimPrefix(*t, "k8s-name:")
		}
	}
	if kind == "" || name == "" {
		return fallback
	}
	if ns != "" {
		name = ns + "/" + name
	}
	return kind + " " + name
}

func version(cl *admin.Cluster) string {
	if len(cl.Nodes) == 0 {
		return "Kong"
	}
	return "Kong " + cl.Nodes[0].Version
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
