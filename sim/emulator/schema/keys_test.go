package schema

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// An RSA JWK as go-kong's key tests send it.
const testJWK = `{"kty":"RSA","kid":"foo-1","n":"v2KAzzfruqctVHaE9WSCWIg1xAhMwxTIK-i56WNqPtpWBo9AqxcVea8NyVctEjUNq_mix5CklNy3ru7ARh7rBG_LU65fzs4fY_uYalul3QZSnr61Gj-cTUB3Gy4PhA63yXCbYRR3gDy6WR_wfis1MS61j0R_AjgXuVufmmC0F7R9qSWfR8ft0CbQgemEHY3ddKeW7T7fKv1jnRwYAkl5B_xtvxRFIYT-uR9NNftixNpUIW7q8qvOH7D9icXOg4_wIVxTRe5QiRYwEFoUbV1V9bFtu5FLal0vZnLaWwg5tA6enhzBpxJNdrS0v1RcPpyeNP-9r3cUDGmeftwz9v95UQ","e":"AQAB","alg":"A256GCM"}`

func pemPair(t *testing.T) (priv, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
}

func TestKeys(t *testing.T) {
	keys := mustGet(t, "keys")
	priv, pub := pemPair(t)
	_, otherPub := pemPair(t)
	t.Run("jwk key without a set", func(t *testing.T) {
		out, err := keys.Process(body(t, map[string]any{"name": "foo", "kid": "foo-1", "jwk": testJWK}), Insert, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if out["set"] != nil || out["pem"] != nil {
			t.Errorf("set/pem = %v/%v, want null", out["set"], out["pem"])
		}
	})
	t.Run("pem pair", func(t *testing.T) {
		if _, err := keys.Process(body(t, map[string]any{"kid": "k", "pem": map[string]any{"private_key": priv, "public_key": pub}}), Insert, testNow); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name string
		in   map[string]any
		want string
	}{
		{"neither jwk nor pem", map[string]any{"kid": "k"}, `{"@entity":["at least one of these fields must be non-empty: 'jwk', 'pem'"]}`},
		{"jwk kid differs", map[string]any{"kid": "other", "jwk": testJWK}, `{"@entity":["kid in jwk.kid must be equal to keys.kid"]}`},
		{"jwk is not json", map[string]any{"kid": "k", "jwk": "{"}, `{"@entity":["could not json decode jwk string"]}`},
		{"pem of two keys", map[string]any{"kid": "k", "pem": map[string]any{"private_key": priv, "public_key": otherPub}},
			`{"pem":"public key does not match private key"}`},
		{"both formats", map[string]any{"kid": "foo-1", "jwk": testJWK, "pem": map[string]any{"public_key": pub}},
			`{"@entity":["only one or none of these fields must be set: 'jwk', 'pem'"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.Process(body(t, tc.in), Insert, testNow)
			if got := canon(t, schemaErr(t, err).Fields); got != canon(t, decode(t, tc.want)) {
				t.Errorf("fields = %s, want %s", got, tc.want)
			}
		})
	}
}
