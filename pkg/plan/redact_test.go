package plan

import (
	"strings"
	"testing"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// TestRedactedHidesPluginSecretsOnEverySide: a plugin's credentials are hidden whether the op
// creates, updates or deletes it. A delete's entity is only Kong's, which carries no mark of
// where a value came from, so the schema's encrypted/referenceable fields (Options.SecretConfig)
// and well-known secret names decide; an update hides on both sides what either side hides.
func TestRedactedHidesPluginSecretsOnEverySide(t *testing.T) {
	plugin := func(id, secret string) *kong.Plugin {
		return &kong.Plugin{ID: kong.String(id), Name: kong.String("aws-lambda"), Tags: tags(), Config: kong.Configuration{
			"aws_secret":   secret + "-aws",
			"signing":      map[string]any{"jwk": secret + "-jwk"},
			"redis":        map[string]any{"password": secret + "-redis", "host": "redis.local"},
			"from_secret":  secret + "-marked",
			"function_arn": "arn:aws:lambda:fn",
		}}
	}
	opts := Options{AllowDeletes: true, SecretConfig: map[string][]string{"aws-lambda": {"/signing/jwk"}}}
	check := func(t *testing.T, op *Op, secrets ...string) {
		t.Helper()
		body, old := op.Redacted()
		raw := toJSON(body) + toJSON(old)
		for _, s := range secrets {
			if strings.Contains(raw, s) {
				t.Errorf("%s %s shows %q: %s", op.Action, op.Kind, s, raw)
			}
		}
		if !strings.Contains(raw, "arn:aws:lambda:fn") || !strings.Contains(raw, "redis.local") {
			t.Errorf("public config hidden too: %s", raw)
		}
	}

	t.Run("delete", func(t *testing.T) {
		current := &kongstate.State{Plugins: []*kong.Plugin{plugin("p1", "old")}}
		p := build(t, &kongstate.State{}, current, opts)
		check(t, find(t, p, Delete, KindPlugin), "old-aws", "old-jwk", "old-redis")
	})
	t.Run("update", func(t *testing.T) {
		desired := &kongstate.State{Plugins: []*kong.Plugin{plugin("p1", "new")}}
		desired.MarkSecretConfig(desired.Plugins[0], "/from_secret")
		current := &kongstate.State{Plugins: []*kong.Plugin{plugin("p1", "old")}}
		p := build(t, desired, current, opts)
		check(t, find(t, p, Update, KindPlugin), "old-aws", "old-jwk", "old-redis", "old-marked", "new-aws", "new-jwk", "new-marked")
	})
	t.Run("delete without the schema", func(t *testing.T) {
		current := &kongstate.State{Plugins: []*kong.Plugin{plugin("p1", "old")}}
		p := build(t, &kongstate.State{}, current, Options{AllowDeletes: true})
		check(t, find(t, p, Delete, KindPlugin), "old-aws", "old-redis")
	})
}
