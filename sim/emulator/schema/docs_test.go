package schema

import "testing"

// walkFieldJSON calls fn with the path and attributes of every field in a
// served schema: record fields, shorthand fields, elements, keys, values.
func walkFieldJSON(fields []any, prefix string, fn func(path string, attrs map[string]any)) {
	for _, item := range fields {
		for name, a := range item.(map[string]any) {
			walkAttrs(a.(map[string]any), prefix+name, fn)
		}
	}
}

func walkAttrs(attrs map[string]any, path string, fn func(string, map[string]any)) {
	fn(path, attrs)
	if fs, ok := attrs["fields"].([]any); ok {
		walkFieldJSON(fs, path+".", fn)
	}
	if fs, ok := attrs["shorthand_fields"].([]any); ok {
		walkFieldJSON(fs, path+".", fn)
	}
	for k, suffix := range map[string]string{"elements": "[]", "keys": "{k}", "values": "{v}"} {
		if sub, ok := attrs[k].(map[string]any); ok {
			walkAttrs(sub, path+suffix, fn)
		}
	}
}

// servedSchemas returns the body of GET /schemas/{entity} and GET
// /schemas/plugins/{name} for every schema the emulator serves, keyed like
// the docs tables.
func servedSchemas(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, e := range All() {
		out[e.Name] = roundTrip(t, e.JSON()).(map[string]any)
	}
	for _, n := range PluginNames() {
		doc, _ := PluginJSON(n)
		out["plugins/"+n] = roundTrip(t, doc).(map[string]any)
	}
	env, _ := VaultJSON("env")
	out["vaults/env"] = roundTrip(t, env).(map[string]any)
	return out
}

func TestDocsNameOnlyExistingFields(t *testing.T) {
	if unused := schemas().unusedDocs; len(unused) > 0 {
		t.Errorf("doc paths that name no field: %v", unused)
	}
}

func TestSchemasServeKongsDescriptions(t *testing.T) {
	// Kong 3.9.3's Lua declares 787 descriptions for the schemas the emulator
	// serves (632 in docs tables, 154 in the ai-* plugins, 1 in the env
	// vault), counting typedef descriptions wherever a field inherits them.
	const found = 787
	n := 0
	descs := map[string]string{}
	for key, doc := range servedSchemas(t) {
		walkFieldJSON(doc["fields"].([]any), "", func(path string, attrs map[string]any) {
			if d, ok := attrs["description"].(string); ok {
				n++
				descs[key+" "+path] = d
			}
		})
	}
	if n < found {
		t.Errorf("%d descriptions served, want at least %d", n, found)
	}
	for path, want := range map[string]string{
		"routes strip_path":                     "When matching a Route via one of the paths, strip the matching prefix from the upstream request URL.",
		"routes paths[]":                        "A string representing a router path. It must start with a forward slash ('/') for a fixed path, or the sequence '~/' for a regex path. It must not have empty segments.",
		"snis name":                             "A string representing a wildcard host name, such as *.example.com.",
		"plugins/rate-limiting config.redis":    "Redis configuration",
		"plugins/ai-proxy config.model.options": "Key/value settings for the model",
		"plugins/ai-request-transformer config.http_proxy_port": "An integer representing a port number between 0 and 65535, inclusive.",
		"keyauth_credentials key":                               "",
	} {
		if got := descs[path]; got != want {
			t.Errorf("%s description = %q, want %q", path, got, want)
		}
	}
}

func TestDeprecatedFieldsServeKongsMessage(t *testing.T) {
	n := 0
	msgs := map[string]string{}
	for key, doc := range servedSchemas(t) {
		walkFieldJSON(doc["fields"].([]any), "", func(path string, attrs map[string]any) {
			dep, ok := attrs["deprecation"].(map[string]any)
			if !ok {
				return
			}
			n++
			msg, _ := dep["message"].(string)
			if msg == "" || dep["removal_in_version"] != "4.0" {
				t.Errorf("%s %s deprecation = %v, want a message and removal_in_version 4.0", key, path, dep)
			}
			msgs[key+" "+path] = msg
		})
	}
	if n < 37 {
		t.Errorf("%d deprecated fields served, want the 37 of Kong 3.9.3's schemas", n)
	}
	for path, want := range map[string]string{
		"plugins/http-log config.retry_count":     "http-log: config.retry_count no longer works, please use config.queue.max_retry_time instead",
		"plugins/rate-limiting config.redis_host": "rate-limiting: config.redis_host is deprecated, please use config.redis.host instead",
		"plugins/opentelemetry config.endpoint":   "OpenTelemetry: config.endpoint is deprecated, please use config.traces_endpoint instead",
	} {
		if got := msgs[path]; got != want {
			t.Errorf("%s deprecation message = %q, want %q", path, got, want)
		}
	}
}
