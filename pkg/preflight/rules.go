package preflight

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// kindField marks a finding about the entity's kind itself (the node has no such entity).
const kindField = "@kind"

// enterpriseOnly are the entities of Kong Enterprise that Kong 3.9 OSS answers 404 for.
var enterpriseOnly = map[string]bool{"consumer_group": true, "mtls-auth": true}

// entityRules each look at one entity and return the Kong field at fault and Kong's rule, or
// no reason. The first that refuses an entity is its finding.
var entityRules = []func(Entity, Node) (field, reason string){
	kindAvailable,
	pluginEnabled,
	vaultInstalled,
	knownFields,
	serviceProtocolRules,
	routeSubschemaRules,
	redirectLocation,
}

// kindAvailable: the node must have the entity (its /schemas answers 404 otherwise).
func kindAvailable(e Entity, n Node) (string, string) {
	name := schemaName[e.Kind]
	sc, known := n.Schemas[name]
	if !known || sc != nil {
		return "", ""
	}
	reason := fmt.Sprintf("Kong %s has no %s (GET /schemas/%s: 404)", n.Version, name, name)
	if enterpriseOnly[e.Kind] && !n.Enterprise {
		reason += "; it is a Kong Enterprise entity"
	}
	return kindField, reason
}

// pluginEnabled: a plugin must be one the node loads (Kong: "plugin '%s' not enabled; add it
// to the 'plugins' configuration property").
func pluginEnabled(e Entity, n Node) (string, string) {
	if e.Kind != "plugin" || n.Plugins == nil {
		return "", ""
	}
	name, _ := e.Body["name"].(string)
	if n.Plugins[name] {
		return "", ""
	}
	return "name", fmt.Sprintf("plugin '%s' not enabled; add it to the 'plugins' configuration property", name)
}

// vaultInstalled: a vault's backend must be installed (Kong OSS bundles only env: "vault '%s'
// is not installed").
func vaultInstalled(e Entity, n Node) (string, string) {
	if e.Kind != "vault" {
		return "", ""
	}
	backend, _ := e.Body["name"].(string)
	if sc, known := n.Schemas["vaults/"+backend]; known && sc == nil {
		return "name", fmt.Sprintf("vault '%s' is not installed", backend)
	}
	return "", ""
}

// knownFields: every field set must be one of the entity's schema (Kong: "unknown field"); on
// Kong OSS this catches Enterprise-only fields such as a plugin's ordering or consumer_group.
func knownFields(e Entity, n Node) (string, string) {
	sc := n.Schemas[schemaName[e.Kind]]
	if sc == nil {
		return "", ""
	}
	fields := fieldNames(sc)
	if len(fields) == 0 {
		return "", ""
	}
	var keys []string
	for k, v := range e.Body {
		if v != nil && !fields[k] && !extraKeys[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", ""
	}
	slices.Sort(keys)
	reason := keys[0] + ": unknown field"
	if !n.Enterprise && enterpriseFields[keys[0]] {
		reason += " (a Kong Enterprise field)"
	}
	return keys[0], reason
}

// extraKeys are keys the Admin API accepts beside the schema's fields.
var extraKeys = map[string]bool{"id": true, "ttl": true}

// enterpriseFields are fields Kong Enterprise adds to OSS entities.
var enterpriseFields = map[string]bool{"ordering": true, "consumer_group": true}

func fieldNames(sc map[string]any) map[string]bool {
	list, _ := sc["fields"].([]any)
	out := make(map[string]bool, len(list))
	for _, f := range list {
		if m, ok := f.(map[string]any); ok {
			for k := range m {
				out[k] = true
			}
		}
	}
	return out
}

// serviceProtocolRules are services.lua's entity checks: path must be null for tcp, tls, udp,
// grpc and grpcs; client_certificate, tls_verify, tls_verify_depth and ca_certificates only
// for https and tls.
func serviceProtocolRules(e Entity, _ Node) (string, string) {
	if e.Kind != "service" {
		return "", ""
	}
	protocol, _ := e.Body["protocol"].(string)
	if protocol == "" {
		protocol = "http"
	}
	if set(e.Body["path"]) && slices.Contains([]string{"tcp", "tls", "udp", "grpc", "grpcs"}, protocol) {
		return "path", fmt.Sprintf("path: value must be null (a %s service has no path)", protocol)
	}
	if protocol != "https" && protocol != "tls" {
		for _, f := range []string{"client_certificate", "tls_verify", "tls_verify_depth", "ca_certificates"} {
			if set(e.Body[f]) {
				return f, fmt.Sprintf("%s: value must be null (only an https or tls service has one; protocol is %s)", f, protocol)
			}
		}
	}
	return "", ""
}

// routeSubschemaRules are routes_subschemas.lua's field rules for the subschema the first
// protocol selects, and routes.lua's snis rule.
func routeSubschemaRules(e Entity, _ Node) (string, string) {
	if e.Kind != "route" {
		return "", ""
	}
	protocols := strs(e.Body["protocols"])
	if len(protocols) == 0 {
		protocols = []string{"http", "https"}
	}
	var forbidden []string
	var which string
	switch protocols[0] {
	case "grpc", "grpcs":
		which = "'grpc' or 'grpcs'"
		if b, _ := e.Body["strip_path"].(bool); b {
			return "strip_path", "cannot set 'strip_path' when 'protocols' is " + which
		}
		forbidden = []string{"methods", "sources", "destinations"}
	case "tcp", "tls", "udp", "tls_passthrough":
		which = "'tcp', 'tls', 'tls_passthrough' or 'udp'"
		forbidden = []string{"methods", "hosts", "paths", "headers"}
	default:
		which = "'http' or 'https'"
		forbidden = []string{"sources", "destinations"}
	}
	for _, f := range forbidden {
		if set(e.Body[f]) {
			return f, fmt.Sprintf("cannot set '%s' when 'protocols' is %s", f, which)
		}
	}
	if set(e.Body["snis"]) && !slices.ContainsFunc(protocols, func(p string) bool {
		return slices.Contains([]string{"grpcs", "https", "tls", "tls_passthrough"}, p)
	}) {
		return "snis", "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"
	}
	return "", ""
}

// redirectLocation: the redirect plugin's location is a URL with a scheme and a host
// (typedefs.url: "missing host in url").
func redirectLocation(e Entity, _ Node) (string, string) {
	if e.Kind != "plugin" || e.Body["name"] != "redirect" {
		return "", ""
	}
	cfg, _ := e.Body["config"].(map[string]any)
	loc, _ := cfg["location"].(string)
	u, err := url.Parse(loc)
	switch {
	case err != nil || u.Scheme == "":
		return "config.location", "config.location: missing scheme in url"
	case u.Host == "":
		return "config.location", "config.location: missing host in url"
	}
	return "", ""
}

// cross is a finding of a rule over several entities.
type cross struct {
	index         int
	field, reason string
}

// crossRules look at all entities together.
var crossRules = []func([]Entity) []cross{duplicateCACertificates}

// duplicateCACertificates: Kong keys CA certificates by their digest too (cert_digest is
// unique), so a second one with the same certificate is refused.
func duplicateCACertificates(es []Entity) []cross {
	var out []cross
	seen := map[string]string{}
	for i, e := range es {
		if e.Kind != "ca_certificate" {
			continue
		}
		c, _ := e.Body["cert"].(string)
		c = strings.TrimSpace(c)
		if first, dup := seen[c]; dup && c != "" {
			out = append(out, cross{index: i, field: "cert", reason: fmt.Sprintf(
				"UNIQUE violation on cert_digest: the same certificate as CA certificate %s", first)})
			continue
		}
		seen[c] = e.Name
	}
	return out
}

// set reports whether a body value is present: not null and not an empty list or map.
func set(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
