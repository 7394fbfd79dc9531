package schema

import (
	"encoding/json"
	"sort"
	"testing"
)

// fillFromSchemaJSON fills defaults by walking a served /schemas document,
// the way decK and go-kong do, independently of Process: a missing field
// takes its default (records inside it filled too), a missing required
// record is built from its fields, anything else becomes null. Auto fields
// are reported so the caller can check them apart.
func fillFromSchemaJSON(t *testing.T, fields []any, rec map[string]any, auto map[string]bool, prefix string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, v := range rec {
		out[k] = v
	}
	for _, item := range fields {
		for name, raw := range item.(map[string]any) {
			attrs := raw.(map[string]any)
			if attrs["auto"] == true {
				auto[prefix+name] = true
				continue
			}
			v, present := out[name]
			isRecord := attrs["type"] == "record"
			if !present {
				switch def, hasDef := attrs["default"]; {
				case hasDef:
					v = roundTrip(t, def)
				case isRecord && attrs["required"] == true:
					v = map[string]any{}
				default:
					v = nil
				}
			}
			if m, ok := v.(map[string]any); ok && isRecord {
				sub, _ := attrs["fields"].([]any)
				v = fillFromSchemaJSON(t, sub, m, auto, prefix+name+".")
			}
			// records inside maps and arrays are filled element by element
			if vals, ok := attrs["values"].(map[string]any); ok && vals["type"] == "record" {
				if m, ok := v.(map[string]any); ok {
					for k, el := range m {
						if em, ok := el.(map[string]any); ok {
							m[k] = fillFromSchemaJSON(t, vals["fields"].([]any), em, map[string]bool{}, "")
						}
					}
				}
			}
			if els, ok := attrs["elements"].(map[string]any); ok && els["type"] == "record" {
				if list, ok := v.([]any); ok {
					for i, el := range list {
						if em, ok := el.(map[string]any); ok {
							list[i] = fillFromSchemaJSON(t, els["fields"].([]any), em, map[string]bool{}, "")
						}
					}
				}
			}
			out[name] = v
		}
	}
	return out
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// pluginMinimalConfig is the least config each plugin accepts; plugins not
// listed accept an empty config.
var pluginMinimalConfig = map[string]string{
	"acl":                     `{"allow":["admins"]}`,
	"rate-limiting":           `{"minute":10}`,
	"response-ratelimiting":   `{"limits":{"sms":{"minute":10}}}`,
	"ip-restriction":          `{"allow":["10.0.0.0/8"]}`,
	"http-log":                `{"http_endpoint":"http://log.example.com/"}`,
	"file-log":                `{"path":"/tmp/kong.log"}`,
	"proxy-cache":             `{"strategy":"memory"}`,
	"redirect":                `{"location":"https://example.com/"}`,
	"oauth2":                  `{"enable_client_credentials":true}`,
	"tcp-log":                 `{"host":"log.local","port":514}`,
	"udp-log":                 `{"host":"log.local","port":514}`,
	"ldap-auth":               `{"ldap_host":"ldap.local","base_dn":"dc=x","attribute":"cn"}`,
	"pre-function":            `{"access":["kong.log.err('x')"]}`,
	"post-function":           `{"log":["kong.log.err('x')"]}`,
	"opentelemetry":           `{"traces_endpoint":"http://otel:4318/v1/traces"}`,
	"loggly":                  `{"key":"token"}`,
	"azure-functions":         `{"appname":"app","functionname":"fn"}`,
	"acme":                    `{"account_email":"ops@example.com","tos_accepted":true}`,
	"standard-webhooks":       `{"secret_v1":"c2VjcmV0"}`,
	"ai-proxy":                `{"route_type":"llm/v1/chat","model":{"provider":"openai"}}`,
	"ai-request-transformer":  `{"prompt":"p","llm":{"route_type":"llm/v1/chat","model":{"provider":"openai"}}}`,
	"ai-response-transformer": `{"prompt":"p","llm":{"route_type":"llm/v1/chat","model":{"provider":"openai"}}}`,
	"ai-prompt-decorator":     `{"prompts":{"prepend":[{"content":"be brief"}]}}`,
	"ai-prompt-guard":         `{"deny_patterns":[".*secret.*"]}`,
	"ai-prompt-template":      `{"templates":[{"name":"t","template":"Say {{x}}"}]}`,
}

func TestPluginProcessStoresTheDefaultsItsSchemaAdvertises(t *testing.T) {
	plugins := mustGet(t, "plugins")
	for _, name := range PluginNames() {
		t.Run(name, func(t *testing.T) {
			doc, ok := PluginJSON(name)
			if !ok {
				t.Fatalf("PluginJSON(%q) not found", name)
			}
			doc = roundTrip(t, doc).(map[string]any)
			cfgIn := "{}"
			if c, ok := pluginMinimalConfig[name]; ok {
				cfgIn = c
			}
			in := decode(t, `{"name":"`+name+`","config":`+cfgIn+`}`)
			out, err := plugins.Process(in, Insert, testNow)
			if err != nil {
				t.Fatalf("Process(%s): %v", canon(t, in), err)
			}
			var configFields []any
			var protocolsDefault any
			for _, item := range doc["fields"].([]any) {
				for fname, raw := range item.(map[string]any) {
					attrs := raw.(map[string]any)
					switch fname {
					case "config":
						configFields = attrs["fields"].([]any)
					case "protocols":
						protocolsDefault = attrs["default"]
					}
				}
			}
			if configFields == nil || protocolsDefault == nil {
				t.Fatalf("schema of %s lacks config fields or a protocols default: %s", name, canon(t, doc))
			}
			auto := map[string]bool{}
			want := fillFromSchemaJSON(t, configFields, decode(t, cfgIn), auto, "")
			got := roundTrip(t, out["config"]).(map[string]any)
			for path := range auto {
				if s, ok := got[path].(string); !ok || s == "" {
					t.Errorf("auto field config.%s = %v, want a generated string", path, got[path])
				}
				delete(got, path)
			}
			if g, w := canon(t, got), canon(t, want); g != w {
				t.Errorf("config\n got %s\nwant %s", g, w)
			}
			if g, w := canon(t, out["protocols"]), canon(t, protocolsDefault); g != w {
				t.Errorf("protocols = %s, want the schema default %s", g, w)
			}
			if out["enabled"] != true {
				t.Errorf("enabled = %v, want true", out["enabled"])
			}
		})
	}
}

func TestPluginNamesCoverTheIssueList(t *testing.T) {
	required := []string{"key-auth", "basic-auth", "acl", "jwt", "hmac-auth", "oauth2", "rate-limiting",
		"request-transformer", "response-transformer", "cors", "request-termination", "ip-restriction",
		"correlation-id", "prometheus", "proxy-cache", "http-log", "file-log", "bot-detection",
		"request-size-limiting", "redirect"}
	names := PluginNames()
	if !sort.StringsAreSorted(names) {
		t.Errorf("PluginNames() not sorted: %v", names)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
		version, priority, ok := PluginInfo(n)
		if !ok || version != "3.9.3" || priority == 0 {
			t.Errorf("PluginInfo(%q) = %q, %d, %v", n, version, priority, ok)
		}
	}
	for _, n := range required {
		if !have[n] {
			t.Errorf("plugin %q is not enabled", n)
		}
	}
	if _, _, ok := PluginInfo("nope"); ok {
		t.Error("PluginInfo of an unknown plugin reported ok")
	}
}

func TestEntityDefaultsMatchTheirSchemaJSON(t *testing.T) {
	minimal := map[string]string{
		"services":              `{"host":"a.com"}`,
		"routes":                `{"paths":["/"]}`,
		"upstreams":             `{"name":"up"}`,
		"targets":               `{"target":"a.com","upstream":{"id":"` + testUUID + `"}}`,
		"consumers":             `{"username":"u"}`,
		"keyauth_credentials":   `{"consumer":{"id":"` + testUUID + `"},"key":"k"}`,
		"hmacauth_credentials":  `{"consumer":{"id":"` + testUUID + `"},"username":"u","secret":"s"}`,
		"acls":                  `{"consumer":{"id":"` + testUUID + `"},"group":"g"}`,
		"oauth2_credentials":    `{"consumer":{"id":"` + testUUID + `"},"name":"n","client_id":"c","client_secret":"s"}`,
		"jwt_secrets":           `{"consumer":{"id":"` + testUUID + `"},"key":"k","secret":"s"}`,
		"basicauth_credentials": `{"consumer":{"id":"` + testUUID + `"},"username":"u","password":"p"}`,
	}
	for name, in := range minimal {
		t.Run(name, func(t *testing.T) {
			e := mustGet(t, name)
			out, err := e.Process(decode(t, in), Upsert, testNow)
			if err != nil {
				t.Fatal(err)
			}
			doc := roundTrip(t, e.JSON()).(map[string]any)
			auto := map[string]bool{}
			want := fillFromSchemaJSON(t, doc["fields"].([]any), decode(t, in), auto, "")
			got := roundTrip(t, out).(map[string]any)
			for path := range auto {
				if _, ok := want[path]; ok {
					continue // supplied by the input
				}
				if got[path] == nil {
					t.Errorf("auto field %s missing", path)
				}
				delete(got, path)
			}
			delete(got, "ttl")
			for k := range want {
				if _, ok := got[k]; !ok {
					t.Errorf("field %s missing from the processed entity", k)
				}
			}
			for k, v := range got {
				if k == "password" || k == "target" {
					continue // transformed on write
				}
				if canon(t, v) != canon(t, want[k]) {
					t.Errorf("%s = %s, schema says %s", k, canon(t, v), canon(t, want[k]))
				}
			}
		})
	}
}
