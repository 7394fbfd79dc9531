package engine

import (
	"strings"
	"testing"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// TestOpenSourceKongGetsNoConsumerGroups: against OSS Kong (which answers 404 on
// /consumer_groups) each consumer group, the plugins scoped to it and the memberships are
// left out of the desired state with a note naming the KongConsumerGroup; the consumer and
// its other plugins stay. Against Enterprise nothing is left out.
func TestOpenSourceKongGetsNoConsumerGroups(t *testing.T) {
	state := func() *kongstate.State {
		return &kongstate.State{
			ConsumerGroups: []*kongstate.ConsumerGroup{{ConsumerGroup: kong.ConsumerGroup{Name: kong.String("gold"),
				Tags: kong.StringSlice("managed-by-kongdb", "k8s-kind:KongConsumerGroup", "k8s-namespace:shop", "k8s-name:gold")}}},
			Consumers: []*kongstate.Consumer{{Consumer: kong.Consumer{Username: kong.String("alice")},
				Groups: []*kong.ConsumerGroup{{Name: kong.String("gold")}}}},
			Plugins: []*kong.Plugin{
				{Name: kong.String("rate-limiting-advanced"), ConsumerGroup: &kong.ConsumerGroup{ID: kong.String("gold")}},
				{Name: kong.String("key-auth")},
			},
		}
	}
	cluster := func(version string) *admin.Cluster {
		return &admin.Cluster{Nodes: []*admin.Node{{Info: admin.Info{Version: version, Enterprise: admin.IsEnterpriseVersion(version)}}}}
	}

	oss := state()
	notes := withoutEnterprise(cluster("3.9.1"), oss)
	if len(oss.ConsumerGroups) != 0 || len(oss.Plugins) != 1 || *oss.Plugins[0].Name != "key-auth" ||
		len(oss.Consumers) != 1 || len(oss.Consumers[0].Groups) != 0 {
		t.Fatalf("OSS desired state keeps Enterprise entities: %+v", oss)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "KongConsumerGroup shop/gold needs Kong Enterprise (Kong 3.9.1 is the open-source edition)") ||
		!strings.Contains(notes[0], "1 plugin(s) and 1 membership(s)") {
		t.Fatalf("notes %q", notes)
	}

	ee := state()
	if notes := withoutEnterprise(cluster("3.9.1.0-enterprise-edition"), ee); len(notes) != 0 || len(ee.ConsumerGroups) != 1 ||
		len(ee.Plugins) != 2 || len(ee.Consumers[0].Groups) != 1 {
		t.Fatalf("Enterprise desired state changed: notes %q", notes)
	}
}

// TestObserveRefusesAnOwnershipTagThatIsNotOneTag: the engine checks the tag itself, before
// anything is read, so a library caller cannot list another owner's entities as its own.
func TestObserveRefusesAnOwnershipTagThatIsNotOneTag(t *testing.T) {
	for _, tag := range []string{"", "a/b", "a,b"} {
		cfg := &Config{Kong: Kong{OwnershipTag: tag, Endpoints: admin.StaticEndpoints{"http://192.0.2.1:8001"}}}
		if _, err := cfg.Observe(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "ownership tag") {
			t.Errorf("tag %q: got %v", tag, err)
		}
	}
}
