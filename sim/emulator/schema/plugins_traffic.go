package schema

import (
	"fmt"
	"regexp"
	"strings"
)

// redisConfig is kong.tools.redis.schema's config_schema, shared by the
// rate-limiting plugins.
func redisConfig() *Field {
	return F("redis", Record, Fields(
		tHost.Named("host"),
		tPort.Named("port", Def(6379)),
		tTimeout.Named("timeout", Def(2000)),
		F("username", String, Referenceable),
		F("password", String, Encrypted, Referenceable, LenMin(0)),
		F("database", Integer, Def(0)),
		F("ssl", Boolean, Optional, Def(false)),
		F("ssl_verify", Boolean, Optional, Def(false)),
		tSNI.Named("server_name", Optional),
	))
}

// redisShorthands are the deprecated flat redis_* fields: they fill
// config.redis.<x> unless that is already set (the real field wins).
func redisShorthands() []*Shorthand {
	var out []*Shorthand
	for _, s := range []struct {
		name string
		t    Type
	}{{"host", String}, {"port", Integer}, {"password", String}, {"username", String}, {"ssl", Boolean},
		{"ssl_verify", Boolean}, {"server_name", String}, {"timeout", Integer}, {"database", Integer}} {
		sub := s.name
		sh := shorthand("redis_"+sub, s.t, func(v any, rec map[string]any) string {
			redis, _ := rec["redis"].(map[string]any)
			if redis == nil {
				redis = map[string]any{}
				rec["redis"] = redis
			}
			if cur, ok := redis[sub]; !ok || cur == nil {
				redis[sub] = v
			}
			return ""
		})
		if sub == "password" {
			LenMin(0)(sh.Field)
		}
		sh.Field.Extra = map[string]any{"deprecation": map[string]any{
			"replaced_with":      []any{map[string]any{"path": []any{"redis", sub}}},
			"removal_in_version": "4.0",
		}}
		sh.replacedWith = []string{"redis", sub}
		out = append(out, sh)
	}
	return out
}

func redisChecks(prefix string) []*Check {
	var cs []*Check
	for _, f := range []string{"host", "port", "timeout"} {
		cs = append(cs, ifThen(prefix+"policy", match(Eq("redis")), prefix+"redis."+f, match(Required)))
	}
	return cs
}

func periodFields() []*Field {
	var fs []*Field
	for _, p := range periods {
		fs = append(fs, F(p, Number, Gt(0)))
	}
	return fs
}

func rateLimiting() *Plugin {
	fields := append(periodFields(),
		F("limit_by", String, Def("consumer"), OneOf("consumer", "credential", "ip", "service", "header", "path")),
		tHeader.Named("header_name"),
		tPath.Named("path"),
		F("policy", String, Def("local"), LenMin(0), OneOf("local", "cluster", "redis")),
		boolDef("fault_tolerant", true),
		redisConfig(),
		boolDef("hide_client_headers", false),
		F("error_code", Number, Def(429), Gt(0)),
		F("error_message", String, Def("API rate limit exceeded")),
		F("sync_rate", Number, Required, Def(-1)),
	)
	c := config(fields...)
	c.Shorthands = redisShorthands()
	order := periodsOrder("The limit for %s(%.1f) cannot be lower than the limit for %s(%.1f)")
	c.Custom = func(v any) string {
		m, _ := v.(map[string]any)
		if msg := order(m); msg != "" {
			return msg
		}
		rate, _ := m["sync_rate"].(float64)
		if m["policy"] != "redis" && rate != -1 {
			return "sync_rate can only be used with the redis policy"
		}
		if m["policy"] == "redis" && rate != -1 && rate < 0.02 {
			return "sync_rate must be greater than 0.02, or -1 to disable"
		}
		return ""
	}
	var names []string
	for _, p := range periods {
		names = append(names, "config."+p)
	}
	checks := append([]*Check{atLeastOneOf(names...)}, redisChecks("config.")...)
	checks = append(checks,
		ifThen("config.limit_by", match(Eq("header")), "config.header_name", match(Required)),
		ifThen("config.limit_by", match(Eq("path")), "config.path", match(Required)))
	return plugin("rate-limiting", 910, checks, protocolsHTTP(), c)
}

func responseRateLimiting() *Plugin {
	limit := El(Record, Required, Fields(periodFields()...))
	order := periodsOrder("the limit for %s(%.1f) cannot be lower than the limit for %s(%.1f)")
	limit.Custom = func(v any) string { m, _ := v.(map[string]any); return order(m) }
	limit.Checks = []*Check{atLeastOneOf(periods...)}
	c := config(
		F("header_name", String, Def("x-kong-limit")),
		F("limit_by", String, Def("consumer"), OneOf("consumer", "credential", "ip")),
		F("policy", String, Def("local"), OneOf("local", "cluster", "redis")),
		boolDef("fault_tolerant", true),
		redisConfig(),
		boolDef("block_on_first_violation", false),
		boolDef("hide_client_headers", false),
		F("limits", Map, Required, LenMin(1), KV(El(String), limit)),
	)
	c.Shorthands = redisShorthands()
	return plugin("response-ratelimiting", 900, redisChecks("config."), protocolsHTTP(), c)
}

var pairRE = regexp.MustCompile(`^([^:]+):*(.*)$`)

func splitPair(s string) (string, string) {
	m := pairRE.FindStringSubmatch(s)
	if m == nil {
		return "", ""
	}
	return m[1], m[2]
}

func headerPair(validateValue bool) func(string) string {
	return func(s string) string {
		name, value := splitPair(s)
		if validateHeaderName(name) != "" {
			return fmt.Sprintf("'%s' is not a valid header", name)
		}
		if validateValue && validateHeaderName(value) != "" {
			return fmt.Sprintf("'%s' is not a valid header", value)
		}
		return ""
	}
}

// checkForValue is request-transformer's check_for_value (templates are
// accepted as long as the value is present).
func checkForValue(s string) string {
	name, value := splitPair(s)
	if value == "" {
		return "key '" + name + "' has no value"
	}
	if strings.Count(value, "$(") > strings.Count(value, ")") {
		return "value '" + value + "' is not in supported format, error:unbalanced template"
	}
	return ""
}

func arr(name string, el *Field) *Field {
	return F(name, Array, Def([]any{}), Required, Elements(el))
}

func requestTransformer() *Plugin {
	plain := func() *Field { return El(String) }
	colon := func() *Field { return El(String, CustomStr(checkForValue)) }
	colonHeader := func(both bool) *Field {
		return El(String, Match("^[^:]+:.*$"), CustomStr(headerPair(both)))
	}
	rec := func(name string, body, headers, qs *Field, extra ...*Field) *Field {
		fs := append([]*Field{arr("body", body), arr("headers", headers), arr("querystring", qs)}, extra...)
		return F(name, Record, Fields(fs...))
	}
	return plugin("request-transformer", 801, nil, protocolsAll(), config(
		tMethods.Elements.Named("http_method"),
		rec("remove", plain(), El(String, CustomStr(headerPair(false))), plain()),
		rec("rename", colon(), colonHeader(true), colon()),
		rec("replace", colon(), colonHeader(false), colon(), F("uri", String)),
		rec("add", colon(), colonHeader(false), colon()),
		rec("append", colon(), colonHeader(false), colon()),
	))
}

func responseTransformer() *Plugin {
	colon := func() *Field { return El(String, Match("^[^:]+:.*$")) }
	colonRec := func(name string) *Field {
		return F(name, Record, Fields(arr("json", colon()),
			arr("json_types", El(String, OneOf("boolean", "number", "string"))),
			arr("headers", colon())))
	}
	return plugin("response-transformer", 800, nil, protocolsHTTP(), config(
		F("remove", Record, Fields(arr("json", El(String)), arr("headers", El(String)))),
		F("rename", Record, Fields(arr("json", colon()),
			arr("headers", El(String, Match("^[^:]+:.*$"), CustomStr(headerPair(true)))))),
		colonRec("replace"), colonRec("add"), colonRec("append"),
	))
}

var corsMethods = []any{"GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"}

func cors() *Plugin {
	return plugin("cors", 2000, nil, noConsumer(), protocolsHTTP(), config(
		F("origins", Array, Elements(El(String, CustomStr(func(s string) string {
			if s == "*" {
				return ""
			}
			if _, err := regexp.Compile(s); err != nil {
				return fmt.Sprintf("'%s' is not a valid regex", s)
			}
			return ""
		})))),
		strArray("headers"),
		strArray("exposed_headers"),
		F("methods", Array, Def(corsMethods), Elements(El(String, func(f *Field) { f.OneOf = corsMethods }))),
		F("max_age", Number),
		boolDef("credentials", false),
		boolDef("private_network", false),
		boolDef("preflight_continue", false),
	))
}

func requestTermination() *Plugin {
	c := config(
		F("status_code", Integer, Required, Def(503), Between(100, 599)),
		F("message", String),
		F("content_type", String),
		F("body", String),
		boolDef("echo", false),
		tHeader.Named("trigger"),
	)
	present := func(v any) bool { s, ok := v.(string); return ok && s != "" }
	c.Custom = func(v any) string {
		m, _ := v.(map[string]any)
		switch {
		case present(m["message"]) && (present(m["content_type"]) || present(m["body"])):
			return "message cannot be used with content_type or body"
		case present(m["content_type"]) && !present(m["body"]):
			return "content_type requires a body"
		case m["echo"] == true && (present(m["content_type"]) || present(m["body"])):
			return "echo cannot be used with content_type and body"
		}
		return ""
	}
	return plugin("request-termination", 2, nil, protocolsHTTP(), c)
}

func trafficPlugins() []*Plugin {
	return []*Plugin{
		rateLimiting(), responseRateLimiting(), requestTransformer(), responseTransformer(),
		cors(), requestTermination(),
		plugin("ip-restriction", 990, []*Check{atLeastOneOf("config.allow", "config.deny")},
			protocolsAll().With(Def([]any{"http", "https", "tcp", "tls", "grpc", "grpcs"})),
			config(
				F("allow", Array, Elements(tIPOrCIDR)),
				F("deny", Array, Elements(tIPOrCIDR)),
				F("status", Number, Optional),
				F("message", String, Optional),
			)),
		plugin("correlation-id", 100001, nil, protocolsHTTP(), config(
			F("header_name", String, Def("Kong-Request-ID")),
			F("generator", String, Def("uuid#counter"), Required, OneOf("uuid", "uuid#counter", "tracker")),
			boolDef("echo_downstream", false),
		)),
		plugin("request-size-limiting", 951, nil, protocolsHTTP(), config(
			F("allowed_payload_size", Integer, Def(128)),
			F("size_unit", String, Required, Def("megabytes"), OneOf("megabytes", "kilobytes", "bytes")),
			boolDef("require_content_length", false),
		)),
		plugin("redirect", 779, nil, protocolsHTTP(), config(
			F("status_code", Integer, Required, Def(301), Between(100, 599)),
			tURL.Named("location", Required),
			F("keep_incoming_path", Boolean, Def(false)),
		)),
		plugin("bot-detection", 2500, nil, noConsumer(), protocolsHTTP(), config(
			F("allow", Array, Elements(El(String, func(f *Field) { f.IsRegex = true })), Def([]any{})),
			F("deny", Array, Elements(El(String, func(f *Field) { f.IsRegex = true })), Def([]any{})),
		)),
		plugin("proxy-cache", 100, []*Check{{Kind: "custom_entity_check", FieldSources: []string{"config"},
			Fn: func(map[string]any) map[string]string { return nil }}},
			protocolsAll(), config(
				F("response_code", Array, Def([]any{200, 301, 404}), Elements(El(Integer, Between(100, 900))), LenMin(1), Required),
				F("request_method", Array, Def([]any{"GET", "HEAD"}), Elements(El(String, OneOf("HEAD", "GET", "POST", "PATCH", "PUT"))), Required),
				F("content_type", Array, Def([]any{"text/plain", "application/json"}), Elements(El(String)), Required),
				F("cache_ttl", Integer, Def(300), Gt(0)),
				F("strategy", String, OneOf("memory"), Required),
				F("cache_control", Boolean, Def(false), Required),
				F("ignore_uri_case", Boolean, Def(false), Optional),
				F("storage_ttl", Integer),
				F("memory", Record, Fields(F("dictionary_name", String, Required, Def("kong_db_cache")))),
				strArray("vary_query_params"),
				strArray("vary_headers"),
				F("response_headers", Record, Fields(
					F("age", Boolean, Def(true)),
					F("X-Cache-Status", Boolean, Def(true)),
					F("X-Cache-Key", Boolean, Def(true)),
				)),
			)),
	}
}
