package sync_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestRecordEventsOnFailingObjects: with --record-events, the KongPlugin Kong refused gets a
// KongConfigurationApplyFailed Warning with its UID, and the Ingress naming a KongPlugin that
// does not exist gets KongConfigurationTranslationFailed, as KIC records them.
func TestRecordEventsOnFailingObjects(t *testing.T) {
	env := cluster(t)
	f := newFixture(t)
	ns := env.Namespace(t)
	applyYAML(t, env, ns, ingressClass+app("fine", "")+app("bad", "broken")+app("lost", "absent")+`apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: broken}
plugin: rate-limiting
config: {minute: -5, policy: local}
`)
	// The Lease goes into the test's namespace: a fresh API server creates "default" a moment
	// after it starts.
	r := f.cmd(t, "sync", "--kubeconfig", env.Kubeconfig, "-n", ns, "--record-events", "--lock-namespace", ns)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var events corev1.EventList
	if err := env.Client.List(t.Context(), &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	found := map[string]corev1.Event{}
	for _, e := range events.Items {
		// Only kongdb's own events: the API server records some of its own in the namespace
		// (ClusterIPNotAllocated when its repair loop runs before the allocation settles).
		if e.Source.Component != "kongdb" {
			continue
		}
		found[e.Reason+" "+e.InvolvedObject.Kind+" "+e.InvolvedObject.Name] = e
	}
	apply, ok := found["KongConfigurationApplyFailed KongPlugin broken"]
	if !ok || apply.Type != corev1.EventTypeWarning || apply.InvolvedObject.UID == "" ||
		apply.InvolvedObject.APIVersion != "configuration.konghq.com/v1" {
		t.Fatalf("apply event: %+v (all: %v)", apply, keys(found))
	}
	if _, ok := found["KongConfigurationTranslationFailed Ingress lost"]; !ok {
		t.Fatalf("no translation event on Ingress lost: %v", keys(found))
	}
	if len(found) != 2 {
		t.Fatalf("kongdb events on objects that did not fail: %v", keys(found))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
