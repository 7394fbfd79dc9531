package sync_test

import (
	"slices"
	"strings"
	"testing"
)

// consumerGroupApp is the shop app with a consumer in a consumer group that has a plugin of
// its own: KongConsumerGroup is a Kong Enterprise entity.
const consumerGroupApp = `apiVersion: configuration.konghq.com/v1beta1
kind: KongConsumerGroup
metadata:
  name: gold
  namespace: default
  annotations: {kubernetes.io/ingress.class: kong, konghq.com/plugins: rl-gold}
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata:
  name: alice
  namespace: default
  annotations: {kubernetes.io/ingress.class: kong}
username: alice
consumerGroups: [gold]
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: rl-gold, namespace: default}
plugin: rate-limiting
config: {minute: 600, policy: local}
---
`

// TestConsumerGroupsOnOpenSourceKongAreReportedAndTheRestSyncs: the emulator is Kong OSS 3.9,
// which answers 404 on /consumer_groups. The consumer group, its plugin and the membership
// are reported as needing Kong Enterprise and never sent; everything else syncs, the sync
// exits 0 and a second sync writes nothing.
func TestConsumerGroupsOnOpenSourceKongAreReportedAndTheRestSyncs(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString(ingressClass)
	b.WriteString(app("shop", ""))
	b.WriteString(consumerGroupApp)
	in := writeFile(t, b.String())
	r := mustSync(t, f, "-f", in)
	out := r.stdout + r.stderr
	if !strings.Contains(out, "KongConsumerGroup default/gold needs Kong Enterprise") || strings.Contains(out, "404") {
		t.Fatalf("sync output does not say the consumer group needs Enterprise:\n%s", out)
	}
	for _, w := range f.kong.reset() {
		if strings.Contains(w, "consumer_group") {
			t.Errorf("an Enterprise write was sent to OSS Kong: %s", w)
		}
	}
	if !slices.ContainsFunc(f.list(t, "/consumers"), func(c map[string]any) bool { return c["username"] == "alice" }) {
		t.Fatal("consumer alice was not synced")
	}
	if got := f.list(t, "/plugins"); len(got) != 1 || got[0]["consumer_group"] != nil {
		t.Fatalf("plugins %v, want only the route's rate-limiting", got)
	}
	mustSync(t, f, "-f", in)
	if w := f.kong.reset(); len(w) != 0 {
		t.Fatalf("second sync wrote %v", w)
	}
}
