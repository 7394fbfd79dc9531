package schema

import "strings"

// The acme plugin: global only (no consumer, service or route), with its
// pluggable storage records.

var acmeReserved = []string{"kong_acme:renew_config:", "kong_acme:renew_last_run", "kong_acme:cert_key:"}

// pathShorthand fills a (possibly nested) field of the record unless it is
// already set, and is echoed on reads as Kong does for deprecated fields.
func pathShorthand(name string, t Type, path ...string) *Shorthand {
	sh := shorthand(name, t, func(v any, rec map[string]any) string {
		cur := rec
		for _, p := range path[:len(path)-1] {
			next, _ := cur[p].(map[string]any)
			if next == nil {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		last := path[len(path)-1]
		if old, ok := cur[last]; !ok || old == nil {
			cur[last] = v
		}
		return ""
	})
	sh.replacedWith = path
	sh.Field.Extra = map[string]any{"deprecation": map[string]any{
		"replaced_with":      []any{map[string]any{"path": strs(path)}},
		"removal_in_version": "4.0",
	}}
	return sh
}

func acmeRedis() *Field {
	redis := redisConfig()
	redis.Fields = append(redis.Fields, F("extra_options", Record, Fields(
		F("namespace", String, Required, Def(""), LenMin(0), CustomStr(func(ns string) string {
			for _, w := range acmeReserved {
				if ns != "" && strings.HasPrefix(ns, w) {
					return "namespace can't be prefixed with reserved word: " + w
				}
			}
			return ""
		})),
		F("scan_count", Number, Optional, Def(10)),
	)))
	auth := pathShorthand("auth", String, "password")
	LenMin(0)(auth.Field)
	namespace := pathShorthand("namespace", String, "extra_options", "namespace")
	LenMin(0)(namespace.Field)
	redis.Shorthands = []*Shorthand{auth, pathShorthand("ssl_server_name", String, "server_name"), namespace,
		pathShorthand("scan_count", Integer, "extra_options", "scan_count")}
	return redis
}

func acme() *Plugin {
	secretStore := func(name string, extra ...*Field) *Field {
		fs := []*Field{
			F("https", Boolean, Def(false)),
			tHost.Named("host"),
			tPort.Named("port"),
			F("kv_path", String),
			F("timeout", Number),
			F("token", String, Referenceable),
		}
		return F(name, Record, Fields(append(fs, extra...)...))
	}
	storage := F("storage_config", Record, Fields(
		F("shm", Record, Fields(F("shm_name", String, Def("kong")))),
		F("kong", Record, Fields()),
		acmeRedis(),
		secretStore("consul"),
		secretStore("vault",
			F("tls_verify", Boolean, Def(true)),
			F("tls_server_name", String),
			F("auth_method", String, Def("token"), OneOf("token", "kubernetes")),
			F("auth_path", String),
			F("auth_role", String),
			F("jwt_path", String)),
	))
	checks := []*Check{
		{Kind: "conditional", IfField: "config.api_uri",
			IfMatch:   match(OneOf("https://acme-v02.api.letsencrypt.org", "https://acme-staging-v02.api.letsencrypt.org")),
			ThenField: "config.tos_accepted", ThenMatch: match(Eq(true)),
			ThenErr: "terms of service must be accepted, see https://letsencrypt.org/repository/"},
		ifThen("config.storage", match(Eq("redis")), "config.storage_config.redis.host", match(Required)),
		ifThen("config.storage", match(Eq("redis")), "config.storage_config.redis.port", match(Required)),
		{Kind: "custom_entity_check", FieldSources: []string{"config.storage"}, Fn: func(map[string]any) map[string]string { return nil }},
	}
	return plugin("acme", 1705, checks, noConsumer(), tNoService.Named("service"), tNoRoute.Named("route"), protocolsHTTP(), config(
		F("account_email", String, Match("%w*%p*@+%w*%.?%w*"), Required, Encrypted, Referenceable),
		F("account_key", Record, Optional, Fields(F("key_id", String, Required), F("key_set", String))),
		tURL.Named("api_uri", Def("https://acme-v02.api.letsencrypt.org/directory")),
		F("tos_accepted", Boolean, Def(false)),
		F("eab_kid", String, Encrypted, Referenceable),
		F("eab_hmac_key", String, Encrypted, Referenceable),
		F("cert_type", String, Def("rsa"), OneOf("rsa", "ecc")),
		F("rsa_key_size", Number, Def(4096), OneOf(2048, 3072, 4096)),
		F("renew_threshold_days", Number, Def(14)),
		tHosts.Named("domains"),
		F("allow_any_domain", Boolean, Def(false)),
		F("fail_backoff_minutes", Number, Def(5)),
		F("storage", String, Def("shm"), OneOf("kong", "shm", "redis", "consul", "vault")),
		storage,
		F("preferred_chain", String),
		F("enable_ipv4_common_name", Boolean, Def(true)),
	))
}
