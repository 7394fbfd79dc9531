package store

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestExportIsKongsDeclarativeShape(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	on := insert(t, s, "services", map[string]any{"name": "on", "host": "on.example"})
	off := insert(t, s, "services", map[string]any{"name": "off", "host": "off.example", "enabled": false})
	r := insert(t, s, "routes", map[string]any{"name": "r-on", "paths": []any{"/on"}, "service": map[string]any{"id": on["id"]}})
	insert(t, s, "routes", map[string]any{"name": "r-off", "paths": []any{"/off"}, "service": map[string]any{"id": off["id"]}})
	insert(t, s, "plugins", map[string]any{"name": "cors", "service": map[string]any{"id": off["id"]}})
	insert(t, s, "plugins", map[string]any{"name": "key-auth", "enabled": false})
	insert(t, s, "plugins", map[string]any{"name": "acl", "config": map[string]any{"allow": []any{"a"}},
		"route": map[string]any{"id": r["id"]}})
	c := insert(t, s, "consumers", map[string]any{"username": "alice"})
	ttl := 3600.0
	ke := entity(t, "keyauth_credentials")
	ent, err := ke.Process(map[string]any{"key": "k1", "consumer": map[string]any{"id": c["id"]}}, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Insert(ctx, ke, ent, WriteOptions{TTL: &ttl}); err != nil {
		t.Fatal(err)
	}

	x, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := x.Config
	text, err := x.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	var reread map[string]any
	if err := json.Unmarshal(text, &reread); err != nil {
		t.Fatalf("AppendJSON wrote invalid JSON: %v", err)
	}
	if !reflect.DeepEqual(reread, out) {
		t.Error("AppendJSON's JSON decodes to another configuration than Config")
	}
	if out["_format_version"] != "3.0" || out["_transform"] != false {
		t.Errorf("top level = %v %v, want 3.0 false", out["_format_version"], out["_transform"])
	}
	names := func(key, field string) []any {
		var got []any
		list, _ := out[key].([]any)
		for _, x := range list {
			got = append(got, x.(map[string]any)[field])
		}
		return got
	}
	if got := names("services", "name"); len(got) != 1 || got[0] != "on" {
		t.Errorf("services = %v, want the enabled one only", got)
	}
	if got := names("routes", "name"); len(got) != 1 || got[0] != "r-on" {
		t.Errorf("routes = %v, want the enabled service's only", got)
	}
	if got := names("plugins", "name"); len(got) != 1 || got[0] != "acl" {
		t.Errorf("plugins = %v, want acl only (cors is on a disabled service, key-auth disabled)", got)
	}
	route := out["routes"].([]any)[0].(map[string]any)
	if route["service"] != on["id"] {
		t.Errorf("route.service = %#v, want the bare id %v", route["service"], on["id"])
	}
	if _, ok := route["ws_id"]; ok {
		t.Error("route carries ws_id")
	}
	if v, ok := route["snis"]; !ok || v != nil {
		t.Errorf("route.snis = %#v (present %v), want an explicit null", v, ok)
	}
	cred := out["keyauth_credentials"].([]any)[0].(map[string]any)
	if exp, _ := cred["ttl"].(float64); exp < float64(time.Now().Unix()+3500) {
		t.Errorf("credential ttl = %v, want the absolute expiry epoch", cred["ttl"])
	}
	if got := names("workspaces", "name"); len(got) != 1 || got[0] != "default" {
		t.Errorf("workspaces = %v, want default", got)
	}
	if _, ok := out["upstreams"]; ok {
		t.Error("upstreams present without rows")
	}
	if _, ok := out["tags"]; ok {
		t.Error("tags exported; Kong marks them db_export = false")
	}
}
