package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// awsLambdaSchema is the shape of Kong 3.9's /schemas/plugins/aws-lambda, cut to the fields
// that matter: encrypted and referenceable credentials, a nested record, an array of records
// with a secret inside, and public fields.
const awsLambdaSchema = `{"fields":[{"protocols":{"type":"set"}},{"config":{"type":"record","fields":[
 {"aws_key":{"type":"string","encrypted":true,"referenceable":true}},
 {"aws_secret":{"type":"string","encrypted":true,"referenceable":true}},
 {"function_name":{"type":"string"}},
 {"proxy":{"type":"record","fields":[{"url":{"type":"string"}},{"auth/password":{"type":"string","referenceable":true}}]}},
 {"upstreams":{"type":"array","elements":{"type":"record","fields":[{"token":{"type":"string","encrypted":true}}]}}},
 {"headers":{"type":"map","keys":{"type":"string"},"values":{"type":"string","referenceable":true}}},
 {"tags":{"type":"array","elements":{"type":"string"}}}
]}}]}`

func TestPluginSecretFieldsFollowTheSchemasMarks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/schemas/plugins/aws-lambda" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(awsLambdaSchema))
	}))
	t.Cleanup(srv.Close)
	c, err := newKongClient(srv.Client(), srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := (&Schemas{}).PluginSecretFields(t.Context(), c, "3.9.1", []string{"aws-lambda", "unknown"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/aws_key", "/aws_secret", "/headers", "/proxy/auth~1password", "/upstreams"}
	if !slices.Equal(got["aws-lambda"], want) || len(got["unknown"]) != 0 {
		raw, _ := json.Marshal(got)
		t.Fatalf("got %s, want aws-lambda %v", raw, want)
	}
}
