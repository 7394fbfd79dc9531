package schema

// More bundled plugins that Kubernetes users commonly attach; each is a
// faithful copy of the field list of Kong 3.9.3's schema.

func severity() *Field {
	return El(String, Def("info"), Required, OneOf("debug", "info", "notice", "warning", "err", "crit", "alert", "emerg"))
}

func functionPlugin(name string, priority int) *Plugin {
	phase := func(n string) *Field {
		return F(n, Array, Required, Def([]any{}), Elements(El(String, Optional)))
	}
	phases := []string{"certificate", "rewrite", "access", "header_filter", "body_filter", "log"}
	var checkFields []string
	var fields []*Field
	for _, p := range phases {
		fields = append(fields, phase(p))
		checkFields = append(checkFields, "config."+p)
	}
	return plugin(name, priority, []*Check{atLeastOneOf(checkFields...)}, noConsumer(), protocolsAll(), config(fields...))
}

func morePlugins() []*Plugin {
	ldap := config(
		tHost.Named("ldap_host", Required),
		tPort.Named("ldap_port", Required, Def(389)),
		boolDef("ldaps", false),
		boolDef("start_tls", false),
		boolDef("verify_ldap_host", false),
		F("base_dn", String, Required),
		F("attribute", String, Required),
		F("cache_ttl", Number, Required, Def(60)),
		boolDef("hide_credentials", false),
		F("timeout", Number, Def(10000)),
		F("keepalive", Number, Def(60000)),
		F("anonymous", String),
		F("header_type", String, Def("ldap")),
		F("realm", String, Optional),
	)
	ldap.Checks = []*Check{{Kind: "conditional", IfField: "ldaps", IfMatch: match(Eq(true)),
		ThenField: "start_tls", ThenMatch: match(Eq(false)),
		ThenErr: "'ldaps' and 'start_tls' cannot be enabled simultaneously"}}
	return []*Plugin{
		plugin("tcp-log", 7, nil, protocolsAll(), config(
			tHost.Named("host", Required),
			tPort.Named("port", Required),
			F("timeout", Number, Def(10000)),
			F("keepalive", Number, Def(60000)),
			boolDef("tls", false),
			F("tls_sni", String),
			luaCode("custom_fields_by_lua"),
		)),
		plugin("udp-log", 8, nil, protocolsAll(), config(
			tHost.Named("host", Required),
			tPort.Named("port", Required),
			F("timeout", Number, Def(10000)),
			luaCode("custom_fields_by_lua"),
		)),
		plugin("syslog", 4, nil, protocolsAll(), config(
			severity().Named("log_level"),
			severity().Named("successful_severity"),
			severity().Named("client_errors_severity"),
			severity().Named("server_errors_severity"),
			luaCode("custom_fields_by_lua"),
			F("facility", String, Def("user"), Required, OneOf("auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail",
				"news", "syslog", "user", "uucp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")),
		)),
		plugin("grpc-web", 3, nil, protocolsAll(), config(
			F("proto", String, Optional),
			F("pass_stripped_path", Boolean, Optional),
			F("allow_origin_header", String, Optional, Def("*")),
		)),
		plugin("grpc-gateway", 998, nil, protocolsAll(), config(F("proto", String, Optional))),
		plugin("ldap-auth", 1200, nil, noConsumer(), protocolsHTTP(), ldap),
		functionPlugin("pre-function", 1000000),
		functionPlugin("post-function", -1000),
		openTelemetry(), zipkin(), session(), datadog(), statsd(), loggly(),
	}
}
