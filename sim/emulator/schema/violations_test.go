package schema

import (
	"testing"
)

func TestProcessReportsKongViolations(t *testing.T) {
	svc := `"service":{"id":"` + testUUID + `"}`
	tests := []struct {
		name, entity, in string
		wantMsg          string
		wantFields       string
	}{
		{"service without host", "services", `{"name":"svc"}`,
			"schema violation (host: required field missing)", `{"host":"required field missing"}`},
		{"service with a port out of range", "services", `{"host":"a.com","port":70000}`,
			"schema violation (port: value should be between 0 and 65535)", `{"port":"value should be between 0 and 65535"}`},
		{"service with an unknown protocol", "services", `{"host":"a.com","protocol":"ftp"}`,
			"schema violation (protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp)",
			`{"protocol":"expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp"}`},
		{"service with wrong types and an unknown field", "services", `{"host":1,"retries":"5","foo":true}`,
			"3 schema violations (foo: unknown field; host: expected a string; retries: expected an integer)",
			`{"foo":"unknown field","host":"expected a string","retries":"expected an integer"}`},
		{"service host with a port", "services", `{"host":"a.com:80"}`,
			"schema violation (host: must not have a port)", `{"host":"must not have a port"}`},
		{"tcp service with a path", "services", `{"host":"a.com","protocol":"tcp","path":"/x"}`,
			"2 schema violations (failed conditional validation given value of field 'protocol'; path: value must be null)",
			`{"@entity":["failed conditional validation given value of field 'protocol'"],"path":"value must be null"}`},
		{"http service with tls_verify", "services", `{"host":"a.com","tls_verify":true}`,
			"2 schema violations (failed conditional validation given value of field 'protocol'; tls_verify: value must be null)",
			`{"@entity":["failed conditional validation given value of field 'protocol'"],"tls_verify":"value must be null"}`},
		{"empty name", "services", `{"host":"a.com","name":""}`,
			"schema violation (name: length must be at least 1)", `{"name":"length must be at least 1"}`},
		{"route with default protocols and no matcher", "routes", `{` + svc + `}`,
			"schema violation (must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https')",
			`{"@entity":["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"]}`},
		{"http-only route without a matcher", "routes", `{"protocols":["http"],` + svc + `}`,
			"schema violation (must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http')",
			`{"@entity":["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"]}`},
		{"https-only route without a matcher", "routes", `{"protocols":["https"]}`,
			"schema violation (must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https')",
			`{"@entity":["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"]}`},
		{"route mixing protocol families", "routes", `{"protocols":["http","tcp"],"paths":["/"]}`,
			"schema violation (protocols: these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp'))",
			`{"protocols":"these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp')"}`},
		{"route with an invalid regex path", "routes", `{"paths":["/prefix/","~/payment/(docs|health))"]}`,
			"", `{"paths":[null,"invalid regex: '/payment/(docs|health))' (PCRE returned: error parsing regexp: unexpected ): ` + "`/payment/(docs|health))`" + `)"]}`},
		{"http route with snis", "routes", `{"protocols":["http"],"paths":["/"],"snis":["a.com"]}`,
			"2 schema violations ('snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'; snis: length must be 0)",
			`{"@entity":["'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"],"snis":"length must be 0"}`},
		{"tcp route with hosts", "routes", `{"protocols":["tcp"],"hosts":["a.com"],"destinations":[{"port":80}]}`,
			"schema violation (hosts: cannot set 'hosts' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp')",
			`{"hosts":"cannot set 'hosts' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'"}`},
		{"grpc route with strip_path", "routes", `{"protocols":["grpc"],"paths":["/a"],"strip_path":true}`,
			"schema violation (strip_path: cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs')",
			`{"strip_path":"cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"}`},
		{"route with a host header", "routes", `{"headers":{"Host":["a"]}}`,
			"schema violation (headers: cannot contain 'host' header, which must be specified in the 'hosts' attribute)",
			`{"headers":"cannot contain 'host' header, which must be specified in the 'hosts' attribute"}`},
		{"route with a non-normalized path", "routes", `{"paths":["/a/../b"]}`,
			"schema violation (paths.1: non-normalized path, consider use '/b' instead)",
			`{"paths":["non-normalized path, consider use '/b' instead"]}`},
		{"consumer without username or custom_id", "consumers", `{}`,
			"schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
			`{"@entity":["at least one of these fields must be non-empty: 'custom_id', 'username'"]}`},
		{"upstream hashing on a header without naming it", "upstreams", `{"name":"up","hash_on":"header"}`,
			"2 schema violations (failed conditional validation given value of field 'hash_on'; hash_on_header: required field missing)",
			`{"@entity":["failed conditional validation given value of field 'hash_on'"],"hash_on_header":"required field missing"}`},
		{"upstream named by an IP", "upstreams", `{"name":"10.0.0.1"}`,
			"schema violation (name: Invalid name ('10.0.0.1'); no ip addresses allowed)",
			`{"name":"Invalid name ('10.0.0.1'); no ip addresses allowed"}`},
		{"upstream healthcheck out of range", "upstreams", `{"name":"up","healthchecks":{"active":{"concurrency":0}}}`,
			"", `{"healthchecks":{"active":{"concurrency":"value should be between 1 and 2147483648"}}}`},
		{"target with a bad address", "targets", `{"upstream":{"id":"` + testUUID + `"},"target":"a b"}`,
			"schema violation (target: Invalid target ('a b'); not a valid hostname or ip address)",
			`{"target":"Invalid target ('a b'); not a valid hostname or ip address"}`},
		{"target without upstream", "targets", `{"target":"a.com"}`,
			"schema violation (upstream: required field missing)", `{"upstream":"required field missing"}`},
		{"foreign key that is not a uuid", "routes", `{"paths":["/"],"service":{"id":"nope"}}`,
			"schema violation (service.id: expected a valid UUID)", `{"service":{"id":"expected a valid UUID"}}`},
		{"unknown plugin", "plugins", `{"name":"foo"}`,
			"schema violation (name: plugin 'foo' not enabled; add it to the 'plugins' configuration property)",
			`{"name":"plugin 'foo' not enabled; add it to the 'plugins' configuration property"}`},
		{"plugin without name", "plugins", `{}`,
			"schema violation (name: required field missing)", `{"name":"required field missing"}`},
		{"key-auth on a consumer", "plugins", `{"name":"key-auth","consumer":{"id":"` + testUUID + `"}}`,
			"schema violation (consumer: value must be null)", `{"consumer":"value must be null"}`},
		{"key-auth with an unknown config field", "plugins", `{"name":"key-auth","config":{"garbage":true}}`,
			"schema violation (config.garbage: unknown field)", `{"config":{"garbage":"unknown field"}}`},
		{"rate-limiting without limits", "plugins", `{"name":"rate-limiting","config":{}}`,
			"schema violation (at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year')",
			`{"@entity":["at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'"]}`},
		{"rate-limiting with an unknown policy", "plugins", `{"name":"rate-limiting","config":{"minute":1,"policy":"x"}}`,
			"schema violation (config.policy: expected one of: local, cluster, redis)", `{"config":{"policy":"expected one of: local, cluster, redis"}}`},
		{"rate-limiting on redis without host", "plugins", `{"name":"rate-limiting","config":{"minute":1,"policy":"redis"}}`,
			"2 schema violations (failed conditional validation given value of field 'config.policy'; config.redis: {\n  host = \"required field missing\"\n})",
			`{"@entity":["failed conditional validation given value of field 'config.policy'"],"config":{"redis":{"host":"required field missing"}}}`},
		{"acl with allow and deny", "plugins", `{"name":"acl","config":{"allow":["a"],"deny":["b"]}}`,
			"schema violation (exactly one of these fields must be non-empty: 'config.allow', 'config.deny')",
			`{"@entity":["exactly one of these fields must be non-empty: 'config.allow', 'config.deny'"]}`},
		{"plugin with an unknown protocol", "plugins", `{"name":"cors","protocols":["tcp"]}`,
			"schema violation (protocols.1: expected one of: grpc, grpcs, http, https)", `{"protocols":["expected one of: grpc, grpcs, http, https"]}`},
		{"request-termination message with body", "plugins", `{"name":"request-termination","config":{"message":"a","body":"b"}}`,
			"schema violation (config: message cannot be used with content_type or body)", `{"config":"message cannot be used with content_type or body"}`},
		{"jwt RS256 without a public key", "jwt_secrets", `{"consumer":{"id":"` + testUUID + `"},"algorithm":"RS256"}`,
			"2 schema violations (failed conditional validation given value of field 'algorithm'; rsa_public_key: required field missing)",
			`{"@entity":["failed conditional validation given value of field 'algorithm'"],"rsa_public_key":"required field missing"}`},
		{"vault not installed", "vaults", `{"prefix":"my-vault","name":"aws"}`,
			"schema violation (name: vault 'aws' is not installed)", `{"name":"vault 'aws' is not installed"}`},
		{"certificate that is not PEM", "certificates", `{"cert":"x","key":"y"}`,
			"", `{"cert":"invalid certificate: PEM_read_bio_X509_AUX() failed","key":"invalid key: pkey.new:load_key: failed to load key"}`},
		{"tag with a comma", "consumers", `{"username":"a","tags":["a,b"]}`,
			"schema violation (tags.1: invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences)",
			`{"tags":["invalid tag 'a,b': expected printable ascii (except ` + "`,` and `/`" + `) or valid utf-8 sequences"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := mustGet(t, tc.entity).Process(decode(t, tc.in), Insert, testNow)
			if out != nil {
				t.Errorf("Process returned an entity with a violation: %v", out)
			}
			se := schemaErr(t, err)
			if got, want := canon(t, se.Fields), canon(t, decode(t, tc.wantFields)); got != want {
				t.Errorf("fields\n got %s\nwant %s", got, want)
			}
			if tc.wantMsg != "" && se.Error() != tc.wantMsg {
				t.Errorf("message\n got %q\nwant %q", se.Error(), tc.wantMsg)
			}
		})
	}
}
