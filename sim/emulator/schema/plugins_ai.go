package schema

import "fmt"

// The six ai-* plugins Kong 3.9.3 bundles (kong/constants.lua), with the
// shared LLM record of kong/llm/schemas/init.lua that ai-proxy extends and
// the transformer plugins embed as config.llm. Fields declared
// `required = false` in Lua are Optional here because Kong serves that
// attribute.

// optStr is a string field declared `required = false`.
func optStr(name, desc string, opts ...Opt) *Field {
	return F(name, String, append([]Opt{Optional, Desc(desc)}, opts...)...)
}

// optRecord is a record declared `required = false`.
func optRecord(name string, fs ...*Field) *Field { return F(name, Record, Optional, Fields(fs...)) }

func llmAuth() *Field {
	return optRecord("auth",
		optStr("header_name", "If AI model requires authentication via Authorization or API key header, specify its name here.", Referenceable),
		optStr("header_value", "Specify the full auth header value for 'header_name', for example 'Bearer key' or just 'key'.", Encrypted, Referenceable),
		optStr("param_name", "If AI model requires authentication via query parameter, specify its name here.", Referenceable),
		optStr("param_value", "Specify the full parameter value for 'param_name'.", Encrypted, Referenceable),
		optStr("param_location", "Specify whether the 'param_name' and 'param_value' options go in a query string, or the POST form/JSON body.", OneOf("query", "body")),
		F("gcp_use_service_account", Boolean, Optional, Def(false), Desc("Use service account auth for GCP-based providers and models.")),
		optStr("gcp_service_account_json", "Set this field to the full JSON of the GCP service account to authenticate, if required. "+
			"If null (and gcp_use_service_account is true), Kong will attempt to read from environment variable `GCP_SERVICE_ACCOUNT`.", Referenceable),
		optStr("aws_access_key_id", "Set this if you are using an AWS provider (Bedrock) and you are authenticating using static IAM User credentials. "+
			"Setting this will override the AWS_ACCESS_KEY_ID environment variable for this plugin instance.", Encrypted, Referenceable),
		optStr("aws_secret_access_key", "Set this if you are using an AWS provider (Bedrock) and you are authenticating using static IAM User credentials. "+
			"Setting this will override the AWS_SECRET_ACCESS_KEY environment variable for this plugin instance.", Encrypted, Referenceable),
		F("allow_override", Boolean, Optional, Def(false),
			Desc("If enabled, the authorization header or parameter can be overridden in the request by the value configured in the plugin.")),
	)
}

func llmModelOptions() *Field {
	gemini := optRecord("gemini",
		optStr("api_endpoint", "If running Gemini on Vertex, specify the regional API endpoint (hostname only)."),
		optStr("project_id", "If running Gemini on Vertex, specify the project ID."),
		optStr("location_id", "If running Gemini on Vertex, specify the location ID."),
	)
	gemini.Checks = []*Check{{Kind: "mutually_required", Fields: []string{"api_endpoint", "project_id", "location_id"}}}
	return optRecord("options",
		F("max_tokens", Integer, Optional, Desc("Defines the max_tokens, if using chat or completion models.")),
		F("input_cost", Number, Optional, Gt(0), Desc("Defines the cost per 1M tokens in your prompt.")),
		F("output_cost", Number, Optional, Gt(0), Desc("Defines the cost per 1M tokens in the output of the AI.")),
		F("temperature", Number, Optional, Between(0, 5), Desc("Defines the matching temperature, if using chat or completion models.")),
		F("top_p", Number, Optional, Between(0, 1), Desc("Defines the top-p probability mass, if supported.")),
		F("top_k", Integer, Optional, Between(0, 500), Desc("Defines the top-k most likely tokens, if supported.")),
		optStr("anthropic_version", "Defines the schema/API version, if using Anthropic provider."),
		optStr("azure_instance", "Instance name for Azure OpenAI hosted models."),
		optStr("azure_api_version", "'api-version' for Azure OpenAI instances.", Def("2023-05-15")),
		optStr("azure_deployment_id", "Deployment ID for Azure OpenAI instances."),
		optStr("llama2_format", "If using llama2 provider, select the upstream message format.", OneOf("raw", "openai", "ollama")),
		optStr("mistral_format", "If using mistral provider, select the upstream message format.", OneOf("openai", "ollama")),
		tURL.Named("upstream_url", Optional, Desc("Manually specify or override the full URL to the AI operation endpoints, "+
			"when calling (self-)hosted models, or for running via a private endpoint.")),
		optStr("upstream_path", "Manually specify or override the AI operation path, used when e.g. using the 'preserve' route_type."),
		gemini,
		optRecord("bedrock",
			optStr("aws_region", "If using AWS providers (Bedrock) you can override the `AWS_REGION` environment variable by setting this option."),
		),
		optRecord("huggingface",
			F("use_cache", Boolean, Optional, Desc("Use the cache layer on the inference API")),
			F("wait_for_model", Boolean, Optional, Desc("Wait for the model if it is not ready")),
		),
	).With(Desc("Key/value settings for the model"))
}

// llmChecks are the LLM record's entity checks; provider-specific options
// are required through conditional_at_least_one_of.
func llmChecks() []*Check {
	providerNeeds := func(provider, field, err string) *Check {
		return &Check{Kind: "conditional_at_least_one_of", IfField: "model.provider", IfMatch: match(OneOf(provider)),
			ThenAtLeastOneOf: []string{"model.options." + field}, ThenErr: err}
	}
	return []*Check{
		{Kind: "conditional", IfField: "model.provider", IfMatch: match(OneOf("bedrock", "gemini")),
			ThenField: "auth.allow_override", ThenMatch: match(Eq(false)),
			ThenErr: "bedrock and gemini only support auth.allow_override = false"},
		{Kind: "mutually_required", Fields: []string{"auth.header_name", "auth.header_value"}},
		{Kind: "mutually_required", Fields: []string{"auth.param_name", "auth.param_value", "auth.param_location"}},
		providerNeeds("llama2", "llama2_format", "must set %s for llama2 provider"),
		providerNeeds("mistral", "mistral_format", "must set %s for mistral provider"),
		providerNeeds("anthropic", "anthropic_version", "must set %s for anthropic provider"),
		providerNeeds("azure", "azure_instance", "must set %s for azure provider"),
		providerNeeds("azure", "azure_api_version", "must set %s for azure provider"),
		providerNeeds("azure", "azure_deployment_id", "must set %s for azure provider"),
		providerNeeds("llama2", "upstream_url", "must set %s for self-hosted providers/models"),
		{Kind: "custom_entity_check", FieldSources: []string{"route_type", "model", "logging"}, Fn: llmStatisticsCheck},
	}
}

// llmStatisticsCheck refuses log_statistics where the driver cannot count
// tokens (Kong's UNSUPPORTED_LOG_STATISTICS).
func llmStatisticsCheck(rec map[string]any) map[string]string {
	logging, _ := rec["logging"].(map[string]any)
	model, _ := rec["model"].(map[string]any)
	if logging["log_statistics"] == true && rec["route_type"] == "llm/v1/completions" && model["provider"] == "anthropic" {
		return map[string]string{"@entity": fmt.Sprintf("%s does not support statistics when route_type is %s", model["provider"], rec["route_type"])}
	}
	return nil
}

// llmRecord is kong.llm's config_schema; extra fields are appended as
// ai-proxy appends its own.
func llmRecord(name string, extra ...*Field) *Field {
	fs := []*Field{
		F("route_type", String, Required, OneOf("llm/v1/chat", "llm/v1/completions", "preserve"),
			Desc("The model's operation implementation, for this provider. Set to `preserve` to pass through without transformation.")),
		llmAuth(),
		F("model", Record, Required, Fields(
			F("provider", String, Required, OneOf("openai", "azure", "anthropic", "cohere", "mistral", "llama2", "gemini", "bedrock", "huggingface"),
				Desc("AI provider request format - Kong translates requests to and from the specified backend compatible formats.")),
			optStr("name", "Model name to execute."),
			llmModelOptions(),
		)),
		F("logging", Record, Required, Fields(
			F("log_statistics", Boolean, Required, Def(false),
				Desc("If enabled and supported by the driver, will add model usage and token metrics into the Kong log plugin(s) output.")),
			F("log_payloads", Boolean, Required, Def(false),
				Desc("If enabled, will log the request and response body into the Kong log plugin(s) output.")),
		)),
	}
	f := F(name, Record, Fields(append(fs, extra...)...))
	f.Checks = llmChecks()
	return f
}

func maxBodySize() *Field {
	return F("max_request_body_size", Integer, Def(8*1024), Gt(0), Desc("max allowed body size allowed to be introspected"))
}

func llmFormat() *Field {
	return optStr("llm_format", "LLM input and output format and schema to use", Def("openai"), OneOf("openai", "bedrock", "gemini"))
}

func aiProxy() *Plugin {
	c := llmRecord("config",
		optStr("response_streaming", "Whether to 'optionally allow', 'deny', or 'always' (force) the streaming of answers via server sent events.",
			Def("allow"), OneOf("allow", "deny", "always")),
		maxBodySize(),
		F("model_name_header", Boolean, Def(true), Desc("Display the model name selected in the X-Kong-LLM-Model response header")),
		llmFormat(),
	)
	native := func(format string) *Check {
		return &Check{Kind: "conditional", IfField: "config.llm_format", IfMatch: match(Eq(format)),
			ThenField: "config.model.provider", ThenMatch: match(Eq(format)),
			ThenErr: fmt.Sprintf("native llm_format '%s' can only be used with the '%s' model.provider", format, format)}
	}
	checks := []*Check{
		{Kind: "conditional", IfField: "config.llm_format", IfMatch: match(OneOf("bedrock", "gemini")),
			ThenField: "config.route_type", ThenMatch: match(Eq("llm/v1/chat")),
			ThenErr: "native provider options in llm_format can only be used with the 'llm/v1/chat' route_type"},
		native("bedrock"), native("gemini"),
	}
	return plugin("ai-proxy", 770, checks, protocolsHTTP(), c)
}

// aiTransformer is ai-request-transformer or ai-response-transformer: a
// prompt sent to an LLM whose answer replaces the body.
func aiTransformer(name string, priority int, consumer bool, desc map[string]string, extra ...*Field) *Plugin {
	fs := []*Field{
		F("prompt", String, Required, Desc(desc["prompt"])),
		optStr("transformation_extract_pattern", desc["transformation_extract_pattern"]),
	}
	fs = append(fs, extra...)
	fs = append(fs,
		F("http_timeout", Integer, Required, Def(60000), Desc("Timeout in milliseconds for the AI upstream service.")),
		F("https_verify", Boolean, Required, Def(true), Desc("Verify the TLS certificate of the AI upstream service.")),
		maxBodySize(),
		tHost.Named("http_proxy_host"), tPort.Named("http_proxy_port"),
		tHost.Named("https_proxy_host"), tPort.Named("https_proxy_port"),
		llmRecord("llm"),
	)
	checks := []*Check{
		{Kind: "conditional", IfField: "config.llm.route_type", IfMatch: match(NotOneOf("llm/v1/chat")),
			ThenField: "config.llm.route_type", ThenMatch: match(Eq("llm/v1/chat")),
			ThenErr: "'config.llm.route_type' must be 'llm/v1/chat' for AI transformer plugins"},
		{Kind: "mutually_required", Fields: []string{"config.http_proxy_host", "config.http_proxy_port"}},
		{Kind: "mutually_required", Fields: []string{"config.https_proxy_host", "config.https_proxy_port"}},
	}
	if consumer {
		return plugin(name, priority, checks, protocolsHTTP(), noConsumer(), config(fs...))
	}
	return plugin(name, priority, checks, protocolsHTTP(), config(fs...))
}

func aiPromptDecorator() *Plugin {
	prompt := El(Record, Optional, Fields(
		F("role", String, Required, OneOf("system", "assistant", "user"), Def("system")),
		F("content", String, Required, LenMin(1), LenMax(500)),
	))
	messages := func(name, where string) *Field {
		return F(name, Array, Optional, LenMax(15), Elements(prompt),
			Desc("Insert chat messages at the "+where+" of the chat message array. This array preserves exact order when adding messages."))
	}
	return plugin("ai-prompt-decorator", 772, []*Check{atLeastOneOf("config.prompts.prepend", "config.prompts.append")},
		protocolsHTTP(), config(
			optRecord("prompts", messages("prepend", "beginning"), messages("append", "end")),
			maxBodySize(),
			llmFormat(),
		))
}

func aiPromptGuard() *Plugin {
	patterns := func(name, desc string) *Field {
		return F(name, Array, Optional, LenMax(10), Elements(El(String, LenMin(1), LenMax(500))), Desc(desc))
	}
	return plugin("ai-prompt-guard", 771, []*Check{
		atLeastOneOf("config.allow_patterns", "config.deny_patterns"),
		{Kind: "conditional", IfField: "config.match_all_roles", IfMatch: match(Eq(true)),
			ThenField: "config.allow_all_conversation_history", ThenMatch: match(Eq(false))},
	}, protocolsHTTP(), config(
		patterns("allow_patterns", "Array of valid regex patterns, or valid questions from the 'user' role in chat."),
		patterns("deny_patterns", "Array of invalid regex patterns, or invalid questions from the 'user' role in chat."),
		F("allow_all_conversation_history", Boolean, Required, Def(false),
			Desc("If true, will ignore all previous chat prompts from the conversation history.")),
		maxBodySize(),
		F("match_all_roles", Boolean, Required, Def(false),
			Desc("If true, will match all roles in addition to 'user' role in conversation history.")),
		llmFormat(),
	))
}

func aiPromptTemplate() *Plugin {
	template := El(Record, Required, Fields(
		F("name", String, Required, Desc("Unique name for the template, can be called with `{template://NAME}`")),
		F("template", String, Required, Desc("Template string for this request, supports mustache-style `{{placeholders}}`")),
	))
	return plugin("ai-prompt-template", 773, nil, protocolsHTTP(), config(
		F("templates", Array, Required, Elements(template), Desc("Array of templates available to the request context.")),
		F("allow_untemplated_requests", Boolean, Required, Def(true),
			Desc("Set true to allow requests that don't call or match any template.")),
		F("log_original_request", Boolean, Required, Def(false),
			Desc("Set true to add the original request to the Kong log plugin(s) output.")),
		maxBodySize(),
	))
}

func aiPlugins() []*Plugin {
	return []*Plugin{
		aiProxy(),
		aiTransformer("ai-request-transformer", 777, true, map[string]string{
			"prompt": "Use this prompt to tune the LLM system/assistant message for the incoming proxy request (from the client), and what you are expecting in return.",
			"transformation_extract_pattern": "Defines the regular expression that must match to indicate a successful AI transformation at the request phase. " +
				"The first match will be set as the outgoing body. If the AI service's response doesn't match this pattern, it is marked as a failure.",
		}),
		aiTransformer("ai-response-transformer", 768, false, map[string]string{
			"prompt": "Use this prompt to tune the LLM system/assistant message for the returning proxy response (from the upstream), adn what response format you are expecting.",
			"transformation_extract_pattern": "Defines the regular expression that must match to indicate a successful AI transformation at the response phase. " +
				"The first match will be set as the returning body. If the AI service's response doesn't match this pattern, a failure is returned to the client.",
		}, F("parse_llm_response_json_instructions", Boolean, Required, Def(false),
			Desc("Set true to read specific response format from the LLM, and accordingly set the status code / body / headers that proxy back to the client. "+
				"You need to engineer your LLM prompt to return the correct format, see plugin docs 'Overview' page for usage instructions."))),
		aiPromptDecorator(),
		aiPromptGuard(),
		aiPromptTemplate(),
	}
}
