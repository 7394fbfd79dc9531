package schema

import (
	"fmt"

	"github.com/kongdb/kubectl-kongdb/internal/kongversion"
)

// plugin registers a bundled plugin of this Kong version.
func plugin(name string, priority int, checks []*Check, fields ...*Field) *Plugin {
	return &Plugin{Name: name, Version: kongversion.Version, Priority: priority, Fields: fields, Checks: checks}
}

func noConsumer() *Field         { return tNoConsumer.Named("consumer") }
func protocolsHTTP() *Field      { return tProtocolsHTTP.Named("protocols") }
func protocolsAll() *Field       { return tProtocols.Named("protocols") }
func config(fs ...*Field) *Field { return F("config", Record, Fields(fs...)) }
func boolDef(name string, v bool) *Field {
	return F(name, Boolean, Required, Def(v))
}
func strArray(name string) *Field { return F(name, Array, Elements(El(String))) }

func atLeastOneOf(fields ...string) *Check { return &Check{Kind: "at_least_one_of", Fields: fields} }

var hmacAlgorithms = []any{"hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"}

func authPlugins() []*Plugin {
	return []*Plugin{
		plugin("key-auth", 1250, nil, noConsumer(), protocolsHTTP(), config(
			F("key_names", Array, Required, Elements(tHeader), Def([]any{"apikey"})),
			boolDef("hide_credentials", false),
			F("anonymous", String),
			boolDef("key_in_header", true),
			boolDef("key_in_query", true),
			boolDef("key_in_body", false),
			boolDef("run_on_preflight", true),
			F("realm", String, Optional),
		)),
		plugin("basic-auth", 1100, nil, noConsumer(), protocolsHTTP(), config(
			F("anonymous", String),
			boolDef("hide_credentials", false),
			F("realm", String, Required, Def("service")),
		)),
		plugin("acl", 950, []*Check{
			{Kind: "only_one_of", Fields: []string{"config.allow", "config.deny"}},
			atLeastOneOf("config.allow", "config.deny"),
		}, noConsumer(), protocolsHTTP(), config(
			strArray("allow"), strArray("deny"),
			boolDef("hide_groups_header", false),
			boolDef("always_use_authenticated_groups", false),
		)),
		plugin("jwt", 1450, []*Check{
			{Kind: "conditional", IfField: "config.maximum_expiration", IfMatch: match(Gt(0)),
				ThenField: "config.claims_to_verify", ThenMatch: match(func(f *Field) { f.Contains = "exp" })},
		}, noConsumer(), protocolsHTTP(), config(
			F("uri_param_names", Set, Elements(El(String)), Def([]any{"jwt"})),
			F("cookie_names", Set, Elements(El(String)), Def([]any{})),
			F("key_claim_name", String, Def("iss")),
			boolDef("secret_is_base64", false),
			F("claims_to_verify", Set, Elements(El(String, OneOf("exp", "nbf")))),
			F("anonymous", String),
			boolDef("run_on_preflight", true),
			F("maximum_expiration", Number, Def(0), Between(0, 31536000)),
			F("header_names", Set, Elements(El(String)), Def([]any{"authorization"})),
			F("realm", String, Optional),
		)),
		plugin("hmac-auth", 1030, nil, noConsumer(), protocolsHTTP(), config(
			boolDef("hide_credentials", false),
			F("clock_skew", Number, Def(300), Gt(0)),
			F("anonymous", String),
			boolDef("validate_request_body", false),
			F("enforce_headers", Array, Elements(El(String)), Def([]any{})),
			F("algorithms", Array, Elements(El(String, func(f *Field) { f.OneOf = hmacAlgorithms })), Def(hmacAlgorithms)),
			F("realm", String, Optional),
		)),
		plugin("oauth2", 1400, nil, noConsumer(), protocolsHTTP(), oauth2Config()),
	}
}

func oauth2Config() *Field {
	c := config(
		strArray("scopes"),
		F("mandatory_scope", Boolean, Def(false), Required),
		F("provision_key", String, Unique, Auto, Required, Encrypted),
		F("token_expiration", Number, Def(7200), Required),
		F("enable_authorization_code", Boolean, Def(false), Required),
		F("enable_implicit_grant", Boolean, Def(false), Required),
		F("enable_client_credentials", Boolean, Def(false), Required),
		F("enable_password_grant", Boolean, Def(false), Required),
		F("hide_credentials", Boolean, Def(false), Required),
		F("accept_http_if_already_terminated", Boolean, Def(false), Required),
		F("anonymous", String),
		F("global_credentials", Boolean, Def(false), Required),
		F("auth_header_name", String, Def("authorization")),
		F("refresh_token_ttl", Number, Between(0, 1e8), Def(1209600), Required),
		F("reuse_refresh_token", Boolean, Def(false), Required),
		F("pkce", String, Def("lax"), Optional, OneOf("none", "lax", "strict")),
		F("realm", String, Optional),
	)
	c.Custom = func(v any) string {
		m, _ := v.(map[string]any)
		for _, k := range []string{"enable_authorization_code", "enable_implicit_grant", "enable_client_credentials", "enable_password_grant"} {
			if m[k] == true {
				return ""
			}
		}
		return "at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, enable_client_credentials, enable_password_grant"
	}
	c.Checks = []*Check{ifThen("mandatory_scope", match(Eq(true)), "scopes", match(Required))}
	return c
}

// ordered rate-limit periods, smallest first.
var periods = []string{"second", "minute", "hour", "day", "month", "year"}

// periodsOrder is rate-limiting's validate_periods_order; format differs
// between the two plugins only in its capital letter.
func periodsOrder(format string) func(m map[string]any) string {
	return func(m map[string]any) string {
		for i, lo := range periods {
			v1, ok := m[lo].(float64)
			if !ok {
				continue
			}
			for _, hi := range periods[i+1:] {
				if v2, ok := m[hi].(float64); ok && v2 < v1 {
					return fmt.Sprintf(format, hi, v2, lo, v1)
				}
			}
		}
		return ""
	}
}
