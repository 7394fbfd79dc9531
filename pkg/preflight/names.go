package preflight

// SchemaName is the /schemas name of an entity kind as pkg/plan names it ("plugin" →
// "plugins", "key-auth" → "keyauth_credentials"), or "" for a kind Kong has no schema of its
// own for (a consumer group membership).
func SchemaName(kind string) string { return schemaName[kind] }

// ObjectField names the field of a Kubernetes object of kind objKind that made the Kong field
// kongField of an entity of kind (a KongPlugin's "config.minute", a route's konghq.com
// annotation), or "Kong field <kongField>" when no object field maps to it.
func ObjectField(objKind, kind, kongField string) string {
	return objectField(objKind, kind, kongField)
}
