package schema

import (
	"testing"
	"time"
)

func TestProcessUpdateMergesLikeKong(t *testing.T) {
	later := testNow.Add(time.Hour)
	plugins := mustGet(t, "plugins")
	stored, err := plugins.Process(decode(t, `{"name":"rate-limiting","config":{"minute":10,"policy":"redis","redis":{"host":"old","port":6379}}}`), Insert, testNow)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("records merge field by field and updated_at moves", func(t *testing.T) {
		out, err := plugins.ProcessUpdate(stored, decode(t, `{"config":{"hour":100}}`), later)
		if err != nil {
			t.Fatal(err)
		}
		cfg := out["config"].(map[string]any)
		if cfg["minute"] != 10.0 || cfg["hour"] != 100.0 || cfg["policy"] != "redis" {
			t.Errorf("config = %v, want minute kept and hour set", cfg)
		}
		if out["created_at"] != stored["created_at"] || out["updated_at"] != float64(later.Unix()) {
			t.Errorf("created_at/updated_at = %v/%v", out["created_at"], out["updated_at"])
		}
		if out["id"] != stored["id"] {
			t.Errorf("id changed: %v → %v", stored["id"], out["id"])
		}
	})
	t.Run("a deprecated shorthand in the patch replaces the stored value", func(t *testing.T) {
		out, err := plugins.ProcessUpdate(stored, decode(t, `{"config":{"redis_host":"new"}}`), later)
		if err != nil {
			t.Fatal(err)
		}
		redis := out["config"].(map[string]any)["redis"].(map[string]any)
		if redis["host"] != "new" || redis["port"] != 6379.0 {
			t.Errorf("redis = %v, want host new and port kept", redis)
		}
		if _, ok := out["config"].(map[string]any)["redis_host"]; ok {
			t.Error("shorthand stored in config")
		}
	})
	t.Run("arrays are replaced, not merged", func(t *testing.T) {
		out, err := plugins.ProcessUpdate(stored, decode(t, `{"protocols":["http"]}`), later)
		if err != nil {
			t.Fatal(err)
		}
		if got := canon(t, out["protocols"]); got != `["http"]` {
			t.Errorf("protocols = %s", got)
		}
	})
	t.Run("the merged entity is validated whole", func(t *testing.T) {
		_, err := plugins.ProcessUpdate(stored, decode(t, `{"config":{"minute":null}}`), later)
		fields := schemaErr(t, err).Fields
		if _, ok := fields["@entity"]; !ok {
			t.Errorf("fields = %v, want the at_least_one_of check", fields)
		}
	})
	t.Run("reads echo deprecated shorthands", func(t *testing.T) {
		cfg := plugins.Present(stored)["config"].(map[string]any)
		if cfg["redis_host"] != "old" || cfg["redis_port"] != 6379.0 {
			t.Errorf("config = %v, want redis_host/redis_port echoed", cfg)
		}
		if _, ok := stored["config"].(map[string]any)["redis_host"]; ok {
			t.Error("Present modified the stored row")
		}
	})
}

func TestBasicAuthPasswordIsHashedOnlyWhenSupplied(t *testing.T) {
	creds := mustGet(t, "basicauth_credentials")
	stored, err := creds.Process(decode(t, `{"consumer":{"id":"`+testUUID+`"},"username":"u","password":"secret"}`), Insert, testNow)
	if err != nil {
		t.Fatal(err)
	}
	renamed, err := creds.ProcessUpdate(stored, decode(t, `{"username":"v"}`), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if renamed["password"] != stored["password"] {
		t.Errorf("password rehashed on a username change: %v → %v", stored["password"], renamed["password"])
	}
	merged, err := creds.Process(renamed, Update, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if merged["password"] != stored["password"] {
		t.Errorf("Process(Update) of a merged row rehashed the stored password")
	}
	changed, err := creds.ProcessUpdate(stored, decode(t, `{"password":"other"}`), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if changed["password"] == stored["password"] || changed["password"] == "other" {
		t.Errorf("password = %v, want a new hash", changed["password"])
	}
}

func TestShorthands(t *testing.T) {
	tests := []struct {
		name, entity, in string
		want             map[string]any
	}{
		{"service url with port", "services", `{"url":"https://example.com:8443/foo"}`,
			map[string]any{"protocol": "https", "host": "example.com", "port": 8443.0, "path": "/foo"}},
		{"service url defaults port by scheme", "services", `{"url":"https://example.com"}`,
			map[string]any{"protocol": "https", "host": "example.com", "port": 443.0, "path": nil}},
		{"service url with an explicit http port", "services", `{"url":"http://example.com:80"}`,
			map[string]any{"protocol": "http", "port": 80.0}},
		{"upstream hash_on forces consistent-hashing", "upstreams", `{"name":"up","hash_on":"ip"}`,
			map[string]any{"algorithm": "consistent-hashing", "hash_on": "ip"}},
		{"upstream hash_on none forces round-robin", "upstreams", `{"name":"up","algorithm":"consistent-hashing","hash_on":"none"}`,
			map[string]any{"algorithm": "round-robin", "hash_on": "none"}},
		{"upstream least-connections resets hash_on", "upstreams", `{"name":"up","algorithm":"least-connections"}`,
			map[string]any{"algorithm": "least-connections", "hash_on": "none"}},
		{"ipv6 target in brackets with default port", "targets", `{"target":"::1","upstream":{"id":"` + testUUID + `"}}`,
			map[string]any{"target": "[0000:0000:0000:0000:0000:0000:0000:0001]:8000"}},
		{"hostname target keeps its port", "targets", `{"target":"api.local:9000","upstream":{"id":"` + testUUID + `"}}`,
			map[string]any{"target": "api.local:9000"}},
		{"sets lose duplicates", "routes", `{"paths":["/"],"methods":["GET","GET","POST"]}`,
			map[string]any{"methods": []any{"GET", "POST"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := mustGet(t, tc.entity).Process(decode(t, tc.in), Insert, testNow)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				if canon(t, out[k]) != canon(t, want) {
					t.Errorf("%s = %s, want %s", k, canon(t, out[k]), canon(t, want))
				}
			}
			if _, ok := out["url"]; ok {
				t.Error("shorthand url stored")
			}
		})
	}
}

func TestTTLOptionError(t *testing.T) {
	ka, consumers := mustGet(t, "keyauth_credentials"), mustGet(t, "consumers")
	for _, tc := range []struct {
		e    *Entity
		ttl  any
		want string
	}{
		{ka, nil, ""}, {ka, 3600.0, ""}, {ka, 1.5, "must be an integer between 0 and 1e+08"},
		{ka, "x", "must be an integer between 0 and 1e+08"}, {ka, -1.0, "must be an integer between 0 and 1e+08"},
		{consumers, 10.0, "cannot be used with 'consumers'"},
	} {
		if got := TTLOptionError(tc.e, tc.ttl); got != tc.want {
			t.Errorf("TTLOptionError(%s, %v) = %q, want %q", tc.e.Name, tc.ttl, got, tc.want)
		}
	}
}

func TestFormatTargetAndVaultJSON(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1": "10.0.0.1:8000", "api.local:9000": "api.local:9000", "[::1]:80": "[0000:0000:0000:0000:0000:0000:0000:0001]:80",
	} {
		if got, ok := FormatTarget(in); !ok || got != want {
			t.Errorf("FormatTarget(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := FormatTarget("a b"); ok {
		t.Error("FormatTarget accepted an invalid address")
	}
	doc, ok := VaultJSON("env")
	if !ok || canon(t, doc["fields"]) != `[{"config":{"fields":[{"prefix":{"description":"The prefix for the environment variable that the value will be stored in.","match":"^[%a_-][%a%d_-]*$","type":"string"}}],"required":true,"type":"record"}}]` {
		t.Errorf("VaultJSON(env) = %s, %v", canon(t, doc), ok)
	}
	if _, ok := VaultJSON("aws"); ok {
		t.Error("VaultJSON(aws) reported an installed vault")
	}
}

func TestTracingPlugins(t *testing.T) {
	plugins := mustGet(t, "plugins")
	out, err := plugins.Process(decode(t, `{"name":"opentelemetry","config":{"endpoint":"http://otel:4318/v1/traces"}}`), Insert, testNow)
	if err != nil {
		t.Fatal(err)
	}
	cfg := out["config"].(map[string]any)
	if cfg["traces_endpoint"] != "http://otel:4318/v1/traces" {
		t.Errorf("traces_endpoint = %v, want the deprecated endpoint's value", cfg["traces_endpoint"])
	}
	if got := canon(t, cfg["propagation"]); got != `{"clear":null,"default_format":"w3c","extract":null,"inject":null}` {
		t.Errorf("propagation = %s", got)
	}
	if q := cfg["queue"].(map[string]any); q["max_batch_size"] != 200.0 || q["max_entries"] != 10000.0 {
		t.Errorf("queue = %v, want the record default over the queue defaults", q)
	}
	_, err = plugins.Process(decode(t, `{"name":"zipkin","config":{"static_tags":[{"name":"a","value":"1"},{"name":"a","value":"2"}]}}`), Insert, testNow)
	if got := canon(t, schemaErr(t, err).Fields); got != `{"config":{"static_tags":"repeated tags are not allowed: a"}}` {
		t.Errorf("zipkin duplicate tags: %s", got)
	}
	_, err = plugins.Process(decode(t, `{"name":"opentelemetry","config":{}}`), Insert, testNow)
	if got := canon(t, schemaErr(t, err).Fields); got != `{"config":{"@entity":["at least one of these fields must be non-empty: 'traces_endpoint', 'logs_endpoint'"]}}` {
		t.Errorf("opentelemetry without endpoints: %s", got)
	}
}
