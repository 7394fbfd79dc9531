// Field descriptions and deprecation messages copied from Kong 3.9.3's Lua
// schemas (extracted with a throw-away script, then reviewed).

package schema

// Descriptions of Kong's typedefs (kong/db/schema/typedefs.lua), inherited by
// every field declared with the typedef.
const (
	descAutoTimestampMs = "A number representing an automatic Unix timestamp in milliseconds."
	descAutoTimestampS  = "An integer representing an automatic Unix timestamp in seconds."
	descCertificate     = "A string representing a certificate."
	descHeaderName      = "A string representing an HTTP header name."
	descHost            = "A string representing a host name, such as example.com."
	descHosts           = "An array of strings representing hosts. A valid host is a string containing one or more labels separated by periods, with at most one wildcard label ('*')"
	descHTTPMethod      = "A string representing an HTTP method, such as GET, POST, PUT, or DELETE. The string must contain only uppercase letters."
	descIPOrCIDR        = "A string representing an IP address or CIDR block, such as 192.168.1.1 or 192.168.0.0/16."
	descKey             = "A string representing a key."
	descLuaCode         = "Lua code as a key-value map"
	descNoConsumer      = "Custom type for representing a foreign key with a null value allowed."
	descPath            = "A string representing a URL path, such as /path/to/resource. Must start with a forward slash (/) and must not contain empty segments (i.e., two consecutive forward slashes)."
	descPort            = "An integer representing a port number between 0 and 65535, inclusive."
	descProtocol        = "A string representing a protocol, such as HTTP or HTTPS."
	descProtocols       = "A set of strings representing protocols."
	descProtocolsHTTP   = "A set of strings representing HTTP protocols."
	descSNI             = "A string representing an SNI (server name indication) value for TLS."
	descTag             = "A string representing a tag."
	descTags            = "A set of strings representing tags."
	descTimeout         = "An integer representing a timeout in milliseconds. Must be between 0 and 2^31-2."
	descURL             = "A string representing a URL, such as https://example.com/path/to/resource?q=search."
	descUTF8Name        = "A unique string representing a UTF-8 encoded name."
	descUUID            = "A string representing a UUID (universally unique identifier)."
	descWildcardHost    = "A string representing a wildcard host name, such as *.example.com."
)

// entityDocs are the entities' field descriptions, keyed by schema name and
// field path (see fieldDoc), as Kong 3.9.3's Lua schemas declare them.
var entityDocs = map[string]map[string]fieldDoc{
	"acls": {
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
	},
	"basicauth_credentials": {
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
	},
	"ca_certificates": {
		"cert":       {desc: descCertificate},
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
		"updated_at": {desc: descAutoTimestampS},
	},
	"certificates": {
		"cert":       {desc: descCertificate},
		"cert_alt":   {desc: descCertificate},
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"key":        {desc: descKey},
		"key_alt":    {desc: descKey},
		"snis[]":     {desc: descWildcardHost},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
		"updated_at": {desc: descAutoTimestampS},
	},
	"consumers": {
		"created_at": {desc: descAutoTimestampS},
		"custom_id":  {desc: "Stores the existing unique ID of the consumer. You must send at least one of username or custom_id with the request."},
		"id":         {desc: descUUID},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
		"updated_at": {desc: descAutoTimestampS},
		"username":   {desc: "The unique username of the Consumer. You must send at least one of username or custom_id with the request."},
	},
	"hmacauth_credentials": {
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
	},
	"jwt_secrets": {
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
	},
	"key_sets": {
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"name":       {desc: "The name to associate with the given key-set."},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
		"updated_at": {desc: descAutoTimestampS},
	},
	"keyauth_credentials": {
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
	},
	"keys": {
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"jwk":        {desc: "A JSON Web Key represented as a string."},
		"kid":        {desc: "A unique identifier for a key."},
		"name":       {desc: "The name to associate with the given keys."},
		"pem":        {desc: "A pair of PEM-encoded public and private keys, which can be either a string or a reference to a credential in Kong Vault. If provided as strings, they must be valid PEM-encoded keys."},
		"set":        {desc: "The id of the key-set with which to associate the key."},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
		"updated_at": {desc: descAutoTimestampS},
	},
	"oauth2_credentials": {
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
	},
	"plugins": {
		"config":        {desc: "The configuration properties for the Plugin."},
		"consumer":      {desc: "If set, the plugin will activate only for requests where the specified has been authenticated."},
		"created_at":    {desc: descAutoTimestampS},
		"enabled":       {desc: "Whether the plugin is applied."},
		"id":            {desc: descUUID},
		"instance_name": {desc: descUTF8Name},
		"name":          {desc: "The name of the Plugin that's going to be added."},
		"protocols":     {desc: descProtocols},
		"protocols[]":   {desc: descProtocol},
		"route":         {desc: "If set, the plugin will only activate when receiving requests via the specified route."},
		"service":       {desc: "If set, the plugin will only activate when receiving requests via one of the routes belonging to the specified service. "},
		"tags":          {desc: descTags},
		"tags[]":        {desc: descTag},
		"updated_at":    {desc: descAutoTimestampS},
	},
	"routes": {
		"created_at":                 {desc: descAutoTimestampS},
		"destinations":               {desc: "A set of destinations, each of which is a record with at least one of 'ip' or 'port'."},
		"destinations[].ip":          {desc: descIPOrCIDR},
		"destinations[].port":        {desc: descPort},
		"headers":                    {desc: "A map of header names to arrays of header values."},
		"headers{k}":                 {desc: descHeaderName},
		"hosts":                      {desc: descHosts},
		"https_redirect_status_code": {desc: "The status code Kong responds with when all properties of a Route match except the protocol"},
		"id":                         {desc: descUUID},
		"methods":                    {desc: "A set of strings representing HTTP methods. Each method must be a valid HTTP method."},
		"methods[]":                  {desc: descHTTPMethod},
		"name":                       {desc: descUTF8Name},
		"path_handling":              {desc: "Controls how the Service path, Route path and requested path are combined when sending a request to the upstream."},
		"paths":                      {desc: "An array of strings representing router paths."},
		"paths[]":                    {desc: "A string representing a router path. It must start with a forward slash ('/') for a fixed path, or the sequence '~/' for a regex path. It must not have empty segments."},
		"preserve_host":              {desc: "When matching a Route via one of the hosts domain names, use the request Host header in the upstream request headers."},
		"protocols":                  {desc: "An array of the protocols this Route should allow."},
		"protocols[]":                {desc: descProtocol},
		"regex_priority":             {desc: "A number used to choose which route resolves a given request when several routes match it using regexes simultaneously."},
		"request_buffering":          {desc: "Whether to enable request body buffering or not. With HTTP 1.1."},
		"response_buffering":         {desc: "Whether to enable response body buffering or not."},
		"service":                    {desc: "The Service this Route is associated to. This is where the Route proxies traffic to."},
		"snis":                       {desc: "A list of SNIs that match this Route."},
		"snis[]":                     {desc: descSNI},
		"sources":                    {desc: "A set of sources, each of which is a record with at least one of 'ip' or 'port'."},
		"sources[].ip":               {desc: descIPOrCIDR},
		"sources[].port":             {desc: descPort},
		"strip_path":                 {desc: "When matching a Route via one of the paths, strip the matching prefix from the upstream request URL."},
		"tags":                       {desc: descTags},
		"tags[]":                     {desc: descTag},
		"updated_at":                 {desc: descAutoTimestampS},
	},
	"services": {
		"ca_certificates":    {desc: "Array of CA Certificate object UUIDs that are used to build the trust store while verifying upstream server's TLS certificate."},
		"client_certificate": {desc: "Certificate to be used as client certificate while TLS handshaking to the upstream server."},
		"created_at":         {desc: descAutoTimestampS},
		"enabled":            {desc: "Whether the Service is active. "},
		"host":               {desc: descHost},
		"id":                 {desc: descUUID},
		"name":               {desc: descUTF8Name},
		"path":               {desc: descPath},
		"port":               {desc: descPort},
		"protocol":           {desc: descProtocol},
		"retries":            {desc: "The number of retries to execute upon failure to proxy."},
		"tags":               {desc: descTags},
		"tags[]":             {desc: descTag},
		"tls_verify":         {desc: "Whether to enable verification of upstream server TLS certificate. If not set, the global level config `proxy_ssl_verify` will be used."},
		"tls_verify_depth":   {desc: "Maximum depth of chain while verifying Upstream server's TLS certificate."},
		"updated_at":         {desc: descAutoTimestampS},
	},
	"snis": {
		"certificate": {desc: "The id (a UUID) of the certificate with which to associate the SNI hostname."},
		"created_at":  {desc: descAutoTimestampS},
		"id":          {desc: descUUID},
		"name":        {desc: descWildcardHost},
		"tags":        {desc: descTags},
		"tags[]":      {desc: descTag},
		"updated_at":  {desc: descAutoTimestampS},
	},
	"tags": {
		"entity_id":   {desc: descUUID},
		"entity_name": {desc: "The name of the Kong Gateway entity being tagged."},
		"tag":         {desc: descTag},
	},
	"targets": {
		"created_at": {desc: descAutoTimestampMs},
		"id":         {desc: descUUID},
		"tags":       {desc: descTags},
		"tags[]":     {desc: descTag},
		"target":     {desc: "The target address (ip or hostname) and port."},
		"updated_at": {desc: descAutoTimestampMs},
		"upstream":   {desc: "The unique identifier or the name of the upstream for which to update the target."},
		"weight":     {desc: "The weight this target gets within the upstream loadbalancer (0-65535)."},
	},
	"vaults": {
		"config":      {desc: "The configuration properties for the Vault which can be found on the vaults' documentation page."},
		"created_at":  {desc: descAutoTimestampS},
		"description": {desc: "The description of the Vault entity."},
		"id":          {desc: descUUID},
		"name":        {desc: "The name of the Vault that's going to be added."},
		"prefix":      {desc: "The unique prefix (or identifier) for this Vault configuration."},
		"tags":        {desc: descTags},
		"tags[]":      {desc: descTag},
		"updated_at":  {desc: descAutoTimestampS},
	},
	"workspaces": {
		"created_at": {desc: descAutoTimestampS},
		"id":         {desc: descUUID},
		"name":       {desc: descUTF8Name},
		"updated_at": {desc: descAutoTimestampS},
	},
}

// Doc tables several plugins share word for word, mounted under a path
// prefix by docMounts.
var docsQueue = map[string]fieldDoc{
	"concurrency_limit":    {desc: "The number of of queue delivery timers. -1 indicates unlimited."},
	"initial_retry_delay":  {desc: "Time in seconds before the initial retry is made for a failing batch."},
	"max_batch_size":       {desc: "Maximum number of entries that can be processed at a time."},
	"max_bytes":            {desc: "Maximum number of bytes that can be waiting on a queue, requires string content."},
	"max_coalescing_delay": {desc: "Maximum number of (fractional) seconds to elapse after the first entry was queued before the queue starts calling the handler."},
	"max_entries":          {desc: "Maximum number of entries that can be waiting on the queue."},
	"max_retry_delay":      {desc: "Maximum time in seconds between retries, caps exponential backoff."},
	"max_retry_time":       {desc: "Time in seconds before the queue gives up calling a failed handler for a batch."},
}

var docsRedis = map[string]fieldDoc{
	"database":    {desc: "Database to use for the Redis connection when using the `redis` strategy"},
	"host":        {desc: descHost},
	"password":    {desc: "Password to use for Redis connections. If undefined, no AUTH commands are sent to Redis."},
	"port":        {desc: descPort},
	"server_name": {desc: descSNI},
	"ssl":         {desc: "If set to true, uses SSL to connect to Redis."},
	"ssl_verify":  {desc: "If set to true, verifies the validity of the server SSL certificate. If setting this parameter, also configure `lua_ssl_trusted_certificate` in `kong.conf` to specify the CA (or server) certificate used by your Redis server. You may also need to configure `lua_ssl_verify_depth` accordingly."},
	"timeout":     {desc: descTimeout},
	"username":    {desc: "Username to use for Redis connections. If undefined, ACL authentication won't be performed. This requires Redis v6.0.0+. To be compatible with Redis v5.x.y, you can set it to `default`."},
}

var docsFunctionPlugin = map[string]fieldDoc{
	"config.access":        {desc: "Custom functions, which can be user-defined, are cached and executed sequentially during specific phases: `certificate`, `rewrite`, `access`, `header_filter`, `body_filter`, and `log`."},
	"config.body_filter":   {desc: "Custom functions, which can be user-defined, are cached and executed sequentially during specific phases: `certificate`, `rewrite`, `access`, `header_filter`, `body_filter`, and `log`."},
	"config.certificate":   {desc: "Custom functions, which can be user-defined, are cached and executed sequentially during specific phases: `certificate`, `rewrite`, `access`, `header_filter`, `body_filter`, and `log`."},
	"config.header_filter": {desc: "Custom functions, which can be user-defined, are cached and executed sequentially during specific phases: `certificate`, `rewrite`, `access`, `header_filter`, `body_filter`, and `log`."},
	"config.log":           {desc: "Custom functions, which can be user-defined, are cached and executed sequentially during specific phases: `certificate`, `rewrite`, `access`, `header_filter`, `body_filter`, and `log`."},
	"config.rewrite":       {desc: "Custom functions, which can be user-defined, are cached and executed sequentially during specific phases: `certificate`, `rewrite`, `access`, `header_filter`, `body_filter`, and `log`."},
	"consumer":             {desc: descNoConsumer},
	"protocols":            {desc: descProtocols},
	"protocols[]":          {desc: descProtocol},
}

// docMounts are the shared doc tables each schema mounts, by path prefix.
var docMounts = map[string]map[string]map[string]fieldDoc{
	"plugins/datadog":               {"config.queue.": docsQueue},
	"plugins/http-log":              {"config.queue.": docsQueue},
	"plugins/opentelemetry":         {"config.queue.": docsQueue},
	"plugins/post-function":         {"": docsFunctionPlugin},
	"plugins/pre-function":          {"": docsFunctionPlugin},
	"plugins/rate-limiting":         {"config.redis.": docsRedis},
	"plugins/response-ratelimiting": {"config.redis.": docsRedis},
	"plugins/statsd":                {"config.queue.": docsQueue},
	"plugins/zipkin":                {"config.queue.": docsQueue},
}
