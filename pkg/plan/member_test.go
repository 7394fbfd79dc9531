package plan

import (
	"testing"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// TestMembershipsAreSyncedAndTheirDriftRepaired: a consumer's consumer-group membership is an
// entity of its own (Kong Enterprise's /consumer_groups/{id}/consumers): a missing one is
// POSTed with the consumer's ID, one Kong has that the desired state does not is deleted at
// /consumer_groups/{group}/consumers/{consumer}, and an unchanged one makes no write.
func TestMembershipsAreSyncedAndTheirDriftRepaired(t *testing.T) {
	group := func(id, name string) *kongstate.ConsumerGroup {
		return &kongstate.ConsumerGroup{ConsumerGroup: kong.ConsumerGroup{ID: kong.String(id), Name: kong.String(name), Tags: tags()}}
	}
	alice := func(groups ...*kong.ConsumerGroup) *kongstate.Consumer {
		return &kongstate.Consumer{Consumer: kong.Consumer{ID: kong.String("a1"), Username: kong.String("alice"), Tags: tags()}, Groups: groups}
	}
	desired := &kongstate.State{ConsumerGroups: []*kongstate.ConsumerGroup{group("g1", "gold"), group("s1", "silver")},
		Consumers: []*kongstate.Consumer{alice(&kong.ConsumerGroup{Name: kong.String("gold")})}}
	current := &kongstate.State{ConsumerGroups: []*kongstate.ConsumerGroup{group("g1", "gold"), group("s1", "silver")},
		Consumers: []*kongstate.Consumer{alice(&kong.ConsumerGroup{ID: kong.String("s1"), Name: kong.String("silver")})}}
	p := build(t, desired, current, Options{AllowDeletes: true})
	if len(p.Ops) != 2 {
		t.Fatalf("ops: %s", describe(p))
	}
	add := find(t, p, Create, KindConsumerGroupMember)
	if add.Method != "POST" || add.Path != "/consumer_groups/g1/consumers" || !equalJSON(add.Body, map[string]any{"consumer": "a1"}) || add.UpsertPath != "" {
		t.Errorf("create %s %s %v (upsert %q)", add.Method, add.Path, add.Body, add.UpsertPath)
	}
	del := find(t, p, Delete, KindConsumerGroupMember)
	if del.Method != "DELETE" || del.Path != "/consumer_groups/s1/consumers/a1" {
		t.Errorf("delete %s %s", del.Method, del.Path)
	}

	current.Consumers = []*kongstate.Consumer{alice(&kong.ConsumerGroup{ID: kong.String("g1"), Name: kong.String("gold")})}
	if p := build(t, desired, current, Options{AllowDeletes: true}); !p.Empty() {
		t.Fatalf("an unchanged membership is rewritten: %s", describe(p))
	}

	// A new consumer joins a new group: both are created before the membership.
	desired.Consumers = append(desired.Consumers, &kongstate.Consumer{Consumer: kong.Consumer{ID: kong.String("c3"), Username: kong.String("carol"), Tags: tags()},
		Groups: []*kong.ConsumerGroup{{Name: kong.String("bronze")}}})
	desired.ConsumerGroups = append(desired.ConsumerGroups, &kongstate.ConsumerGroup{ConsumerGroup: kong.ConsumerGroup{Name: kong.String("bronze"), Tags: tags()}})
	p = build(t, desired, current, Options{AllowDeletes: true})
	m := find(t, p, Create, KindConsumerGroupMember)
	deps := map[Kind]bool{}
	for _, d := range m.DependsOn {
		deps[p.Ops[d].Kind] = true
	}
	if !deps[KindConsumer] || !deps[KindConsumerGroup] {
		t.Fatalf("membership %s depends on %v, want the consumer and the group", m.Path, m.DependsOn)
	}
}
