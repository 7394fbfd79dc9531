package preflight

import (
	"strings"
	"testing"
)

// oss is a Kong 3.9 OSS node: key-auth and redirect enabled, the schemas of the entities the
// cases use, no consumer groups, mTLS credentials or hcv vault.
func oss() Node {
	fields := func(names ...string) map[string]any {
		var list []any
		for _, n := range names {
			list = append(list, map[string]any{n: map[string]any{"type": "string"}})
		}
		return map[string]any{"fields": list}
	}
	return Node{Version: "3.9.1", Plugins: map[string]bool{"key-auth": true, "redirect": true},
		Schemas: map[string]map[string]any{
			"plugins":               fields("name", "config", "protocols", "enabled", "tags", "service", "route", "consumer", "instance_name"),
			"consumer_groups":       nil,
			"mtls_auth_credentials": nil,
			"vaults/hcv":            nil,
			"vaults/env":            fields("prefix"),
		}}
}

func tagged(body map[string]any, kind, ns, name string) map[string]any {
	body["tags"] = []any{"k8s-kind:" + kind, "k8s-namespace:" + ns, "k8s-name:" + name, "managed-by-kongdb"}
	return body
}

// TestCheckFindsWhatKongWouldRefuse gives Check one entity at a time and expects Kong's rule,
// the Kubernetes object and its field, or nothing for what Kong takes.
func TestCheckFindsWhatKongWouldRefuse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		entity Entity
		node   Node
		// field and reason are what the finding must say ("" reason: no finding).
		object, field, reason string
	}{
		{name: "plugin enabled", entity: Entity{Kind: "plugin", Body: map[string]any{"name": "key-auth"}}, node: oss()},
		{name: "plugin not enabled on the node",
			entity: Entity{Kind: "plugin", Name: "openid-connect", Body: tagged(map[string]any{"name": "openid-connect"}, "KongPlugin", "default", "oidc")},
			node:   oss(), object: "KongPlugin default/oidc", field: "plugin",
			reason: "plugin 'openid-connect' not enabled; add it to the 'plugins' configuration property"},
		{name: "plugins unknown: not checked", entity: Entity{Kind: "plugin", Body: map[string]any{"name": "x"}}, node: Node{}},
		{name: "consumer group on OSS",
			entity: Entity{Kind: "consumer_group", Name: "gold", Body: tagged(map[string]any{"name": "gold"}, "KongConsumerGroup", "default", "gold")},
			node:   oss(), object: "KongConsumerGroup default/gold", reason: "it is a Kong Enterprise entity"},
		{name: "mTLS credential on OSS",
			entity: Entity{Kind: "mtls-auth", Body: tagged(map[string]any{"subject_name": "alice"}, "Secret", "default", "a-1")},
			node:   oss(), object: "Secret default/a-1", field: `metadata.labels["konghq.com/credential"]`, reason: "has no mtls_auth_credentials"},
		{name: "Enterprise-only plugin field on OSS",
			entity: Entity{Kind: "plugin", Body: tagged(map[string]any{"name": "key-auth", "ordering": map[string]any{"before": map[string]any{"access": []any{"acl"}}}}, "KongPlugin", "default", "auth")},
			node:   oss(), object: "KongPlugin default/auth", field: "ordering", reason: "ordering: unknown field (a Kong Enterprise field)"},
		{name: "vault backend not installed",
			entity: Entity{Kind: "vault", Body: tagged(map[string]any{"name": "hcv", "prefix": "hashicorp"}, "KongVault", "", "hashicorp")},
			node:   oss(), object: "KongVault hashicorp", field: "spec.backend", reason: "vault 'hcv' is not installed"},
		{name: "env vault", entity: Entity{Kind: "vault", Body: map[string]any{"name": "env", "prefix": "env-x"}}, node: oss()},
		{name: "client certificate on an http service",
			entity: Entity{Kind: "service", Body: tagged(map[string]any{"protocol": "http", "client_certificate": map[string]any{"id": "x"}}, "Service", "default", "bad")},
			object: "Service default/bad", field: `metadata.annotations["konghq.com/client-cert"]`, reason: "client_certificate: value must be null"},
		{name: "client certificate on an https service", entity: Entity{Kind: "service", Body: map[string]any{"protocol": "https", "client_certificate": map[string]any{"id": "x"}}}},
		{name: "path on a grpc service", entity: Entity{Kind: "service", Body: map[string]any{"protocol": "grpc", "path": "/"}},
			field: `metadata.annotations["konghq.com/path"]`, reason: "path: value must be null"},
		{name: "strip_path on a grpc route",
			entity: Entity{Kind: "route", Body: tagged(map[string]any{"protocols": []any{"grpc", "grpcs"}, "strip_path": true}, "Ingress", "default", "g")},
			object: "Ingress default/g", field: `metadata.annotations["konghq.com/strip-path"]`, reason: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"},
		{name: "grpc route without strip_path", entity: Entity{Kind: "route", Body: map[string]any{"protocols": []any{"grpc"}, "strip_path": false, "paths": []any{"/"}}}},
		{name: "methods on a tcp route", entity: Entity{Kind: "route", Body: map[string]any{"protocols": []any{"tcp"}, "methods": []any{"GET"}}},
			field: `metadata.annotations["konghq.com/methods"]`, reason: "cannot set 'methods' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'"},
		{name: "destinations on an http route", entity: Entity{Kind: "route", Body: map[string]any{"destinations": []any{map[string]any{"port": 80}}}},
			field: "Kong field destinations", reason: "cannot set 'destinations' when 'protocols' is 'http' or 'https'"},
		{name: "snis on an http-only route", entity: Entity{Kind: "route", Body: map[string]any{"protocols": []any{"http"}, "snis": []any{"a.example"}}},
			reason: "'snis' can only be set when 'protocols' is"},
		{name: "relative redirect location", entity: Entity{Kind: "plugin", Body: map[string]any{"name": "redirect", "config": map[string]any{"location": "/new"}}},
			node: oss(), field: "Kong field config.location", reason: "missing scheme in url"},
		{name: "redirect location without host", entity: Entity{Kind: "plugin", Body: map[string]any{"name": "redirect", "config": map[string]any{"location": "https:///"}}},
			node: oss(), reason: "missing host in url"},
		{name: "absolute redirect location", entity: Entity{Kind: "plugin", Body: map[string]any{"name": "redirect", "config": map[string]any{"location": "https://a.example"}}}, node: oss()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Check([]Entity{tc.entity}, tc.node)
			if tc.reason == "" {
				if len(got) != 0 {
					t.Fatalf("Check found %v; Kong takes it", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("Check found %d findings, want 1: %v", len(got), got)
			}
			f := got[0]
			if !strings.Contains(f.Reason, tc.reason) || f.Object != tc.object || (tc.field != "" && f.Field != tc.field) {
				t.Errorf("finding %+v; want object %q, field %q, reason containing %q", f, tc.object, tc.field, tc.reason)
			}
		})
	}
}

// TestCheckFindsDuplicateCACertificates checks the rule over several entities: the second CA
// certificate with the same certificate is refused (cert_digest is unique), the first is not.
func TestCheckFindsDuplicateCACertificates(t *testing.T) {
	es := []Entity{
		{Kind: "ca_certificate", Name: "a", Body: map[string]any{"cert": "PEM"}},
		{Kind: "ca_certificate", Name: "b", Body: map[string]any{"cert": "PEM\n"}},
		{Kind: "ca_certificate", Name: "c", Body: map[string]any{"cert": "OTHER"}},
	}
	got := Check(es, Node{})
	if len(got) != 1 || got[0].Index != 1 || !strings.Contains(got[0].Reason, "cert_digest") {
		t.Fatalf("got %v, want one finding on b", got)
	}
}
