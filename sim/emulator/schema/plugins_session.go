package schema

// session and datadog plugins.

// sessionSecret is generated once per process, as Kong computes the
// session plugin's secret default when it loads the schema.
var sessionSecret = randomString() + randomString()[:12]

func session() *Plugin {
	headers := func(name string) *Field {
		return F(name, Set, Elements(El(String, OneOf("id", "audience", "subject", "timeout", "idling-timeout", "rolling-timeout", "absolute-timeout"))))
	}
	c := config(
		F("secret", String, Optional, Def(sessionSecret), Encrypted, Referenceable),
		F("storage", String, OneOf("cookie", "kong"), Def("cookie")),
		F("audience", String, Def("default")),
		F("idling_timeout", Number, Def(900)),
		F("rolling_timeout", Number, Def(3600)),
		F("absolute_timeout", Number, Def(86400)),
		F("stale_ttl", Number, Def(10)),
		F("cookie_name", String, Def("session")),
		F("cookie_path", String, Def("/")),
		F("cookie_domain", String),
		F("cookie_same_site", String, Def("Strict"), OneOf("Strict", "Lax", "None", "Default")),
		F("cookie_http_only", Boolean, Def(true)),
		F("cookie_secure", Boolean, Def(true)),
		F("remember", Boolean, Def(false)),
		F("remember_cookie_name", String, Def("remember")),
		F("remember_rolling_timeout", Number, Def(604800)),
		F("remember_absolute_timeout", Number, Def(2592000)),
		headers("response_headers"),
		headers("request_headers"),
		F("read_body_for_logout", Boolean, Def(false)),
		F("logout_methods", Set, Elements(El(String, OneOf("GET", "POST", "DELETE"))), Def([]any{"POST", "DELETE"})),
		F("logout_query_arg", String, Def("session_logout")),
		F("logout_post_arg", String, Def("session_logout")),
	)
	rename := func(from string, t Type, to string, conv func(any) any) *Shorthand {
		return shorthand(from, t, func(v any, rec map[string]any) string {
			rec[to] = conv(v)
			return ""
		})
	}
	same := func(v any) any { return v }
	c.Shorthands = []*Shorthand{
		rename("cookie_lifetime", Number, "rolling_timeout", same),
		rename("cookie_idletime", Number, "idling_timeout", func(v any) any {
			if v == nil {
				return 0.0
			}
			return v
		}),
		shorthand("cookie_renew", Number, func(any, map[string]any) string { return "" }),
		rename("cookie_discard", Number, "stale_ttl", same),
		rename("cookie_samesite", String, "cookie_same_site", func(v any) any {
			if v == "off" {
				return "Lax"
			}
			return v
		}),
		rename("cookie_httponly", Boolean, "cookie_http_only", same),
		rename("cookie_persistent", Boolean, "remember", same),
	}
	return plugin("session", 1900, nil, noConsumer(), protocolsAll(), c)
}

func datadog() *Plugin {
	metric := func(name, statType string, sampleRate bool) map[string]any {
		m := map[string]any{"name": name, "stat_type": statType, "tags": []any{"app:kong"}, "consumer_identifier": "custom_id"}
		if sampleRate {
			m["sample_rate"] = 1
		}
		return m
	}
	defaults := []any{
		metric("request_count", "counter", true), metric("latency", "timer", false),
		metric("request_size", "timer", false), metric("response_size", "timer", false),
		metric("upstream_latency", "timer", false), metric("kong_latency", "timer", false),
	}
	element := El(Record, Fields(
		F("name", String, Required, OneOf("kong_latency", "latency", "request_count", "request_size", "response_size", "upstream_latency")),
		F("stat_type", String, Required, OneOf("counter", "gauge", "histogram", "meter", "set", "timer", "distribution")),
		F("tags", Array, Elements(El(String, Match("^.*[^:]$")))),
		F("sample_rate", Number, Between(0, 1)),
		F("consumer_identifier", String, OneOf("consumer_id", "custom_id", "username")),
	), func(f *Field) {
		f.Checks = []*Check{ifThen("stat_type", match(OneOf("counter", "gauge")), "sample_rate", match(Required))}
	})
	return plugin("datadog", 10, nil, protocolsAll(), config(
		tHost.Named("host", Referenceable, Def("localhost")),
		tPort.Named("port", Def(8125)),
		F("prefix", String, Def("kong")),
		F("service_name_tag", String, Def("name")),
		F("status_tag", String, Def("status")),
		F("consumer_tag", String, Def("consumer")),
		deprecated(F("retry_count", Integer), 10),
		deprecated(F("queue_size", Integer), 1),
		deprecated(F("flush_timeout", Number), 2),
		queueConfig(),
		F("metrics", Array, Required, Def(defaults), Elements(element)),
	))
}
