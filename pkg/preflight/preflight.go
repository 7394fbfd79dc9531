// Package preflight finds, before anything is written, the entities a Kong node would refuse
// for a reason known in advance: a plugin the node does not enable, an entity or field only
// Kong Enterprise has, a vault backend the node does not install, a field Kong's conditional
// rules forbid for the entity's protocol, two CA certificates Kong would hold as one. It is
// pure: the caller says what the node says of itself (GET / and /schemas) and hands it the
// entities; sync reports what it finds instead of sending it (and skips what depends on it),
// and `kubectl kongdb validate` reports the same without a sync.
//
// It does not replace Kong's validation (a plugin's config is still checked by Kong), and a
// finding is never a guess: each rule is one Kong 3.9 states in its schemas (rules.go).
package preflight

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Node is what a Kong node says of itself, as far as preflight needs it.
type Node struct {
	// Version is Kong's version ("3.9.1", "3.9.1.0-enterprise-edition"); Enterprise is true
	// for Kong Enterprise (GET / "edition": "enterprise", or such a version).
	Version    string
	Enterprise bool
	// Plugins are the plugins the node enables (GET / plugins.available_on_server); nil when
	// not known, which skips the check.
	Plugins map[string]bool
	// Schemas are /schemas bodies by name ("services", "plugins", "vaults/hcv"): a name
	// present with a nil schema is one the node answered 404 for (an entity or vault it does
	// not have); a name absent is not known and its checks are skipped.
	Schemas map[string]map[string]any
}

// Entity is one entity as the Admin API takes it.
type Entity struct {
	// Kind is the entity type as pkg/plan names it ("service", "plugin", "mtls-auth").
	Kind string
	// Name identifies it to people; Body is what would be sent (tags included).
	Name string
	Body map[string]any
}

// Finding is one entity Kong would refuse, and why.
type Finding struct {
	// Index is the entity's position in what Check was given.
	Index int    `json:"-"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	// Object is the Kubernetes object it comes from ("KongPlugin default/auth"), from its
	// k8s-* tags; Field is the object's field that asks for it ("plugin",
	// `metadata.annotations["konghq.com/client-cert"]`), or the Kong field when no object field
	// maps to it.
	Object string `json:"object,omitempty"`
	Field  string `json:"field,omitempty"`
	// Reason is Kong's rule, as Kong would word the refusal where it can.
	Reason string `json:"reason"`
}

// String is "<kind> <name> (<object> <field>): <reason>".
func (f Finding) String() string {
	s := f.Kind + " " + f.Name
	if where := strings.TrimSpace(f.Object + " " + f.Field); where != "" {
		s += " (" + where + ")"
	}
	return s + ": " + f.Reason
}

// Check returns every finding for entities on node, at most one per entity (the first rule
// that refuses it), ordered by entity.
func Check(entities []Entity, node Node) []Finding {
	var out []Finding
	found := map[int]bool{}
	add := func(i int, kongField, reason string) {
		if found[i] {
			return
		}
		found[i] = true
		e := entities[i]
		obj := objectOf(e.Body)
		out = append(out, Finding{Index: i, Kind: e.Kind, Name: e.Name, Object: obj.String(),
			Field: objectField(obj.Kind, e.Kind, kongField), Reason: reason})
	}
	for i, e := range entities {
		for _, r := range entityRules {
			if field, reason := r(e, node); reason != "" {
				add(i, field, reason)
				break
			}
		}
	}
	for _, r := range crossRules {
		for _, f := range r(entities) {
			add(f.index, f.field, f.reason)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Index < out[b].Index })
	return out
}

// schemaName is the /schemas name of an entity kind.
var schemaName = map[string]string{
	"service": "services", "route": "routes", "upstream": "upstreams", "target": "targets",
	"consumer": "consumers", "consumer_group": "consumer_groups", "certificate": "certificates",
	"sni": "snis", "ca_certificate": "ca_certificates", "key-auth": "keyauth_credentials",
	"basic-auth": "basicauth_credentials", "hmac-auth": "hmacauth_credentials", "jwt": "jwt_secrets",
	"acl": "acls", "oauth2": "oauth2_credentials", "mtls-auth": "mtls_auth_credentials",
	"vault": "vaults", "plugin": "plugins",
}

// SchemaNames are the /schemas names Check would consult for entities, for a caller to fetch
// before it builds the Node: each kind's entity schema and each vault's backend.
func SchemaNames(entities []Entity) []string {
	var names []string
	for _, e := range entities {
		if n := schemaName[e.Kind]; n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
		if e.Kind == "vault" {
			if b, _ := e.Body["name"].(string); b != "" && !slices.Contains(names, "vaults/"+b) {
				names = append(names, "vaults/"+b)
			}
		}
	}
	return names
}

// object is a Kubernetes object named by an entity's k8s-* tags.
type object struct{ Kind, Namespace, Name string }

func (o object) String() string {
	switch {
	case o.Kind == "" && o.Name == "":
		return ""
	case o.Namespace == "":
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

func objectOf(body map[string]any) object {
	var o object
	tags, _ := body["tags"].([]any)
	for _, t := range tags {
		s, _ := t.(string)
		switch {
		case strings.HasPrefix(s, "k8s-kind:"):
			o.Kind = strings.TrimPrefix(s, "k8s-kind:")
		case strings.HasPrefix(s, "k8s-namespace:"):
			o.Namespace = strings.TrimPrefix(s, "k8s-namespace:")
		case strings.HasPrefix(s, "k8s-name:"):
			o.Name = strings.TrimPrefix(s, "k8s-name:")
		}
	}
	return o
}

// annotationOf maps Kong route and service fields to the konghq.com annotations that set them.
var annotationOf = map[string]string{
	"strip_path": "strip-path", "preserve_host": "preserve-host", "methods": "methods",
	"protocols": "protocols", "snis": "snis", "hosts": "host-aliases", "headers": "headers.*",
	"https_redirect_status_code": "https-redirect-status-code", "path": "path",
	"client_certificate": "client-cert", "tls_verify": "tls-verify", "tls_verify_depth": "tls-verify-depth",
	"ca_certificates": "ca-certificates-secrets", "protocol": "protocol",
}

// objectField names the field of a Kubernetes object of kind objKind that made the Kong field
// kongField of an entity of kind, or the Kong field itself when nothing maps to it.
func objectField(objKind, kind, kongField string) string {
	switch {
	case kongField == "":
		return ""
	case kongField == kindField:
		if objKind == "Secret" {
			return `metadata.labels["konghq.com/credential"]`
		}
		return ""
	case (objKind == "KongPlugin" || objKind == "KongClusterPlugin") && kind == "plugin":
		if kongField == "name" {
			return "plugin"
		}
		return kongField
	case objKind == "KongVault" && kongField == "name":
		return "spec.backend"
	case (kind == "route" || kind == "service") && annotationOf[kongField] != "":
		return fmt.Sprintf(`metadata.annotations["konghq.com/%s"]`, annotationOf[kongField])
	}
	return "Kong field " + kongField
}
