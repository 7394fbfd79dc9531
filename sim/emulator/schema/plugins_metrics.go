package schema

// statsd and loggly plugins.

func statsd() *Plugin {
	type m struct {
		name, stat string
		sample     bool
	}
	var defaults []any
	for _, d := range []m{
		{"request_count", "counter", true}, {"latency", "timer", false}, {"request_size", "counter", true},
		{"status_count", "counter", true}, {"response_size", "counter", true}, {"unique_users", "set", false},
		{"request_per_user", "counter", true}, {"upstream_latency", "timer", false}, {"kong_latency", "timer", false},
		{"status_count_per_user", "counter", true}, {"status_count_per_workspace", "counter", true},
		{"status_count_per_user_per_route", "counter", true}, {"shdict_usage", "gauge", true},
	} {
		e := map[string]any{"name": d.name, "stat_type": d.stat}
		if d.sample {
			e["sample_rate"] = 1
		}
		defaults = append(defaults, e)
	}
	consumerIDs := []any{"consumer_id", "custom_id", "username"}
	serviceIDs := []any{"service_id", "service_name", "service_host", "service_name_or_host"}
	workspaceIDs := []any{"workspace_id", "workspace_name"}
	oneOf := func(vs []any) Opt { return func(f *Field) { f.OneOf = vs } }
	element := El(Record, Fields(
		F("name", String, Required, OneOf("kong_latency", "latency", "request_count", "request_per_user",
			"request_size", "response_size", "status_count", "status_count_per_user", "unique_users", "upstream_latency",
			"status_count_per_workspace", "status_count_per_user_per_route", "shdict_usage")),
		F("stat_type", String, Required, OneOf("counter", "gauge", "histogram", "meter", "set", "timer")),
		F("sample_rate", Number, Gt(0)),
		F("consumer_identifier", String, oneOf(consumerIDs)),
		F("service_identifier", String, oneOf(serviceIDs)),
		F("workspace_identifier", String, oneOf(workspaceIDs)),
	), func(f *Field) {
		f.Checks = []*Check{ifThen("stat_type", match(OneOf("counter", "gauge")), "sample_rate", match(Required))}
	})
	return plugin("statsd", 11, nil, protocolsAll(), config(
		tHost.Named("host", Def("localhost")),
		tPort.Named("port", Def(8125)),
		F("prefix", String, Def("kong")),
		F("metrics", Array, Def(defaults), Elements(element)),
		F("allow_status_codes", Array, Elements(El(String, Match("^[0-9]+-[0-9]+$")))),
		F("udp_packet_size", Number, Between(0, 65507), Def(0)),
		F("use_tcp", Boolean, Def(false)),
		F("hostname_in_prefix", Boolean, Def(false)),
		F("consumer_identifier_default", String, Required, Def("custom_id"), oneOf(consumerIDs)),
		F("service_identifier_default", String, Required, Def("service_name_or_host"), oneOf(serviceIDs)),
		F("workspace_identifier_default", String, Required, Def("workspace_id"), oneOf(workspaceIDs)),
		deprecated(F("retry_count", Integer), 10),
		deprecated(F("queue_size", Integer), 1),
		deprecated(F("flush_timeout", Number), 2),
		F("tag_style", String, Optional, OneOf("dogstatsd", "influxdb", "librato", "signalfx")),
		queueConfig(),
	))
}

func loggly() *Plugin {
	sev := func(name string) *Field {
		return F(name, String, Def("info"), OneOf("debug", "info", "notice", "warning", "err", "crit", "alert", "emerg"))
	}
	return plugin("loggly", 6, nil, protocolsAll(), config(
		tHost.Named("host", Def("logs-01.loggly.com")),
		tPort.Named("port", Def(514)),
		F("key", String, Required, Encrypted, Referenceable),
		F("tags", Set, Def([]any{"kong"}), Elements(El(String))),
		sev("log_level"), sev("successful_severity"), sev("client_errors_severity"), sev("server_errors_severity"),
		F("timeout", Number, Def(10000)),
		luaCode("custom_fields_by_lua"),
	))
}
