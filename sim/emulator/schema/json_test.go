package schema

import (
	"strings"
	"testing"
)

func fieldAttrs(t *testing.T, doc map[string]any, name string) map[string]any {
	t.Helper()
	for _, item := range doc["fields"].([]any) {
		if attrs, ok := item.(map[string]any)[name]; ok {
			return attrs.(map[string]any)
		}
	}
	t.Fatalf("field %q not in %s", name, canon(t, doc))
	return nil
}

func TestEntityJSONIsKongShaped(t *testing.T) {
	svc := roundTrip(t, mustGet(t, "services").JSON()).(map[string]any)
	var order []string
	for _, item := range svc["fields"].([]any) {
		m := item.(map[string]any)
		if len(m) != 1 {
			t.Fatalf("field entry %v is not a single-key object", m)
		}
		for k := range m {
			order = append(order, k)
		}
	}
	if got := strings.Join(order, ","); got != "id,created_at,updated_at,name,retries,protocol,host,port,path,connect_timeout,write_timeout,read_timeout,tags,client_certificate,tls_verify,tls_verify_depth,ca_certificates,enabled" {
		t.Errorf("services field order = %s", got)
	}
	for name, want := range map[string]string{
		"retries":            `{"between":[0,32767],"default":5,"description":"The number of retries to execute upon failure to proxy.","type":"integer"}`,
		"protocol":           `{"default":"http","description":"A string representing a protocol, such as HTTP or HTTPS.","one_of":["grpc","grpcs","http","https","tcp","tls","tls_passthrough","udp"],"required":true,"type":"string"}`,
		"id":                 `{"auto":true,"description":"A string representing a UUID (universally unique identifier).","type":"string","uuid":true}`,
		"client_certificate": `{"description":"Certificate to be used as client certificate while TLS handshaking to the upstream server.","reference":"certificates","type":"foreign"}`,
		"tls_verify_depth":   `{"between":[0,64],"default":null,"description":"Maximum depth of chain while verifying Upstream server's TLS certificate.","type":"integer"}`,
		"enabled":            `{"default":true,"description":"Whether the Service is active. ","required":true,"type":"boolean"}`,
	} {
		if got := canon(t, fieldAttrs(t, svc, name)); got != want {
			t.Errorf("services.%s = %s, want %s", name, got, want)
		}
	}
	if got := canon(t, svc["entity_checks"].([]any)[0]); got != `{"conditional":{"if_field":"protocol","if_match":{"one_of":["tcp","tls","udp","grpc","grpcs"]},"then_field":"path","then_match":{"eq":null}}}` {
		t.Errorf("first services entity check = %s", got)
	}
	routes := roundTrip(t, mustGet(t, "routes").JSON()).(map[string]any)
	for _, absent := range []string{"expression", "priority"} {
		for _, item := range routes["fields"].([]any) {
			if _, ok := item.(map[string]any)[absent]; ok {
				t.Errorf("routes serves %q, which only the expressions flavor has", absent)
			}
		}
	}
	if got := canon(t, fieldAttrs(t, routes, "protocols")["mutually_exclusive_subsets"]); got != `[["http","https"],["tcp","tls","udp"],["tls_passthrough"],["grpc","grpcs"]]` {
		t.Errorf("routes.protocols subsets = %s", got)
	}
	plugins := roundTrip(t, mustGet(t, "plugins").JSON()).(map[string]any)
	if got := canon(t, fieldAttrs(t, plugins, "config")); got != `{"abstract":true,"description":"The configuration properties for the Plugin.","type":"record"}` {
		t.Errorf("plugins.config = %s", got)
	}
}

func TestPluginJSON(t *testing.T) {
	doc, ok := PluginJSON("key-auth")
	if !ok {
		t.Fatal("key-auth schema missing")
	}
	doc = roundTrip(t, doc).(map[string]any)
	if got := canon(t, fieldAttrs(t, doc, "consumer")); got != `{"description":"Custom type for representing a foreign key with a null value allowed.","eq":null,"reference":"consumers","type":"foreign"}` {
		t.Errorf("key-auth consumer = %s", got)
	}
	cfg := fieldAttrs(t, doc, "config")
	if cfg["required"] != true || cfg["type"] != "record" {
		t.Errorf("key-auth config = %v, want a required record", cfg)
	}
	rl, _ := PluginJSON("rate-limiting")
	rl = roundTrip(t, rl).(map[string]any)
	sh, _ := fieldAttrs(t, rl, "config")["shorthand_fields"].([]any)
	if len(sh) != 9 {
		t.Fatalf("rate-limiting shorthand_fields = %v, want the 9 redis_* fields", sh)
	}
	host := sh[0].(map[string]any)["redis_host"].(map[string]any)
	if got := canon(t, host["deprecation"].(map[string]any)["replaced_with"]); got != `[{"path":["redis","host"]}]` {
		t.Errorf("redis_host replaced_with = %s", got)
	}
	if _, ok := PluginJSON("nope"); ok {
		t.Error("PluginJSON of an unknown plugin reported ok")
	}
}

func TestAllListsParentsBeforeChildren(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range All() {
		for _, f := range e.Fields {
			if f.Type == Foreign && f.Reference != e.Name && !seen[f.Reference] {
				t.Errorf("%s references %s, which comes later in All()", e.Name, f.Reference)
			}
		}
		seen[e.Name] = true
	}
	for _, name := range []string{"services", "routes", "upstreams", "targets", "plugins", "consumers", "certificates",
		"snis", "ca_certificates", "vaults", "keyauth_credentials", "basicauth_credentials", "hmacauth_credentials",
		"jwt_secrets", "acls", "oauth2_credentials", "workspaces", "tags"} {
		if !seen[name] {
			t.Errorf("entity %s missing from All()", name)
		}
	}
	if v, _ := Get("vaults"); v.Table != "sm_vaults" {
		t.Errorf("vaults table = %q, want sm_vaults", v.Table)
	}
}

func TestFieldsForSeesThePluginConfig(t *testing.T) {
	plugins := mustGet(t, "plugins")
	cfg := schemaField(plugins.FieldsFor(map[string]any{"name": "rate-limiting"}), "config")
	if cfg == nil || schemaField(cfg.Fields, "minute") == nil {
		t.Fatalf("config of rate-limiting not resolved: %+v", cfg)
	}
	if got := plugins.FieldsFor(map[string]any{"name": "nope"}); len(got) != len(plugins.Fields) {
		t.Errorf("unknown plugin: got %d fields, want the entity's %d", len(got), len(plugins.Fields))
	}
}

func TestSNIsNameIsUniqueAcrossWorkspaces(t *testing.T) {
	snis := roundTrip(t, mustGet(t, "snis").JSON()).(map[string]any)
	name := fieldAttrs(t, snis, "name")
	if name["unique_across_ws"] != true || name["unique"] != true || name["required"] != true {
		t.Errorf("snis.name = %s, want unique, required and unique_across_ws", canon(t, name))
	}
	vaults := roundTrip(t, mustGet(t, "vaults").JSON()).(map[string]any)
	if prefix := fieldAttrs(t, vaults, "prefix"); prefix["unique_across_ws"] != true {
		t.Errorf("vaults.prefix = %s, want unique_across_ws as Kong declares it", canon(t, prefix))
	}
}
