package translate

import (
	"strconv"
	"strings"
)

// Annotation keys KIC 3.5 reads (internal/annotations, plus konghq.com/upstream-policy and the
// plugins/tags keys of kubernetes-configuration's metadata package).
const (
	annOverride                = "konghq.com/override"
	annPlugins                 = "konghq.com/plugins"
	annProtocol                = "konghq.com/protocol"
	annProtocols               = "konghq.com/protocols"
	annClientCert              = "konghq.com/client-cert"
	annStripPath               = "konghq.com/strip-path"
	annPath                    = "konghq.com/path"
	annHTTPSRedirectCode       = "konghq.com/https-redirect-status-code"
	annPreserveHost            = "konghq.com/preserve-host"
	annRegexPriority           = "konghq.com/regex-priority"
	annHostHeader              = "konghq.com/host-header"
	annMethods                 = "konghq.com/methods"
	annSNIs                    = "konghq.com/snis"
	annRequestBuffering        = "konghq.com/request-buffering"
	annResponseBuffering       = "konghq.com/response-buffering"
	annHostAliases             = "konghq.com/host-aliases"
	annRegexPrefix             = "konghq.com/regex-prefix"
	annConnectTimeout          = "konghq.com/connect-timeout"
	annWriteTimeout            = "konghq.com/write-timeout"
	annReadTimeout             = "konghq.com/read-timeout"
	annRetries                 = "konghq.com/retries"
	annHeadersPrefix           = "konghq.com/headers."
	annHeadersSeparator        = "konghq.com/headers-separator"
	annPathHandling            = "konghq.com/path-handling"
	annTags                    = "konghq.com/tags"
	annRewrite                 = "konghq.com/rewrite"
	annTLSVerify               = "konghq.com/tls-verify"
	annTLSVerifyDepth          = "konghq.com/tls-verify-depth"
	annCACertificatesSecrets   = "konghq.com/ca-certificates-secrets"
	annCACertificatesConfigMap = "konghq.com/ca-certificates-configmaps"
	annUpstreamPolicy          = "konghq.com/upstream-policy"
	annIngressClass            = "kubernetes.io/ingress.class"
	annServiceUpstream         = "ingress.kubernetes.io/service-upstream"
	annForceSSLRedirect        = "ingress.kubernetes.io/force-ssl-redirect"

	// labelCredential marks a Secret as a consumer credential and names its type.
	labelCredential = "konghq.com/credential"
	// labelCACert marks a Secret as a CA certificate.
	labelCACert = "konghq.com/ca-cert"
	// labelGlobal marks a KongClusterPlugin as global.
	labelGlobal = "global"
)

// annField is how a diagnostic names an annotation.
func annField(key string) string { return "metadata.annotations[" + key + "]" }

// commaList is KIC's extractCommaDelimitedStrings: split on commas, trim, drop empties, then
// apply the sanitisers.
func commaList(s string, sanitize ...func(string) string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		for _, f := range sanitize {
			p = f(p)
		}
		out = append(out, p)
	}
	return out
}

func userTags(anns map[string]string) []string { return commaList(anns[annTags]) }

// validProtocols are the protocols KIC's util.ValidateProtocol accepts.
var validProtocols = map[string]bool{
	"http": true, "https": true, "grpc": true, "grpcs": true, "tcp": true, "tls": true,
	"udp": true, "tls_passthrough": true, "ws": true, "wss": true,
}

// validateProtocol is KIC's util.ValidateProtocol: empty is valid (means "unset").
func validateProtocol(p string) bool { return p == "" || validProtocols[p] }

// parseTLSVerify is KIC's ExtractTLSVerify: present and a Go bool.
func parseTLSVerify(anns map[string]string) (value, ok bool) {
	s, ok := anns[annTLSVerify]
	if !ok {
		return false, false
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, false
	}
	return v, true
}
