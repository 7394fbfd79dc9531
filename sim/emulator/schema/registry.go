package schema

import (
	"fmt"
	"regexp"
	"sync"
)

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

// registry is every schema the emulator serves: the entities in creation
// order, the bundled plugins, and every Lua pattern their fields use,
// compiled when the schema was registered so that validating a request only
// looks patterns up.
type registry struct {
	byName   map[string]*Entity
	ordered  []*Entity
	plugins  map[string]*Plugin
	patterns map[string]*regexp.Regexp
}

// schemas returns the registry, built by newRegistry on first use and only
// read after that. (A sync.Once rather than a sync.OnceValue variable:
// validation reads the registry's patterns, and a variable initialised from
// newRegistry would depend on itself through the schemas' validators.)
func schemas() *registry {
	registryOnce.Do(func() { registryBuilt = newRegistry() })
	return registryBuilt
}

var (
	registryOnce  sync.Once
	registryBuilt *registry
)

// newRegistry registers every entity (parents before children, the order to
// create and export them in) and every bundled plugin.
func newRegistry() *registry {
	r := &registry{
		byName:   map[string]*Entity{},
		plugins:  map[string]*Plugin{},
		patterns: map[string]*regexp.Regexp{},
	}
	for _, list := range [][]*Plugin{authPlugins(), trafficPlugins(), logPlugins(), morePlugins(), serverlessPlugins()} {
		for _, p := range list {
			r.registerPlugin(p)
		}
	}
	pluginsEntity.subschema = func(key any) ([]*Field, []*Check, bool) {
		name, _ := key.(string)
		p, ok := r.plugins[name]
		if !ok {
			return nil, nil, false
		}
		return p.Fields, p.Checks, true
	}
	vaults.subschema = func(key any) ([]*Field, []*Check, bool) {
		if key == "env" {
			return envVaultFields, nil, true
		}
		return nil, nil, false
	}
	routes.subschema = routeSubschema
	r.compileFields(envVaultFields)
	for _, sub := range []routeSub{routeHTTP, routeStream, routeGRPC} {
		r.compileFields(sub.fields)
		r.compileChecks(sub.checks)
	}
	r.register(workspaces, certificates, snis, caCertificates, services, routes,
		upstreams, targets, consumers, pluginsEntity, vaults, keySets, newKeysEntity())
	r.register(credentials()...)
	r.register(tagsEntity)
	return r
}

// register adds entities in creation order.
func (r *registry) register(es ...*Entity) {
	for _, e := range es {
		r.compileFields(e.Fields)
		r.compileChecks(e.Checks)
		for _, sh := range e.Shorthands {
			r.compileField(sh.Field, false)
		}
		r.byName[e.Name] = e
		r.ordered = append(r.ordered, e)
	}
}

// registerPlugin adds a bundled plugin.
func (r *registry) registerPlugin(p *Plugin) {
	r.compileFields(p.Fields)
	r.compileChecks(p.Checks)
	r.plugins[p.Name] = p
}

// compileFields compiles every Lua pattern of fs and makes records inside
// entities required unless declared optional, as Kong's
// make_records_required does.
func (r *registry) compileFields(fs []*Field) {
	for _, f := range fs {
		r.compileField(f, true)
	}
}

func (r *registry) compileField(f *Field, entity bool) {
	if f == nil {
		return
	}
	for _, p := range []string{f.Match, f.NotMatch} {
		r.compilePattern(p)
	}
	for _, p := range f.MatchAll {
		r.compilePattern(p.Pattern)
	}
	for _, p := range f.MatchNone {
		r.compilePattern(p.Pattern)
	}
	if f.MatchAny != nil {
		for _, p := range f.MatchAny.Patterns {
			r.compilePattern(p)
		}
	}
	if f.Type == Record && entity && !f.optional && f.Extra["abstract"] == nil {
		f.Required = true
	}
	r.compileField(f.Elements, false)
	r.compileField(f.Keys, false)
	r.compileField(f.Values, false)
	for _, sub := range f.Fields {
		r.compileField(sub, entity)
	}
	for _, sh := range f.Shorthands {
		r.compileField(sh.Field, false)
	}
	r.compileChecks(f.Checks)
}

// compileChecks compiles the patterns of the validator-only fields that
// conditional checks match values against.
func (r *registry) compileChecks(cs []*Check) {
	for _, c := range cs {
		for _, m := range []*Field{c.IfMatch, c.ThenMatch, c.ElseMatch} {
			r.compileField(m, false)
		}
	}
}

// compilePattern translates a Lua pattern into RE2 once; a pattern that does
// not translate is a mistake in the schema data, so it stops the program
// when the schemas are first used.
func (r *registry) compilePattern(pat string) {
	if pat == "" || r.patterns[pat] != nil {
		return
	}
	r.patterns[pat] = regexp.MustCompile(luaToRE2(pat))
}

// luaMatch reports whether s contains a match of the Lua pattern, compiled
// when its schema was registered.
func luaMatch(s, pat string) bool {
	re, ok := schemas().patterns[pat]
	if !ok {
		panic(fmt.Sprintf("schema: Lua pattern %q was not compiled when its schema was registered", pat))
	}
	return re.MatchString(s)
}
