package schema

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// jsonDiff lists the paths where got and want differ.
func jsonDiff(path string, got, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		var out []string
		for k := range keys {
			out = append(out, jsonDiff(path+"/"+k, g[k], w[k])...)
		}
		sort.Strings(out)
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(got, want) {
		return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
	}
	return nil
}

// The fixtures in testdata were derived from Kong 3.9.3's Lua
// (kong/plugins/ai-*/schema.lua and kong/llm/schemas/init.lua) by
// evaluating their table constructors and applying schema_to_jsonable's
// rules: functions dropped, records inside fields required unless declared
// otherwise.
func TestAIPluginSchemasMatchKong(t *testing.T) {
	for _, name := range []string{"ai-proxy", "ai-request-transformer", "ai-response-transformer",
		"ai-prompt-decorator", "ai-prompt-guard", "ai-prompt-template"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + name + ".schema.json")
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			doc, ok := PluginJSON(name)
			if !ok {
				t.Fatalf("/schemas/plugins/%s is not served", name)
			}
			for _, d := range jsonDiff("", roundTrip(t, doc), want) {
				t.Error(d)
			}
		})
	}
}

func TestAIProxyValidatesAsKong(t *testing.T) {
	plugins := mustGet(t, "plugins")
	for _, tc := range []struct {
		config, wantErr string
	}{
		{`{"route_type":"llm/v1/chat","auth":{"header_name":"Authorization","header_value":"Bearer x"},"model":{"provider":"openai","name":"gpt-4o"}}`, ""},
		{`{"route_type":"llm/v1/chat","model":{"provider":"azure","options":{"azure_instance":"i"}}}`,
			"must set 'model.options.azure_deployment_id' for azure provider"},
		{`{"route_type":"llm/v1/chat","auth":{"header_name":"Authorization"},"model":{"provider":"openai"}}`,
			"all or none of these fields must be set: 'auth.header_name', 'auth.header_value'"},
		{`{"route_type":"llm/v1/completions","llm_format":"bedrock","model":{"provider":"bedrock"}}`,
			"native provider options in llm_format can only be used with the 'llm/v1/chat' route_type"},
		{`{"route_type":"llm/v1/completions","logging":{"log_statistics":true},"model":{"provider":"anthropic","options":{"anthropic_version":"v1"}}}`,
			"anthropic does not support statistics when route_type is llm/v1/completions"},
		{`{"route_type":"llm/v1/chat","model":{"provider":"nope"}}`, `expected one of: openai, azure`},
	} {
		in := decode(t, `{"name":"ai-proxy","config":`+tc.config+`}`)
		out, err := plugins.Process(in, Insert, time.Unix(1700000000, 0))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.config, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.config, err, tc.wantErr)
		case err == nil:
			cfg := out["config"].(map[string]any)
			if cfg["response_streaming"] != "allow" || cfg["max_request_body_size"] != float64(8192) || cfg["llm_format"] != "openai" {
				t.Errorf("%s: defaults not filled: %s", tc.config, canon(t, cfg))
			}
		}
	}
}
