package schema

import "regexp"

// Serverless and webhook plugins: aws-lambda, azure-functions,
// standard-webhooks.

var proxySchemeRE = regexp.MustCompile(`^([^:]+)://`)

func awsLambda() *Plugin {
	checks := []*Check{
		{Kind: "mutually_required", Fields: []string{"config.aws_key", "config.aws_secret"}},
		{Kind: "custom_entity_check", FieldSources: []string{"config.proxy_url"}, Fn: func(r map[string]any) map[string]string {
			cfg, _ := r["config"].(map[string]any)
			if u, ok := cfg["proxy_url"].(string); ok {
				if m := proxySchemeRE.FindStringSubmatch(u); m != nil && m[1] != "http" {
					return map[string]string{"@entity": "proxy_url scheme must be http"}
				}
			}
			return nil
		}},
	}
	return plugin("aws-lambda", 750, checks, protocolsHTTP(), config(
		F("timeout", Number, Required, Def(60000)),
		F("keepalive", Number, Required, Def(60000)),
		F("aws_key", String, Encrypted, Referenceable),
		F("aws_secret", String, Encrypted, Referenceable),
		F("aws_assume_role_arn", String, Encrypted, Referenceable),
		F("aws_role_session_name", String, Def("kong")),
		tURL.Named("aws_sts_endpoint_url"),
		tHost.Named("aws_region"),
		F("function_name", String, Optional),
		F("qualifier", String),
		F("invocation_type", String, Required, Def("RequestResponse"), OneOf("RequestResponse", "Event", "DryRun")),
		F("log_type", String, Required, Def("Tail"), OneOf("Tail", "None")),
		tHost.Named("host"),
		tPort.Named("port", Def(443)),
		F("disable_https", Boolean, Def(false)),
		F("unhandled_status", Integer, Between(100, 999)),
		F("forward_request_method", Boolean, Def(false)),
		F("forward_request_uri", Boolean, Def(false)),
		F("forward_request_headers", Boolean, Def(false)),
		F("forward_request_body", Boolean, Def(false)),
		F("is_proxy_integration", Boolean, Def(false)),
		F("awsgateway_compatible", Boolean, Def(false)),
		tURL.Named("proxy_url"),
		F("skip_large_bodies", Boolean, Def(true)),
		F("base64_encode_body", Boolean, Def(true)),
		F("aws_imds_protocol_version", String, Required, Def("v1"), OneOf("v1", "v2")),
		F("empty_arrays_mode", String, Required, Def("legacy"), OneOf("legacy", "correct")),
	))
}

func serverlessPlugins() []*Plugin {
	return []*Plugin{
		awsLambda(), acme(),
		plugin("azure-functions", 749, nil, protocolsAll(), config(
			F("timeout", Number, Def(600000)),
			F("keepalive", Number, Def(60000)),
			F("https", Boolean, Def(true)),
			F("https_verify", Boolean, Def(false)),
			F("apikey", String, Encrypted, Referenceable),
			F("clientid", String, Encrypted, Referenceable),
			F("appname", String, Required),
			F("hostdomain", String, Required, Def("azurewebsites.net")),
			F("routeprefix", String, Def("api")),
			F("functionname", String, Required),
		)),
		plugin("standard-webhooks", 760, nil, noConsumer(), protocolsHTTP(), config(
			F("secret_v1", String, Required, Referenceable, Encrypted),
			F("tolerance_second", Integer, Required, Gt(-1), Def(300)),
		)),
	}
}
