package schema

// JSON returns the body of GET /schemas/{name}.
func (e *Entity) JSON() map[string]any { return nil }

// PluginJSON returns the body of GET /schemas/plugins/{name}.
func PluginJSON(name string) (map[string]any, bool) { return nil, false }
