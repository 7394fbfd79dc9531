package schema

import (
	"reflect"
	"strings"
	"testing"
)

func routesOf(t *testing.T, flavor string) *Entity {
	t.Helper()
	s, err := ForRouterFlavor(flavor)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := s.Get("routes")
	if !ok {
		t.Fatalf("%s: no routes schema", flavor)
	}
	return e
}

// The refusal of a header regex Rust cannot parse, as Kong 3.9.3 answers
// POST /routes with {"headers":{"X-Foo":["~*[a-"]}}: the ATC router's pest
// error around Rust's regex error, under "@entity".
func TestRouteHeaderRegexIsRefusedAsKongRefusesIt(t *testing.T) {
	const want = "Router Expression failed validation:  --> 1:35\n" +
		"  |\n" +
		`1 | (any(lower(http.headers.x_foo)) ~ r#"[a-"#)` + "\n" +
		"  |                                   ^------^\n" +
		"  |\n" +
		"  = regex parse error:\n" +
		"    [a-\n" +
		"    ^\n" +
		"error: unclosed character class"
	_, err := mustGet(t, "routes").Process(decode(t, `{"protocols":["http"],"headers":{"X-Foo":["~*[a-"]}}`), Insert, testNow)
	e := schemaErr(t, err)
	if !reflect.DeepEqual(e.Fields, map[string]any{"@entity": []any{want}}) {
		t.Errorf("fields = %#v, want @entity [%q]", e.Fields, want)
	}
	if got := e.Error(); got != "schema violation ("+want+")" {
		t.Errorf("message = %q", got)
	}
}

func TestRouteRegexesAreValidatedAsTheATCRouterCompilesThem(t *testing.T) {
	routes := mustGet(t, "routes")
	for _, tc := range []struct{ in, want string }{
		// Kong's spec: "won't fail when rust.regex update to 1.8".
		{`{"paths":["~/\\/*/user$"]}`, ""},
		{`{"headers":{"x-version":["~*^v[0-9]+$"]},"paths":["~/(?<id>\\d+)$"]}`, ""},
		{`{"paths":["~/(?i)caf\\p{L}+/[\\x{41}-\\x{5a}]{2,3}$"]}`, ""},
		// PCRE accepts look-ahead and backreferences, Rust does not.
		{`{"paths":["~/(?=x)"]}`, "    ^/(?=x)\n      ^^^\nerror: look-around, including look-ahead and look-behind, is not supported"},
		{`{"methods":["GET"],"hosts":["a.example.com:8080"],"paths":["/x","~/(a)\\1"]}`,
			" --> 1:130\n"},
		{`{"headers":{"a":["~*x{2,1}"]}}`, "error: invalid repetition count range, the start must be <= the end"},
		{`{"headers":{"a":["~*(x"]}}`, "    (x\n    ^\nerror: unclosed group"},
		{`{"headers":{"a":["~*x)"]}}`, "    x)\n     ^\nerror: unopened group"},
		{`{"headers":{"a":["~**x"]}}`, "error: repetition operator missing expression"},
		{`{"headers":{"a":["~*[z-a]"]}}`, "    [z-a]\n     ^^^\nerror: invalid character class range, the start must be <= the end"},
		{`{"headers":{"a":["~*\\q"]}}`, "error: unrecognized escape sequence"},
	} {
		in := decode(t, tc.in)
		in["protocols"] = []any{"http"}
		_, err := routes.Process(in, Insert, testNow)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.in, err)
			}
			continue
		}
		e := schemaErr(t, err)
		msgs, _ := e.Fields["@entity"].([]any)
		if len(e.Fields) != 1 || len(msgs) != 1 || !strings.Contains(msgs[0].(string), tc.want) {
			t.Errorf("%s: fields %#v, want an @entity message containing %q", tc.in, e.Fields, tc.want)
		}
	}
}

// atc-router's own test of an invalid regex (t/06-validate.t, TEST 6).
func TestPestErrorMatchesTheATCRouter(t *testing.T) {
	const expr = `http.headers.foo ~ "([."`
	e := rustRegexError("([.")
	if e == nil {
		t.Fatal("([. accepted")
	}
	got := pestError(expr, 19, 5, e.format("([."))
	want := " --> 1:20\n  |\n1 | http.headers.foo ~ \"([.\"\n  |                    ^---^\n  |\n" +
		"  = regex parse error:\n    ([.\n     ^\nerror: unclosed character class"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRouterCheckDependsOnTheFlavor(t *testing.T) {
	in := `{"protocols":["http"],"headers":{"X-Foo":["~*[a-"]}}`
	if _, err := routesOf(t, FlavorTraditional).Process(decode(t, in), Insert, testNow); err != nil {
		t.Errorf("traditional router refused a header regex it never compiles: %v", err)
	}
	for _, flavor := range []string{FlavorTraditionalCompatible, FlavorExpressions} {
		if _, err := routesOf(t, flavor).Process(decode(t, in), Insert, testNow); err == nil {
			t.Errorf("%s accepted ~*[a-", flavor)
		}
		doc := roundTrip(t, routesOf(t, flavor).JSON()).(map[string]any)
		checks := doc["entity_checks"].([]any)
		if got := canon(t, checks[len(checks)-1]); got != `{"custom_entity_check":{"field_sources":["id","protocols","snis","sources","destinations","methods","hosts","paths","headers","expression","regex_priority","priority"],"run_with_missing_fields":true}}` {
			t.Errorf("%s: last routes check = %s", flavor, got)
		}
	}
	if n := len(routesOf(t, FlavorTraditional).JSON()["entity_checks"].([]any)); n != 2 {
		t.Errorf("traditional routes have %d checks, want 2", n)
	}
	if _, err := routesOf(t, FlavorTraditional).Process(decode(t, `{"protocols":["https"],"snis":["*.example.com"]}`), Insert, testNow); err == nil {
		t.Error("traditional routes accepted a wildcard SNI")
	}
}

func TestExpressionsFlavorAddsExpressionAndPriority(t *testing.T) {
	if _, err := ForRouterFlavor("atc"); err == nil {
		t.Error("ForRouterFlavor accepted an unknown flavor")
	}
	routes := routesOf(t, FlavorExpressions)
	doc := roundTrip(t, routes.JSON()).(map[string]any)
	if got := canon(t, fieldAttrs(t, doc, "expression")); got != `{"description":"The route expression.","type":"string"}` {
		t.Errorf("expression = %s", got)
	}
	if got := canon(t, fieldAttrs(t, doc, "priority")); got != `{"between":[0,70368744177663],"default":0,"description":"A number used to specify the matching order for expression routes. The higher the `+"`priority`"+`, the sooner an route will be evaluated. This field is ignored unless `+"`expression`"+` field is set.","required":true,"type":"integer"}` {
		t.Errorf("priority = %s", got)
	}
	out, err := routes.Process(decode(t, `{"protocols":["http"],"expression":"http.path ^= \"/x\"","priority":10}`), Insert, testNow)
	if err != nil {
		t.Fatalf("expression route refused: %v", err)
	}
	if out["expression"] != `http.path ^= "/x"` || out["priority"] != float64(10) {
		t.Errorf("stored %s", canon(t, out))
	}
	_, err = routes.Process(decode(t, `{"protocols":["http"],"expression":"http.path ^= \"/x\"","paths":["/x"]}`), Insert, testNow)
	if e := schemaErr(t, err); canon(t, e.Fields) != `{"@entity":["Router Expression failed validation: cannot set 'expression' with 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously"]}` {
		t.Errorf("expression with paths: %s", canon(t, e.Fields))
	}
	_, err = routes.Process(decode(t, `{"protocols":["http"]}`), Insert, testNow)
	if e := schemaErr(t, err); !strings.Contains(canon(t, e.Fields), `'methods', 'hosts', 'headers', 'paths', 'expression'`) {
		t.Errorf("empty http route: %s", canon(t, e.Fields))
	}
	// Kong's spec: under traditional_compatible, expression and priority are unknown.
	_, err = mustGet(t, "routes").Process(decode(t, `{"protocols":["http"],"hosts":["example.com"],"expression":"x","priority":100}`), Insert, testNow)
	if e := schemaErr(t, err); canon(t, e.Fields) != `{"expression":"unknown field","priority":"unknown field"}` {
		t.Errorf("traditional_compatible: %s", canon(t, e.Fields))
	}
}

// Under the expressions flavor HTTP routes may match sources, which come
// before the paths in the expression and so move the underlined column.
func TestRouteExpressionWritesNetsAsKong(t *testing.T) {
	expr, regexes := routeExpression(decode(t, `{"sources":[{"ip":"10.1.2.3/16","port":80},{"ip":"10.0.0.1"}],`+
		`"destinations":[{"port":443}],"paths":["~/a"]}`))
	const want = `((net.src.ip in 10.1.0.0/16 && net.src.port == 80) || net.src.ip == 10.0.0.1) && (net.dst.port == 443) && (http.path ~ r#"^/a"#)`
	if expr != want {
		t.Errorf("expression = %s\nwant         %s", expr, want)
	}
	if len(regexes) != 1 || regexes[0].start != strings.Index(want, `r#"^/a"#`) || regexes[0].size != 8 {
		t.Errorf("regex operands = %+v", regexes)
	}
}
