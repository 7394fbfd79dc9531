package schema

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sort"
	"strings"
)

// jwkFields are typedefs.jwk's members; a key's jwk string must decode to
// an object with only these (kid required).
var jwkFields = func() []*Field {
	names := []string{"issuer", "kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t", "x5t#S256",
		"k", "x", "y", "crv", "n", "e", "d", "p", "q", "dp", "dq", "qi", "oth", "r", "t"}
	var fs []*Field
	for _, n := range names {
		switch n {
		case "key_ops", "x5c":
			fs = append(fs, F(n, Array, Optional, Elements(El(String, Optional))))
		case "kid":
			fs = append(fs, F(n, String, Required))
		default:
			fs = append(fs, F(n, String, Optional))
		}
	}
	return fs
}()

func b64url(s any) ([]byte, bool) {
	str, ok := s.(string)
	if !ok || str == "" {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(str, "="))
	return b, err == nil
}

// loadJWK checks that a JWK describes a usable key, as OpenSSL's JWK
// loader does for the key types Kong supports.
func loadJWK(m map[string]any) bool {
	switch m["kty"] {
	case "RSA":
		n, ok1 := b64url(m["n"])
		e, ok2 := b64url(m["e"])
		if !ok1 || !ok2 {
			return false
		}
		pub := rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		return pub.N.Sign() > 0 && pub.E > 1
	case "EC":
		var curve elliptic.Curve
		switch m["crv"] {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return false
		}
		x, ok1 := b64url(m["x"])
		y, ok2 := b64url(m["y"])
		if !ok1 || !ok2 {
			return false
		}
		// SEC 1 uncompressed point: 0x04, then x and y left-padded to the curve's size.
		size := (curve.Params().BitSize + 7) / 8
		if len(x) > size || len(y) > size {
			return false
		}
		point := make([]byte, 1+2*size)
		point[0] = 4
		copy(point[1+size-len(x):1+size], x)
		copy(point[1+2*size-len(y):], y)
		_, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		return err == nil
	case "OKP":
		x, ok := b64url(m["x"])
		if !ok {
			return false
		}
		switch m["crv"] {
		case "Ed25519", "Ed448":
			return len(x) == 32 || len(x) == 57
		case "X25519":
			_, err := ecdh.X25519().NewPublicKey(x)
			return err == nil
		}
		return false
	case "oct":
		_, ok := b64url(m["k"])
		return ok
	}
	return false
}

// errorsToString is Kong's Schema:errors_to_string.
func errorsToString(errs map[string]any) string {
	var msgs []string
	if list, ok := errs["@entity"].([]any); ok {
		for _, m := range list {
			msgs = append(msgs, luaString(m))
		}
	}
	keys := sortedKeys(errs)
	sort.Strings(keys)
	for _, k := range keys {
		if k == "@entity" {
			continue
		}
		v := errs[k]
		if sub, ok := v.(map[string]any); ok {
			v = strings.TrimPrefix(errorsToString(sub), "Validation error: ")
		}
		msgs = append(msgs, k+": "+luaString(v))
	}
	return "Validation error: " + strings.Join(msgs, "; ")
}

func checkKey(r map[string]any) map[string]string {
	fail := func(msg string) map[string]string { return map[string]string{"@entity": msg} }
	if jwk, ok := r["jwk"].(string); ok {
		if strings.HasPrefix(jwk, "{vault://") {
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(jwk), &m); err != nil {
			return fail("could not json decode jwk string")
		}
		m, _ = normalizeJSON(m).(map[string]any)
		if m["kid"] != r["kid"] {
			return fail("kid in jwk.kid must be equal to keys.kid")
		}
		if !loadJWK(m) {
			return fail("could not load JWK, likely not a valid key")
		}
		if errs := validateRecord(jwkFields, nil, m, true, nil); len(errs) > 0 {
			return fail(errorsToString(errs))
		}
	}
	if pem, ok := r["pem"].(map[string]any); ok && pem["private_key"] == nil && pem["public_key"] == nil {
		return fail("need to supply a PEM formatted public and/or private key.")
	}
	return nil
}

// validatePEMKeys is typedefs.pem's custom_validator.
func validatePEMKeys(v any) string {
	m, _ := v.(map[string]any)
	pub, _ := m["public_key"].(string)
	priv, _ := m["private_key"].(string)
	if strings.HasPrefix(pub, "{vault://") || strings.HasPrefix(priv, "{vault://") {
		return ""
	}
	var pubKey, privKey any
	if pub != "" {
		k, err := parseKey(pub)
		if err != nil {
			return "could not load public key"
		}
		pubKey = k
	}
	if priv != "" {
		k, err := parseKey(priv)
		if err != nil {
			return "could not load private key"
		}
		if _, isPriv := k.(publicKeyer); !isPriv {
			return "could not load private key"
		}
		privKey = k
	}
	if pubKey != nil && privKey != nil {
		p, ok := privKey.(publicKeyer).Public().(equaler)
		if !ok || !p.Equal(pubKey) {
			return "public key does not match private key"
		}
	}
	return ""
}

var keySets = &Entity{
	Name: "key_sets", Table: "key_sets", AdminPath: "key-sets", EndpointKey: "name", Workspaceable: true,
	Fields: []*Field{
		idField(),
		F("name", String, Optional, Unique),
		tagsField(), createdAt(), updatedAt(),
	},
}

// newKeysEntity declares keys. It is a function, not a variable like the
// other entities, because its jwk check validates through the registry's
// compiled patterns, and the registry is built from it: as a variable it
// would depend on its own initialisation.
func newKeysEntity() *Entity {
	return &Entity{
		Name: "keys", Table: "keys", AdminPath: "keys", NestedPath: "keys", EndpointKey: "name", Workspaceable: true,
		CacheKey: []string{"kid", "set"},
		Fields: []*Field{
			idField(),
			F("set", Foreign, Ref("key_sets"), Optional, OnDelete("cascade")),
			F("name", String, Optional, Unique),
			F("kid", String, Required),
			F("jwk", String, Referenceable, Encrypted),
			F("pem", Record, Optional, Custom(validatePEMKeys), Fields(
				F("private_key", String, Optional, Referenceable, Encrypted),
				F("public_key", String, Referenceable, Optional),
			), func(f *Field) { f.Checks = []*Check{atLeastOneOf("private_key", "public_key")} }),
			tagsField(), createdAt(), updatedAt(),
		},
		Checks: []*Check{
			{Kind: "mutually_exclusive", Fields: []string{"jwk", "pem"}},
			atLeastOneOf("jwk", "pem"),
			{Kind: "custom_entity_check", FieldSources: []string{"jwk", "pem", "kid"}, Fn: checkKey},
		},
	}
}
