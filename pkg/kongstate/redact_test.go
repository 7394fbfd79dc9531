package kongstate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kong/go-kong/kong"
)

// secretState is a state holding one value of every kind Redacted must hide, each spelled
// SECRET-<n> so that a test can look for all of them in any output, next to public values
// (PUBLIC-<n>) that must stay.
func secretState(t *testing.T) *State {
	t.Helper()
	fromSecret := &kong.Plugin{Name: kong.String("openid-connect"), Config: kong.Configuration{
		"client_secret": "SECRET-oidc", "nested": map[string]any{"deep": []any{"SECRET-deep", 7.0}},
	}}
	patched := &kong.Plugin{Name: kong.String("rate-limiting"), Config: kong.Configuration{
		"minute": 5.0, "redis": map[string]any{"password": "SECRET-redis", "host": "PUBLIC-redis-host"},
		"a/b": "SECRET-escaped", "headers": []any{"PUBLIC-x", "SECRET-appended"},
	}}
	lost := &kong.Plugin{Name: kong.String("lost"), Config: kong.Configuration{"x": "SECRET-unresolved"}}
	nestedRoute := &kong.Plugin{Name: kong.String("key-auth"), Config: kong.Configuration{"key_names": []any{"SECRET-route"}}}
	inline := &kong.Plugin{Name: kong.String("cors"), Config: kong.Configuration{"origins": []any{"PUBLIC-origin"}}}
	s := &State{
		Services: []*Service{{
			Service: kong.Service{Name: kong.String("svc"), Host: kong.String("PUBLIC-host")},
			Routes:  []*Route{{Route: kong.Route{Name: kong.String("r")}, Plugins: []*kong.Plugin{nestedRoute}}},
		}},
		Certificates: []*Certificate{{Certificate: kong.Certificate{
			ID: kong.String("cert-id"), Cert: kong.String("PUBLIC-cert"), Key: kong.String("SECRET-key"),
			CertAlt: kong.String("PUBLIC-cert-alt"), KeyAlt: kong.String("SECRET-key-alt"),
			SNIs: []*string{kong.String("PUBLIC-sni")},
		}}},
		CACertificates: []*kong.CACertificate{{ID: kong.String("ca"), Cert: kong.String("PUBLIC-ca")}},
		Plugins:        []*kong.Plugin{fromSecret, patched, lost, inline},
		Consumers: []*Consumer{{
			Consumer: kong.Consumer{Username: kong.String("alice")},
			KeyAuths: []*kong.KeyAuth{{Key: kong.String("SECRET-keyauth")}},
			BasicAuths: []*kong.BasicAuth{{
				Username: kong.String("PUBLIC-basic-user"), Password: kong.String("SECRET-password"),
			}},
			HMACAuths: []*kong.HMACAuth{{Username: kong.String("PUBLIC-hmac-user"), Secret: kong.String("SECRET-hmac")}},
			JWTAuths: []*kong.JWTAuth{
				{Key: kong.String("PUBLIC-jwt-iss"), Secret: kong.String("SECRET-jwt")},
				{Key: kong.String("PUBLIC-jwt-rsa-iss"), Algorithm: kong.String("RS256"), RSAPublicKey: kong.String("PUBLIC-rsa")},
			},
			Oauth2Creds: []*kong.Oauth2Credential{{
				Name: kong.String("app"), ClientID: kong.String("PUBLIC-client-id"), ClientSecret: kong.String("SECRET-client-secret"),
			}},
			MTLSAuths: []*kong.MTLSAuth{{SubjectName: kong.String("PUBLIC-subject")}},
			ACLGroups: []*kong.ACLGroup{{Group: kong.String("PUBLIC-acl")}},
		}},
		Vaults: []*kong.Vault{
			{Name: kong.String("env"), Prefix: kong.String("env-vault"), Config: kong.Configuration{"prefix": "PUBLIC-env-prefix"}},
			{Name: kong.String("hcv"), Prefix: kong.String("hcv-vault"), Config: kong.Configuration{
				"host": "PUBLIC-vault-host", "token": "SECRET-vault-token", "approle_secret_id": "SECRET-approle",
			}},
		},
	}
	s.MarkSecretConfig(fromSecret, "")
	s.MarkSecretConfig(patched, "/redis/password", "/a~1b", "/headers/-")
	s.MarkSecretConfig(lost, "/not/there")
	s.MarkSecretConfig(nestedRoute, "/key_names/0")
	if errs := s.FillIDs(""); len(errs) > 0 {
		t.Fatalf("fill ids: %v", errs)
	}
	return s
}

// secretsIn returns the SECRET-<n> markers found in out.
func secretsIn(out string) []string {
	var found []string
	for _, f := range strings.FieldsFunc(out, func(r rune) bool {
		return !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if strings.HasPrefix(f, "SECRET-") {
			found = append(found, f)
		}
	}
	return found
}

func TestRedactedHidesEverySecretAndKeepsTheRest(t *testing.T) {
	s := secretState(t)
	r := s.Redacted()

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"certificate key", deref(r.Certificates[0].Key), RedactedValue},
		{"certificate key_alt", deref(r.Certificates[0].KeyAlt), RedactedValue},
		{"certificate cert stays", deref(r.Certificates[0].Cert), "PUBLIC-cert"},
		{"certificate cert_alt stays", deref(r.Certificates[0].CertAlt), "PUBLIC-cert-alt"},
		{"key-auth key", deref(r.Consumers[0].KeyAuths[0].Key), RedactedValue},
		{"basic-auth password", deref(r.Consumers[0].BasicAuths[0].Password), RedactedValue},
		{"basic-auth username stays", deref(r.Consumers[0].BasicAuths[0].Username), "PUBLIC-basic-user"},
		{"hmac-auth secret", deref(r.Consumers[0].HMACAuths[0].Secret), RedactedValue},
		{"jwt secret", deref(r.Consumers[0].JWTAuths[0].Secret), RedactedValue},
		{"jwt key stays", deref(r.Consumers[0].JWTAuths[0].Key), "PUBLIC-jwt-iss"},
		{"jwt rsa_public_key stays", deref(r.Consumers[0].JWTAuths[1].RSAPublicKey), "PUBLIC-rsa"},
		{"jwt without secret gets none", r.Consumers[0].JWTAuths[1].Secret, (*string)(nil)},
		{"oauth2 client_secret", deref(r.Consumers[0].Oauth2Creds[0].ClientSecret), RedactedValue},
		{"oauth2 client_id stays", deref(r.Consumers[0].Oauth2Creds[0].ClientID), "PUBLIC-client-id"},
		{"mtls-auth subject stays", deref(r.Consumers[0].MTLSAuths[0].SubjectName), "PUBLIC-subject"},
		{"configFrom: every leaf, shape kept", map[string]any(r.Plugins[0].Config), map[string]any{
			"client_secret": RedactedValue, "nested": map[string]any{"deep": []any{RedactedValue, RedactedValue}},
		}},
		{"configPatches: only the patched paths; an array path hides the array", map[string]any(r.Plugins[1].Config), map[string]any{
			"minute": 5.0, "redis": map[string]any{"password": RedactedValue, "host": "PUBLIC-redis-host"},
			"a/b": RedactedValue, "headers": []any{RedactedValue, RedactedValue},
		}},
		{"a pointer that does not resolve hides the whole config", map[string]any(r.Plugins[2].Config), map[string]any{"x": RedactedValue}},
		{"inline config stays", map[string]any(r.Plugins[3].Config), map[string]any{"origins": []any{"PUBLIC-origin"}}},
		{"plugins nested under routes too", map[string]any(r.Services[0].Routes[0].Plugins[0].Config), map[string]any{"key_names": []any{RedactedValue}}},
		{"env vault config stays", map[string]any(r.Vaults[0].Config), map[string]any{"prefix": "PUBLIC-env-prefix"}},
		{"hcv vault credentials", map[string]any(r.Vaults[1].Config), map[string]any{
			"host": "PUBLIC-vault-host", "token": RedactedValue, "approle_secret_id": RedactedValue,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}

	var out bytes.Buffer
	if err := json.NewEncoder(&out).Encode(r); err != nil {
		t.Fatalf("encode redacted state: %v", err)
	}
	if found := secretsIn(out.String()); len(found) > 0 {
		t.Errorf("redacted state still holds %v", found)
	}
	if c := r.Count(); c != s.Count() {
		t.Errorf("redacted counts %+v, want %+v", c, s.Count())
	}
}

func TestRedactedLeavesTheStateAndItsIDsUnchanged(t *testing.T) {
	s := secretState(t)
	before := showAll(t, s)
	r := s.Redacted()

	if after := showAll(t, s); after != before {
		t.Errorf("Redacted changed its receiver:\n%s\n---\n%s", before, after)
	}
	if n := len(secretsIn(before)); n != 16 {
		t.Errorf("the original holds %d secret values, want all 16: %v", n, secretsIn(before))
	}
	if got := s.SecretConfig(s.Plugins[1]); !reflect.DeepEqual(got, []string{"/redis/password", "/a~1b", "/headers/-"}) {
		t.Errorf("original's secret config record = %q", got)
	}
	ids := func(st *State) []string {
		out := []string{deref(st.Services[0].ID), deref(st.Services[0].Routes[0].ID), deref(st.Consumers[0].ID),
			deref(st.Certificates[0].ID), deref(st.Vaults[0].ID), deref(st.Vaults[1].ID)}
		for _, p := range st.Plugins {
			out = append(out, deref(p.ID))
		}
		return out
	}
	if got, want := ids(r), ids(s); !reflect.DeepEqual(got, want) {
		t.Errorf("redacted IDs %q, want %q", got, want)
	}
	if slicesShare(r.Plugins, s.Plugins) || r.Consumers[0] == s.Consumers[0] || r.Certificates[0] == s.Certificates[0] {
		t.Error("redacted copy shares entities with the original")
	}
	if (*State)(nil).Redacted() != nil {
		t.Error("nil state redacted to non-nil")
	}
}

func TestDeepCopyKeepsSecretConfigRecord(t *testing.T) {
	s := secretState(t)
	c := s.DeepCopy()
	if got, want := showAll(t, c), showAll(t, s); got != want {
		t.Errorf("copy differs:\n%s\n---\n%s", got, want)
	}
	for i := range s.Plugins {
		if got, want := c.SecretConfig(c.Plugins[i]), s.SecretConfig(s.Plugins[i]); !reflect.DeepEqual(got, want) {
			t.Errorf("plugin %d: copy's record %q, want %q", i, got, want)
		}
	}
	if got := showAll(t, c.Redacted()); got != showAll(t, s.Redacted()) {
		t.Error("a copy redacts differently from its original")
	}
}

func TestWriteRedactsUnlessShowSecrets(t *testing.T) {
	for _, format := range []Format{FormatDeck, FormatYAML, FormatJSON} {
		t.Run(string(format), func(t *testing.T) {
			s := secretState(t)
			var redacted, again, shown bytes.Buffer
			for _, w := range []struct {
				buf  *bytes.Buffer
				opts WriteOptions
			}{{&redacted, WriteOptions{}}, {&again, WriteOptions{}}, {&shown, WriteOptions{ShowSecrets: true}}} {
				if err := Write(w.buf, s, format, w.opts); err != nil {
					t.Fatalf("write: %v", err)
				}
			}
			if found := secretsIn(redacted.String()); len(found) > 0 {
				t.Errorf("default output shows %v", found)
			}
			if !strings.Contains(redacted.String(), RedactedValue) {
				t.Errorf("default output lacks %s", RedactedValue)
			}
			for _, public := range []string{"PUBLIC-cert", "PUBLIC-rsa", "PUBLIC-client-id", "PUBLIC-redis-host", deref(s.Plugins[0].ID)} {
				if !strings.Contains(redacted.String(), public) {
					t.Errorf("default output lacks %q", public)
				}
			}
			if redacted.String() != again.String() {
				t.Error("redacted output is not deterministic")
			}
			// The deck format drops key_alt (KIC's deckgen has no alternate pair), so it shows
			// one secret fewer than the State itself.
			want := 16
			if format == FormatDeck {
				want = 15
			}
			if n := len(secretsIn(shown.String())); n != want {
				t.Errorf("--show-secrets output shows %d secret values, want %d: %v", n, want, secretsIn(shown.String()))
			}
		})
	}
}

func showAll(t *testing.T, s *State) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, s, FormatJSON, WriteOptions{ShowSecrets: true}); err != nil {
		t.Fatalf("write: %v", err)
	}
	return b.String()
}

func slicesShare(a, b []*kong.Plugin) bool {
	for i := range a {
		if a[i] == b[i] {
			return true
		}
	}
	return false
}

// TestRedactedHidesWellKnownPluginCredentials: a credential written into a plugin's config
// literally (not from a Secret) is hidden too, by its field name, at any depth.
func TestRedactedHidesWellKnownPluginCredentials(t *testing.T) {
	s := &State{Plugins: []*kong.Plugin{{Name: kong.String("aws-lambda"), Config: kong.Configuration{
		"aws_secret": "literal-aws", "redis": map[string]any{"password": "literal-redis", "host": "redis.local"},
	}}}}
	raw := fmt.Sprint(s.Redacted().Plugins[0].Config)
	if strings.Contains(raw, "literal-") || !strings.Contains(raw, "redis.local") {
		t.Fatalf("redacted config %s", raw)
	}
	if s.Plugins[0].Config["aws_secret"] != "literal-aws" {
		t.Fatal("Redacted changed the state itself")
	}
}
