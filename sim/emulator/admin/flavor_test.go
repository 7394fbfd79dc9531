package admin

import (
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// A node with router_flavor = expressions serves and stores the routes
// fields Kong adds for that flavor.
func TestExpressionsFlavorRoutesThroughTheAdminAPI(t *testing.T) {
	sch, err := schema.ForRouterFlavor(schema.FlavorExpressions)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newTestServerSchemas(t, sch)
	code, doc := do(t, srv, "GET", "/schemas/routes", "")
	mustStatus(t, 200, code, doc)
	names := map[string]bool{}
	for _, item := range doc["fields"].([]any) {
		for k := range item.(map[string]any) {
			names[k] = true
		}
	}
	if !names["expression"] || !names["priority"] {
		t.Errorf("/schemas/routes fields = %v, want expression and priority", names)
	}
	code, body := do(t, srv, "POST", "/routes", `{"name":"r","expression":"http.path ^= \"/x\"","priority":7}`)
	mustStatus(t, 201, code, body)
	code, body = do(t, srv, "GET", "/routes/r", "")
	mustStatus(t, 200, code, body)
	if body["expression"] != `http.path ^= "/x"` || body["priority"] != float64(7) {
		t.Errorf("GET /routes/r = %v, want the expression and priority stored", body)
	}
}

// Kong's answer to a header regex Rust cannot compile under its default
// router flavor: 400, code 2, the ATC router's message under "@entity".
func TestHeaderRegexRefusalBody(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(t, srv, "POST", "/routes", `{"headers":{"x-foo":["~*[a-"]}}`)
	mustStatus(t, 400, code, body)
	const msg = "Router Expression failed validation:  --> 1:35\n  |\n" +
		`1 | (any(lower(http.headers.x_foo)) ~ r#"[a-"#)` + "\n" +
		"  |                                   ^------^\n  |\n" +
		"  = regex parse error:\n    [a-\n    ^\nerror: unclosed character class"
	fields, _ := body["fields"].(map[string]any)
	entity, _ := fields["@entity"].([]any)
	if body["code"] != float64(2) || body["name"] != "schema violation" || body["message"] != "schema violation ("+msg+")" ||
		len(fields) != 1 || len(entity) != 1 || entity[0] != msg {
		t.Errorf("body = %#v", body)
	}
	code, body = do(t, srv, "GET", "/routes", "")
	mustStatus(t, 200, code, body)
	if data, _ := body["data"].([]any); len(data) != 0 {
		t.Errorf("the refused route was stored: %v", data)
	}
}
