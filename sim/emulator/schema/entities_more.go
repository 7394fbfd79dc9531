package schema

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// upstream healthchecks: Kong generates these records from a defaults
// table, so each nested record carries its own default as well.
func hcSeconds(n int) *Field { return El(Number, Between(0, 65535), Def(n)) }
func hcByte() *Field         { return El(Integer, Between(0, 255), Def(0)) }
func hcStatuses(codes ...int) *Field {
	vals := make([]any, len(codes))
	for i, c := range codes {
		vals[i] = c
	}
	return El(Array, Def(vals), Elements(El(Integer, Between(100, 999))))
}

func record(name string, fs ...*Field) *Field {
	f := F(name, Record, Fields(fs...))
	f.Default, f.HasDefault = recordDefault(fs), true
	return f
}

// recordDefault derives a generated record's default from its fields.
func recordDefault(fs []*Field) map[string]any {
	m := map[string]any{}
	for _, f := range fs {
		if f.HasDefault {
			m[f.Name] = deepCopy(f.Default)
		}
	}
	return m
}

var hcType = El(String, OneOf("tcp", "http", "https", "grpc", "grpcs"), Def("http"))

var healthchecks = func() *Field {
	active := record("active",
		hcType.Named("type"),
		hcSeconds(1).Named("timeout"),
		F("concurrency", Integer, Between(1, 2147483648), Def(10)),
		tPath.Named("http_path", Def("/")),
		tSNI.Named("https_sni", Optional),
		F("https_verify_certificate", Boolean, Def(true), Required),
		tHeaders.Named("headers", Optional),
		record("healthy", hcSeconds(0).Named("interval"), hcStatuses(200, 302).Named("http_statuses"), hcByte().Named("successes")),
		record("unhealthy", hcSeconds(0).Named("interval"), hcStatuses(429, 404, 500, 501, 502, 503, 504, 505).Named("http_statuses"),
			hcByte().Named("tcp_failures"), hcByte().Named("timeouts"), hcByte().Named("http_failures")),
	)
	passive := record("passive",
		hcType.Named("type"),
		record("healthy", hcStatuses(200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308).Named("http_statuses"), hcByte().Named("successes")),
		record("unhealthy", hcStatuses(429, 500, 503).Named("http_statuses"), hcByte().Named("tcp_failures"), hcByte().Named("timeouts"), hcByte().Named("http_failures")),
	)
	hc := record("healthchecks", active, passive)
	hc.Fields = append(hc.Fields, F("threshold", Number, Def(0), Between(0, 100)))
	return hc
}()

func validateUpstreamName(name string) string {
	prefix := "Invalid name ('" + name + "')"
	if !validUTF8(name) {
		prefix = "Invalid name"
	}
	p, err := normalizeIP(name)
	if err != "" {
		return prefix + "; must be a valid hostname"
	}
	if p.typ != "name" {
		return prefix + "; no ip addresses allowed"
	}
	if p.port >= 0 {
		return prefix + "; no port allowed"
	}
	return ""
}

var hashOn = El(String, Def("none"), OneOf("none", "consumer", "ip", "header", "cookie", "path", "query_arg", "uri_capture"))
var simpleParam = El(String, LenMin(1))

func hashCond(ifField, value, thenField string, then *Field) *Check {
	return ifThen(ifField, match(Match("^"+value+"$")), thenField, then)
}

var upstreams = &Entity{
	Name: "upstreams", Table: "upstreams", AdminPath: "upstreams", EndpointKey: "name", Workspaceable: true,
	Fields: []*Field{
		idField(), createdAt(),
		F("name", String, Required, Unique, CustomStr(validateUpstreamName)),
		updatedAt(),
		F("algorithm", String, Def("round-robin"), OneOf("consistent-hashing", "least-connections", "round-robin", "latency")),
		hashOn.Named("hash_on"), hashOn.Named("hash_fallback"),
		tHeader.Named("hash_on_header"), tHeader.Named("hash_fallback_header"),
		tCookie.Named("hash_on_cookie"),
		tPath.Named("hash_on_cookie_path", Def("/")),
		simpleParam.Named("hash_on_query_arg"), simpleParam.Named("hash_fallback_query_arg"),
		simpleParam.Named("hash_on_uri_capture"), simpleParam.Named("hash_fallback_uri_capture"),
		F("slots", Integer, Def(10000), Between(10, 65536)),
		healthchecks,
		tagsField(),
		tHostPort.Named("host_header"),
		F("client_certificate", Foreign, Ref("certificates")),
		F("use_srv_name", Boolean, Def(false)),
	},
	Checks: []*Check{
		hashCond("hash_on", "header", "hash_on_header", match(Required)),
		hashCond("hash_fallback", "header", "hash_fallback_header", match(Required)),
		hashCond("hash_on", "cookie", "hash_on_cookie", match(Required)),
		hashCond("hash_fallback", "cookie", "hash_on_cookie", match(Required)),
		hashCond("hash_on", "none", "hash_fallback", match(OneOf("none"))),
		hashCond("hash_on", "cookie", "hash_fallback", match(OneOf("none"))),
		hashCond("hash_on", "consumer", "hash_fallback", match(OneOf("none", "ip", "header", "cookie", "path", "query_arg", "uri_capture"))),
		hashCond("hash_on", "ip", "hash_fallback", match(OneOf("none", "consumer", "header", "cookie", "path", "query_arg", "uri_capture"))),
		hashCond("hash_on", "path", "hash_fallback", match(OneOf("none", "consumer", "header", "cookie", "query_arg", "ip", "uri_capture"))),
		{Kind: "distinct", Fields: []string{"hash_on_header", "hash_fallback_header"}},
		hashCond("hash_on", "query_arg", "hash_on_query_arg", match(Required)),
		hashCond("hash_fallback", "query_arg", "hash_fallback_query_arg", match(Required)),
		{Kind: "distinct", Fields: []string{"hash_on_query_arg", "hash_fallback_query_arg"}},
		hashCond("hash_on", "uri_capture", "hash_on_uri_capture", match(Required)),
		hashCond("hash_fallback", "uri_capture", "hash_fallback_uri_capture", match(Required)),
		{Kind: "distinct", Fields: []string{"hash_on_uri_capture", "hash_fallback_uri_capture"}},
	},
	Shorthands: []*Shorthand{
		shorthand("algorithm", String, func(v any, rec map[string]any) string {
			rec["algorithm"] = v
			if v == "least-connections" || v == "latency" {
				rec["hash_on"] = nil
			}
			return ""
		}),
		shorthand("hash_on", String, func(v any, rec map[string]any) string {
			switch v {
			case nil:
				rec["hash_on"] = "none"
			case "none":
				rec["hash_on"], rec["algorithm"] = v, "round-robin"
			default:
				rec["hash_on"], rec["algorithm"] = v, "consistent-hashing"
			}
			return ""
		}),
	},
}

func validateTarget(t string) string {
	if _, err := normalizeIP(t); err != "" {
		if !validUTF8(t) {
			return "Invalid target; not a valid hostname or ip address"
		}
		return "Invalid target ('" + t + "'); not a valid hostname or ip address"
	}
	return ""
}

// formatTarget is the targets DAO's format_target: host:port with the
// default port 8000 and IPv6 in brackets.
func formatTarget(t string) (string, bool) {
	p, err := normalizeIP(t)
	if err != "" {
		return "", false
	}
	port := p.port
	if port < 0 {
		port = 8000
	}
	if p.typ == "ipv6" {
		return "[" + p.host + "]:" + strconv.Itoa(port), true
	}
	return p.host + ":" + strconv.Itoa(port), true
}

var targets = &Entity{
	Name: "targets", Table: "targets", NestedPath: "targets", EndpointKey: "target", Workspaceable: true,
	CacheKey: []string{"upstream", "target"},
	Fields: []*Field{
		idField(), tTimeMS.Named("created_at"), tTimeMS.Named("updated_at"),
		F("upstream", Foreign, Ref("upstreams"), Required, OnDelete("cascade")),
		F("target", String, Required, CustomStr(validateTarget)),
		F("weight", Integer, Def(100), Between(0, 65535)),
		tagsField(),
	},
	transform: func(rec, _ map[string]any, _ Op) map[string]any {
		if t, ok := rec["target"].(string); ok {
			if f, ok := formatTarget(t); ok {
				rec["target"] = f
			}
		}
		return rec
	},
}

var consumers = &Entity{
	Name: "consumers", Table: "consumers", AdminPath: "consumers", EndpointKey: "username", Workspaceable: true,
	Fields: []*Field{
		idField(), createdAt(), updatedAt(),
		F("username", String, Unique), F("custom_id", String, Unique),
		tagsField(),
	},
	Checks: []*Check{{Kind: "at_least_one_of", Fields: []string{"custom_id", "username"}}},
}

var pluginsEntity = &Entity{
	Name: "plugins", Table: "plugins", AdminPath: "plugins", NestedPath: "plugins", EndpointKey: "instance_name", Workspaceable: true,
	CacheKey:     []string{"name", "route", "service", "consumer"},
	SubschemaKey: "name", SubschemaError: "plugin '%s' not enabled; add it to the 'plugins' configuration property",
	Fields: []*Field{
		idField(),
		F("name", String, Required),
		tUTF8Name.Named("instance_name"),
		createdAt(), updatedAt(),
		F("route", Foreign, Ref("routes"), Def(nil), OnDelete("cascade")),
		F("service", Foreign, Ref("services"), Def(nil), OnDelete("cascade")),
		F("consumer", Foreign, Ref("consumers"), Def(nil), OnDelete("cascade")),
		F("config", Record, func(f *Field) { f.Extra = map[string]any{"abstract": true} }),
		tProtocols.Named("protocols"),
		F("enabled", Boolean, Required, Def(true)),
		tagsField(),
	},
}

var certificates = &Entity{
	Name: "certificates", Table: "certificates", AdminPath: "certificates", Workspaceable: true,
	Fields: []*Field{
		idField(), createdAt(), updatedAt(),
		tCert.Named("cert", Required, Referenceable),
		tKey.Named("key", Required, Referenceable, Encrypted),
		tCert.Named("cert_alt", Referenceable), tKey.Named("key_alt", Referenceable, Encrypted),
		tagsField(),
		F("snis", Array, Elements(tWildHost), func(f *Field) { f.Transient = true }),
	},
	Checks: []*Check{
		{Kind: "mutually_required", Fields: []string{"cert_alt", "key_alt"}},
		{Kind: "custom_entity_check", FieldSources: []string{"cert", "key"}, Fn: func(r map[string]any) map[string]string {
			c, _ := r["cert"].(string)
			k, _ := r["key"].(string)
			if !certMatchesKey(c, k) {
				return map[string]string{"@entity": "certificate does not match key"}
			}
			return nil
		}},
		{Kind: "custom_entity_check", FieldSources: []string{"cert_alt", "key_alt"}, Fn: func(r map[string]any) map[string]string {
			c, ok1 := r["cert_alt"].(string)
			k, ok2 := r["key_alt"].(string)
			if ok1 && ok2 && !certMatchesKey(c, k) {
				return map[string]string{"@entity": "alternative certificate does not match key"}
			}
			return nil
		}},
		{Kind: "custom_entity_check", FieldSources: []string{"cert", "cert_alt"}, Fn: func(r map[string]any) map[string]string {
			c, ok1 := r["cert"].(string)
			ca, ok2 := r["cert_alt"].(string)
			if ok1 && ok2 && certKeyType(c) == certKeyType(ca) {
				return map[string]string{"@entity": "certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type"}
			}
			return nil
		}},
	},
	transform: func(rec, _ map[string]any, _ Op) map[string]any {
		names, ok := rec["snis"].([]any)
		if !ok {
			return rec
		}
		seen := map[string]bool{}
		var list []string
		for _, n := range names {
			s, _ := n.(string)
			if seen[s] {
				rec["@error"] = map[string]any{"snis": s + " is duplicated"}
				return rec
			}
			seen[s] = true
			list = append(list, s)
		}
		sort.Strings(list)
		rec["snis"] = strs(list)
		return rec
	},
}

var snis = &Entity{
	Name: "snis", Table: "snis", AdminPath: "snis", NestedPath: "snis", EndpointKey: "name", Workspaceable: true,
	Fields: []*Field{
		idField(),
		tWildHost.Named("name", Required, Unique),
		createdAt(), updatedAt(), tagsField(),
		F("certificate", Foreign, Ref("certificates"), Required),
	},
}

var caCertificates = &Entity{
	Name: "ca_certificates", Table: "ca_certificates", AdminPath: "ca_certificates",
	Fields: []*Field{
		idField(), createdAt(), updatedAt(),
		tCert.Named("cert", Required),
		F("cert_digest", String, Unique),
		tagsField(),
	},
	Checks: []*Check{{Kind: "custom_entity_check", FieldSources: []string{"cert"}, Fn: func(r map[string]any) map[string]string {
		c, _ := r["cert"].(string)
		if msg := checkCACert(c, time.Now()); msg != "" {
			return map[string]string{"@entity": msg}
		}
		return nil
	}}},
	transform: func(rec, _ map[string]any, _ Op) map[string]any {
		if c, ok := rec["cert"].(string); ok && c != "" {
			rec["cert_digest"] = certDigest(c)
		}
		return rec
	},
}

var vaults = &Entity{
	Name: "vaults", Table: "sm_vaults", AdminPath: "vaults", EndpointKey: "prefix", Workspaceable: true,
	CacheKey:     []string{"prefix"},
	SubschemaKey: "name", SubschemaError: "vault '%s' is not installed",
	Fields: []*Field{
		idField(),
		F("prefix", String, Required, Unique, Match("^[a-z][a-z%d-]-[a-z%d]+$"), NotOneOf("env")),
		F("name", String, Required),
		F("description", String),
		F("config", Record, func(f *Field) { f.Extra = map[string]any{"abstract": true} }),
		createdAt(), updatedAt(), tagsField(),
	},
}

var envVaultFields = []*Field{
	F("config", Record, Required, Fields(F("prefix", String, Match("^[%a_-][%a%d_-]*$")))),
}

// tags is Kong's tags view (one row per entity tag), served on /tags.
var tagsEntity = &Entity{
	Name: "tags", Table: "tags", AdminPath: "tags", EndpointKey: "tag",
	Fields: []*Field{
		tTag.Named("tag"),
		F("entity_name", String, Required),
		tUUID.Named("entity_id", Required),
	},
}

var workspaces = &Entity{
	Name: "workspaces", Table: "workspaces", EndpointKey: "name", Internal: true,
	CacheKey: []string{"name"},
	Fields: []*Field{
		idField(),
		tUTF8Name.Named("name", Required),
		F("comment", String),
		createdAt(), updatedAt(),
		F("meta", Record, Required), F("config", Record, Required),
	},
}

func validateRedirectURI(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return "cannot parse '" + s + "'"
	}
	if u.Fragment != "" || strings.HasSuffix(s, "#") {
		return "fragment not allowed in '" + s + "'"
	}
	return ""
}

// credentials are the auth plugins' DAOs (kong/plugins/*/daos.lua).
func credentials() []*Entity {
	consumer := func() *Field {
		return F("consumer", Foreign, Ref("consumers"), Required, OnDelete("cascade"))
	}
	cred := func(name, admin, nested, key string, fs ...*Field) *Entity {
		base := []*Field{idField(), createdAt(), consumer()}
		return &Entity{Name: name, Table: name, AdminPath: admin, NestedPath: nested, EndpointKey: key,
			CacheKey: []string{key}, Workspaceable: true, Fields: append(base, fs...)}
	}
	keyauth := cred("keyauth_credentials", "key-auths", "key-auth", "key",
		F("key", String, Unique, Auto), tagsField())
	keyauth.TTL = true
	basic := cred("basicauth_credentials", "basic-auths", "basic-auth", "username",
		F("username", String, Required, Unique), F("password", String, Required, Encrypted), tagsField())
	basic.transform = hashBasicAuth
	hmac := cred("hmacauth_credentials", "hmac-auths", "hmac-auth", "username",
		F("username", String, Required, Unique), F("secret", String, Auto), tagsField())
	jwt := cred("jwt_secrets", "jwts", "jwt", "key",
		F("key", String, Unique, Auto), F("secret", String, Auto), F("rsa_public_key", String),
		F("algorithm", String, Def("HS256"), OneOf("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
			"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA")),
		tagsField())
	jwt.Checks = []*Check{{Kind: "conditional", IfField: "algorithm",
		IfMatch: match(func(f *Field) {
			f.MatchAny = &MatchAny{Patterns: []string{"^RS256$", "^RS384$", "^RS512$", "^PS256$", "^PS384$", "^PS512$", "^EdDSA$"}}
		}),
		ThenField: "rsa_public_key",
		ThenMatch: match(Required, CustomStr(func(s string) string {
			if _, err := parseKey(s); err != nil {
				return "invalid key"
			}
			return ""
		}))}}
	acls := cred("acls", "acls", "acls", "", F("group", String, Required), tagsField())
	acls.CacheKey = []string{"consumer", "group"}
	oauth2 := cred("oauth2_credentials", "oauth2", "oauth2", "client_id",
		F("name", String, Required),
		F("client_id", String, Unique, Auto),
		F("client_secret", String, Auto, Encrypted),
		F("hash_secret", Boolean, Required, Def(false)),
		F("redirect_uris", Array, Elements(El(String, CustomStr(validateRedirectURI)))),
		tagsField(),
		F("client_type", String, Required, Def("confidential"), OneOf("confidential", "public")),
	)
	oauth2.transform = hashOAuth2Secret
	return []*Entity{keyauth, basic, hmac, jwt, acls, oauth2}
}

var sha1HexRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// hashBasicAuth stores hex SHA1(password .. consumer_id) when the caller
// supplied a password (Kong's transformation runs only then).
func hashBasicAuth(rec, input map[string]any, op Op) map[string]any {
	pw, ok := input["password"].(string)
	if !ok || pw == "" {
		return rec
	}
	if op == Update && sha1HexRE.MatchString(pw) && input["@merged"] == true {
		return rec
	}
	consumer, _ := rec["consumer"].(map[string]any)
	id, _ := consumer["id"].(string)
	if id == "" {
		return rec
	}
	sum := sha1.Sum([]byte(pw + id))
	rec["password"] = hex.EncodeToString(sum[:])
	return rec
}

// hashOAuth2Secret hashes client_secret (PHC pbkdf2-sha512, Kong's
// fallback algorithm) when hash_secret is true in the caller's input.
func hashOAuth2Secret(rec, input map[string]any, _ Op) map[string]any {
	if input["hash_secret"] != true {
		return rec
	}
	secret, ok := rec["client_secret"].(string)
	if !ok || secret == "" || (len(secret) > 0 && secret[0] == '$') {
		return rec
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key, err := pbkdf2.Key(sha512.New, secret, salt, 10000, 32)
	if err != nil {
		return rec
	}
	enc := base64.RawStdEncoding
	rec["client_secret"] = fmt.Sprintf("$pbkdf2-sha512$i=10000,l=32$%s$%s", enc.EncodeToString(salt), enc.EncodeToString(key))
	return rec
}
