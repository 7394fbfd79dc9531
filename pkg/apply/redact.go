package apply

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

// RedactKongError hides, in an error body Kong sent about op, every secret of op's entity:
// Kong echoes the values it refuses (a 409 on a key-auth quotes the key in its message and in
// "fields"), and the body goes on to the report, -o json, logs and Kubernetes Events. The
// secrets are the values op.Redacted hides (credentials, certificate keys, Secret-derived
// plugin config), as they are and JSON-escaped; any value Kong quotes for a field named like
// a credential is hidden too, since a foreign entity's secret is not in op's body.
func RedactKongError(op *plan.Op, body string) string {
	var secrets []string
	hiddenBody, hiddenOld := op.Redacted()
	collectSecrets(op.Body, hiddenBody, &secrets)
	collectSecrets(op.Old, hiddenOld, &secrets)
	for _, m := range []map[string]any{op.Body, op.Old} {
		for _, f := range credentialFields {
			if v, ok := m[f].(string); ok && v != "" {
				secrets = append(secrets, v)
			}
		}
	}
	// Longest first, so that a secret holding another is hidden whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		body = strings.ReplaceAll(body, s, kongstate.RedactedValue)
		if raw, err := json.Marshal(s); err == nil {
			body = strings.ReplaceAll(body, strings.Trim(string(raw), `"`), kongstate.RedactedValue)
		}
	}
	body = jsonCredential.ReplaceAllString(body, `${1}"`+kongstate.RedactedValue+`"`)
	return luaCredential.ReplaceAllString(body, `${1}`+kongstate.RedactedValue+`${2}`)
}

// credentialFields are the fields whose values are credentials in every kind that has them.
var credentialFields = []string{"key", "password", "secret", "client_secret", "key_alt"}

// jsonCredential is a credential field in a JSON object ("fields" of Kong's error body);
// luaCredential is one in the Lua table a unique-violation message prints ({key="v"}, its
// quotes JSON-escaped in the body).
var (
	jsonCredential = regexp.MustCompile(`("(?:` + strings.Join(credentialFields, "|") + `)"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	luaCredential  = regexp.MustCompile(`((?:^|[{,\s])(?:` + strings.Join(credentialFields, "|") + `)\s*=\s*\\?")(?:[^"\\]|\\[^"])*(\\?")`)
)

func collectSecrets(v, hidden any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		h, _ := hidden.(map[string]any)
		for k, e := range x {
			var he any
			if h != nil {
				he = h[k]
			}
			collectSecrets(e, he, out)
		}
	case []any:
		h, _ := hidden.([]any)
		for i, e := range x {
			var he any
			if i < len(h) {
				he = h[i]
			}
			collectSecrets(e, he, out)
		}
	case string:
		if x != "" && hidden != any(x) {
			*out = append(*out, x)
		}
	}
}
