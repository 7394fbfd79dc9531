package schema

// Plugin is one bundled plugin: its identity for GET / and its schema, whose
// config record and protocols default are served on /schemas/plugins/{name}.
type Plugin struct {
	Name     string
	Version  string
	Priority int
	// Fields are the plugin schema's top-level fields besides the common
	// plugin fields: scope restrictions (consumer/service/route with eq=null),
	// protocols and config, in Kong's order.
	Fields []*Field
	Checks []*Check
}

var registry = struct {
	byName  map[string]*Entity
	ordered []*Entity
}{byName: map[string]*Entity{}}

var plugins = map[string]*Plugin{}

// register adds entities in creation order; it is called from the package's
// init so that the schemas are plain data declared once.
func register(es ...*Entity) {
	for _, e := range es {
		compileFields(e.Fields)
		registry.byName[e.Name] = e
		registry.ordered = append(registry.ordered, e)
	}
}

// registerPlugin adds a bundled plugin.
func registerPlugin(p *Plugin) {
	compileFields(p.Fields)
	plugins[p.Name] = p
}
