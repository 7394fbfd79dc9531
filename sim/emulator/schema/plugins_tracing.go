package schema

// Tracing plugins (opentelemetry, zipkin) and their shared propagation
// record (kong.observability.tracing.propagation.schema).

var traceFormats = []any{"w3c", "b3", "b3-single", "jaeger", "ot", "datadog", "aws", "gcp"}

func propagation(defaultFormat string) *Field {
	var extractors []any
	for _, f := range traceFormats {
		if f != "b3-single" {
			extractors = append(extractors, f)
		}
	}
	return F("propagation", Record, Def(map[string]any{"default_format": defaultFormat}), Fields(
		F("extract", Array, Elements(El(String, func(f *Field) { f.OneOf = extractors }))),
		F("clear", Array, Elements(El(String, CustomStr(validateHeaderName)))),
		F("inject", Array, Elements(El(String, func(f *Field) { f.OneOf = append([]any{"preserve"}, traceFormats...) }))),
		F("default_format", String, Required, func(f *Field) { f.OneOf = traceFormats }),
	))
}

func deprecatedMsg(f *Field, oldDefault any) *Field {
	d := map[string]any{"removal_in_version": "4.0"}
	if oldDefault != nil {
		d["old_default"] = oldDefault
	}
	return f.With(Extra("deprecation", d))
}

func openTelemetry() *Plugin {
	attrs := F("resource_attributes", Map, KV(El(String, Required), El(String, Required)), Custom(func(v any) string {
		m, _ := v.(map[string]any)
		for _, x := range m {
			switch t := x.(type) {
			case string:
				if t == "" {
					return msgRequired
				}
			case float64, bool:
			default:
				return "invalid type of value: table"
			}
		}
		return ""
	}))
	queue := queueConfig().With(Def(map[string]any{"max_batch_size": 200}))
	c := config(
		tURL.Named("traces_endpoint", Referenceable),
		tURL.Named("logs_endpoint", Referenceable),
		F("headers", Map, KV(tHeader, El(String, Referenceable))),
		attrs,
		queue,
		deprecatedMsg(F("batch_span_count", Integer), 200),
		deprecatedMsg(F("batch_flush_delay", Integer), 3),
		tTimeout.Named("connect_timeout", Def(1000)),
		tTimeout.Named("send_timeout", Def(5000)),
		tTimeout.Named("read_timeout", Def(5000)),
		F("http_response_header_for_traceid", String),
		deprecatedMsg(F("header_type", String, Optional, Def("preserve"),
			OneOf("preserve", "ignore", "b3", "b3-single", "w3c", "jaeger", "ot", "aws", "gcp", "datadog")), "preserve"),
		F("sampling_rate", Number, Between(0, 1), Optional),
		propagation("w3c"),
	)
	c.Checks = []*Check{atLeastOneOf("traces_endpoint", "logs_endpoint")}
	endpoint := &Shorthand{Field: tURL.Named("endpoint", Referenceable, Extra("deprecation", map[string]any{"removal_in_version": "4.0"})),
		Translate: func(v any, rec map[string]any) string {
			if cur, ok := rec["traces_endpoint"]; !ok || cur == nil {
				rec["traces_endpoint"] = v
			}
			return ""
		}}
	c.Shorthands = []*Shorthand{endpoint}
	return plugin("opentelemetry", 14, nil, protocolsHTTP(), c)
}

var zipkinProtectedTags = []any{"error", "http.method", "http.path", "http.status_code", "kong.balancer.state",
	"kong.balancer.try", "kong.consumer", "kong.credential", "kong.node.id", "kong.route", "kong.service", "lc", "peer.hostname"}

func zipkin() *Plugin {
	staticTag := El(Record, Fields(
		F("name", String, Required, func(f *Field) { f.NotOneOf = zipkinProtectedTags }),
		F("value", String, Required),
	))
	headerTypes := []any{"preserve", "ignore", "b3", "b3-single", "w3c", "jaeger", "ot", "aws", "datadog", "gcp"}
	return plugin("zipkin", 100000, nil, protocolsAll(), config(
		F("local_service_name", String, Required, Def("kong")),
		tURL.Named("http_endpoint"),
		F("sample_ratio", Number, Def(0.001), Between(0, 1)),
		F("default_service_name", String),
		boolDef("include_credential", true),
		F("traceid_byte_count", Integer, Required, Def(16), OneOf(8, 16)),
		deprecatedMsg(F("header_type", String, Required, Def("preserve"), func(f *Field) { f.OneOf = headerTypes }), "preserve"),
		deprecatedMsg(F("default_header_type", String, Required, Def("b3"), func(f *Field) { f.OneOf = headerTypes[2:] }), "b3"),
		F("tags_header", String, Required, Def("Zipkin-Tags")),
		F("static_tags", Array, Elements(staticTag), Custom(func(v any) string {
			list, _ := v.([]any)
			seen := map[any]bool{}
			for _, x := range list {
				m, _ := x.(map[string]any)
				if seen[m["name"]] {
					return "repeated tags are not allowed: " + luaString(m["name"])
				}
				seen[m["name"]] = true
			}
			return ""
		})),
		F("http_span_name", String, Required, Def("method"), OneOf("method", "method_path")),
		tTimeout.Named("connect_timeout", Def(2000)),
		tTimeout.Named("send_timeout", Def(5000)),
		tTimeout.Named("read_timeout", Def(5000)),
		F("http_response_header_for_traceid", String),
		F("phase_duration_flavor", String, Required, Def("annotations"), OneOf("annotations", "tags")),
		queueConfig(),
		propagation("b3"),
	))
}
