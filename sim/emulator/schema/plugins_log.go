package schema

import (
	"net/url"
	"strings"
)

// queueConfig is kong.tools.queue_schema.
func queueConfig() *Field {
	return F("queue", Record, Fields(
		F("max_batch_size", Integer, Def(1), Between(1, 1000000)),
		F("max_coalescing_delay", Number, Def(1), Between(0, 3600)),
		F("max_entries", Integer, Def(10000), Between(1, 1000000)),
		F("max_bytes", Integer),
		F("max_retry_time", Number, Def(60)),
		F("initial_retry_delay", Number, Def(0.01), Between(0.001, 1000000)),
		F("max_retry_delay", Number, Def(60), Between(0.001, 1000000)),
		F("concurrency_limit", Integer, Def(1), OneOf(-1, 1)),
	))
}

// luaCode is typedefs.lua_code; the sandbox check is not emulated.
func luaCode(name string) *Field {
	return F(name, Map, KV(El(String, LenMin(1)), El(String, LenMin(1))))
}

func deprecated(f *Field, oldDefault any) *Field {
	return f.With(Extra("deprecation", map[string]any{"removal_in_version": "4.0", "old_default": oldDefault}))
}

func httpLog() *Plugin {
	headerKey := tHeader.With(func(f *Field) {
		f.MatchNone = []PatternErr{
			{"^[Hh][Oo][Ss][Tt]$", "cannot contain 'Host' header"},
			{"^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]%-[Ll][Ee][nn][Gg][Tt][Hh]$", "cannot contain 'Content-Length' header"},
			{"^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]%-[Tt][Yy][Pp][Ee]$", "cannot contain 'Content-Type' header"},
		}
	})
	c := config(
		tURL.Named("http_endpoint", Required, Encrypted, Referenceable),
		F("method", String, Def("POST"), OneOf("POST", "PUT", "PATCH")),
		F("content_type", String, Def("application/json"), OneOf("application/json", "application/json; charset=utf-8")),
		F("timeout", Number, Def(10000)),
		F("keepalive", Number, Def(60000)),
		deprecated(F("retry_count", Integer), 10),
		deprecated(F("queue_size", Integer), 1),
		deprecated(F("flush_timeout", Number), 2),
		F("headers", Map, KV(headerKey, El(String, Referenceable))),
		queueConfig(),
		luaCode("custom_fields_by_lua"),
	)
	c.Custom = func(v any) string {
		m, _ := v.(map[string]any)
		ep, _ := m["http_endpoint"].(string)
		headers, _ := m["headers"].(map[string]any)
		if u, err := url.Parse(ep); err == nil && u.User != nil {
			for k := range headers {
				if strings.EqualFold(k, "authorization") {
					return "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed"
				}
			}
		}
		return ""
	}
	return plugin("http-log", 12, nil, protocolsAll(), c)
}

func logPlugins() []*Plugin {
	return []*Plugin{
		httpLog(),
		plugin("file-log", 9, nil, protocolsAll(), config(
			F("path", String, Required, Match("^[^*&%%\\`]+$"), Err("not a valid filename")),
			boolDef("reopen", false),
			luaCode("custom_fields_by_lua"),
		)),
		plugin("prometheus", 13, nil, protocolsAll(), config(
			F("per_consumer", Boolean, Def(false)),
			F("status_code_metrics", Boolean, Def(false)),
			F("ai_metrics", Boolean, Def(false)),
			F("latency_metrics", Boolean, Def(false)),
			F("bandwidth_metrics", Boolean, Def(false)),
			F("upstream_health_metrics", Boolean, Def(false)),
		)),
	}
}
