package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"github.com/imdario/mergo"
	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// Schemas fetches entity and plugin schemas from /schemas and keeps them per Kong version, in
// memory and (when Dir is set) on disk, so a no-op sync of a known Kong version reads no
// schema at all.
type Schemas struct {
	// Dir is the on-disk cache root (<Dir>/<version>/<name>.json); "" keeps them in memory only.
	Dir string

	mu    sync.Mutex
	cache map[string]*schemaDefaults
}

// schemaDefaults is one schema with what filling needs of it, worked out once per Kong version
// and schema name rather than once per entity: go-kong's FillEntityDefaults re-encodes and
// flattens the whole schema on every call, which dominated planning for large clusters.
type schemaDefaults struct {
	schema kong.Schema
	// top are the schema's top-level defaults, for the kinds go-kong has no filler for.
	top map[string]any
	// encoded is the schema with each top-level value already JSON-encoded, for plugins: go-kong
	// encodes the schema it is given on every FillPluginsDefaults call, and encoding these
	// gives the very same bytes at the cost of copying them.
	encoded kong.Schema

	once sync.Once
	// template is an empty entity (*kong.Service, …) that go-kong filled with the defaults;
	// err is why it could not.
	template any
	err      error
}

// deepCopier is a go-kong entity type with its generated DeepCopy.
type deepCopier[T any] interface {
	*T
	DeepCopy() *T
}

// fillEntity fills e as kong.FillEntityDefaults(e, d.schema) does, from a template go-kong
// filled once: FillEntityDefaults merges a fresh defaults-only entity into e, and a deep copy
// of the template is that entity, so the outcome is the same with the schema work done once.
func fillEntity[T any, P deepCopier[T]](d *schemaDefaults, e P) error {
	d.once.Do(func() {
		t := P(new(T))
		d.err = kong.FillEntityDefaults(t, d.schema)
		d.template = t
	})
	if d.err != nil {
		return d.err
	}
	return mergo.Merge(e, d.template.(P).DeepCopy(), mergo.WithTransformers(keepSetScalars{}))
}

// keepSetScalars makes the merge keep a *bool or *int the entity sets even to false or 0, as
// FillEntityDefaults does; without it mergo would replace such a zero value by the default.
type keepSetScalars struct{}

// Transformer leaves a set *bool or *int alone and every other type to mergo.
func (keepSetScalars) Transformer(t reflect.Type) func(dst, src reflect.Value) error {
	if t == reflect.TypeFor[*bool]() || t == reflect.TypeFor[*int]() {
		return func(reflect.Value, reflect.Value) error { return nil }
	}
	return nil
}

// DefaultSchemaDir is the user's cache directory for schemas, or "" when there is none.
func DefaultSchemaDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "kongdb", "schemas")
}

// get returns the schema at /schemas/<name> ("services", "plugins/key-auth") for version. A
// schema Kong does not have (an unknown plugin) is nil without error: the write will fail with
// Kong's own message, which names the plugin.
func (s *Schemas) get(ctx context.Context, c *kong.Client, version, name string) (kong.Schema, error) {
	d, err := s.defaults(ctx, c, version, name)
	if err != nil {
		return nil, err
	}
	return d.schema, nil
}

// Schema returns the /schemas/<name> body for version ("services", "vaults/hcv"), from the
// cache when it is there; nil without error when Kong answers 404 (an entity or vault the node
// does not have), which pkg/preflight reports.
func (s *Schemas) Schema(ctx context.Context, c *kong.Client, version, name string) (map[string]any, error) {
	sc, err := s.get(ctx, c, version, name)
	if err != nil || sc == nil {
		return nil, err
	}
	return sc, nil
}

// defaults returns the schema at /schemas/<name> for version with its defaults, from the
// cache when it is there.
func (s *Schemas) defaults(ctx context.Context, c *kong.Client, version, name string) (*schemaDefaults, error) {
	key := version + "/" + name
	s.mu.Lock()
	if d, ok := s.cache[key]; ok {
		s.mu.Unlock()
		return d, nil
	}
	s.mu.Unlock()
	file := ""
	if s.Dir != "" && version != "" {
		file = filepath.Join(s.Dir, filepath.FromSlash(version), strings.ReplaceAll(name, "/", "_")+".json")
		if raw, err := os.ReadFile(file); err == nil {
			var sc kong.Schema
			if json.Unmarshal(raw, &sc) == nil {
				return s.put(key, sc), nil
			}
		}
	}
	var sc kong.Schema
	err := Do(ctx, c, http.MethodGet, "/schemas/"+name, nil, nil, &sc)
	switch {
	case IsStatus(err, http.StatusNotFound):
		sc = nil
	case err != nil:
		return nil, fmt.Errorf("read schema %s: %w", name, err)
	case file != "":
		// A cache that cannot be written only costs requests next time.
		if raw, err := json.Marshal(sc); err == nil && os.MkdirAll(filepath.Dir(file), 0o755) == nil {
			_ = os.WriteFile(file, raw, 0o644)
		}
	}
	return s.put(key, sc), nil
}

// put caches sc under key and returns its defaults; a concurrent fetch of the same key keeps
// the first one cached, so every caller shares one template.
func (s *Schemas) put(key string, sc kong.Schema) *schemaDefaults {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.cache[key]; ok {
		return d
	}
	if s.cache == nil {
		s.cache = map[string]*schemaDefaults{}
	}
	d := &schemaDefaults{schema: sc, top: topDefaults(sc), encoded: encodeValues(sc)}
	s.cache[key] = d
	return d
}

// FillDefaults fills every field desired leaves unset with the default Kong's schema declares
// for it (go-kong's FillEntityDefaults for services, routes, upstreams and targets;
// FillPluginsDefaults for plugin config, protocols and enabled), so that what Kong fills in on
// write compares equal on the next read and never causes an update loop. The defaults a
// subschema redeclares come first (a gRPC route's strip_path: subschemaDefaults), and an
// upstream's algorithm and hash_on are then rewritten as Kong rewrites them
// (upstreamAsStored); subschemas.go lists Kong 3.9's conditional defaults. desired is
// modified.
func (s *Schemas) FillDefaults(ctx context.Context, c *kong.Client, version string, desired *kongstate.State) error {
	schema := func(name string) (*schemaDefaults, error) {
		d, err := s.defaults(ctx, c, version, name)
		if err != nil || d.schema == nil {
			return nil, err
		}
		return d, nil
	}
	entity := func(kind string, e any) error {
		d, err := schema(kind)
		if err != nil || d == nil {
			return err
		}
		switch e := e.(type) {
		case *kong.Service:
			err = fillEntity(d, e)
		case *kong.Route:
			err = fillEntity(d, e)
		case *kong.Upstream:
			err = fillEntity(d, e)
		case *kong.Target:
			err = fillEntity(d, e)
		default:
			err = fmt.Errorf("unsupported entity %T", e)
		}
		if err != nil {
			return fmt.Errorf("fill %s defaults: %w", kind, err)
		}
		return nil
	}
	plugin := func(p *kong.Plugin) error {
		d, err := schema("plugins/" + *p.Name)
		if err != nil || d == nil {
			return err
		}
		if err := kong.FillPluginsDefaults(p, d.encoded); err != nil {
			return fmt.Errorf("fill defaults of plugin %s: %w", *p.Name, err)
		}
		return nil
	}
	top := func(name string) (map[string]any, error) {
		d, err := schema(name)
		if d == nil {
			return nil, err
		}
		return d.top, nil
	}
	return fillers{entity: entity, plugin: plugin, top: top}.walk(desired)
}

// fillers fill one entity each; walk hands them every entity of a state. The test's oracle
// walks with go-kong's per-entity functions instead.
type fillers struct {
	// entity fills a service, route, upstream or target with the defaults of schema kind.
	entity func(kind string, e any) error
	// plugin fills a named plugin's config, protocols and enabled.
	plugin func(*kong.Plugin) error
	// top returns the top-level defaults of schema name, for the kinds go-kong has no filler for.
	top func(name string) (map[string]any, error)
}

func (f fillers) walk(desired *kongstate.State) error {
	plugins := func(ps []*kong.Plugin) error {
		for _, p := range ps {
			if p.Name == nil {
				continue
			}
			if err := f.plugin(p); err != nil {
				return err
			}
		}
		return nil
	}
	for _, svc := range desired.Services {
		if err := f.entity("services", &svc.Service); err != nil {
			return err
		}
		if err := plugins(svc.Plugins); err != nil {
			return err
		}
		for _, r := range svc.Routes {
			subschemaDefaults(&r.Route)
			if err := f.entity("routes", &r.Route); err != nil {
				return err
			}
			if err := plugins(r.Plugins); err != nil {
				return err
			}
		}
	}
	for _, u := range desired.Upstreams {
		if err := f.entity("upstreams", &u.Upstream); err != nil {
			return err
		}
		upstreamAsStored(&u.Upstream)
		for _, t := range u.Targets {
			if err := f.entity("targets", t); err != nil {
				return err
			}
		}
	}
	if err := plugins(desired.Plugins); err != nil {
		return err
	}
	// Kinds go-kong has no filler for get their top-level schema defaults (an oauth2
	// credential's client_type, a jwt's algorithm) the same way.
	top := f.top
	var errs []error
	fillAll(desired.CACertificates, top, "ca_certificates", &errs)
	for _, c := range desired.Certificates {
		fillTop(&c.Certificate, top, "certificates", &errs)
	}
	fillAll(desired.Vaults, top, "vaults", &errs)
	for _, con := range desired.Consumers {
		if err := plugins(con.Plugins); err != nil {
			return err
		}
		fillTop(&con.Consumer, top, "consumers", &errs)
		fillAll(con.KeyAuths, top, "keyauth_credentials", &errs)
		fillAll(con.BasicAuths, top, "basicauth_credentials", &errs)
		fillAll(con.HMACAuths, top, "hmacauth_credentials", &errs)
		fillAll(con.JWTAuths, top, "jwt_secrets", &errs)
		fillAll(con.ACLGroups, top, "acls", &errs)
		fillAll(con.Oauth2Creds, top, "oauth2_credentials", &errs)
	}
	return errors.Join(errs...)
}

// encodeValues returns sc with every value JSON-encoded, or sc itself when one does not encode.
func encodeValues(sc kong.Schema) kong.Schema {
	if sc == nil {
		return nil
	}
	out := make(kong.Schema, len(sc))
	for k, v := range sc {
		raw, err := json.Marshal(v)
		if err != nil {
			return sc
		}
		out[k] = json.RawMessage(raw)
	}
	return out
}

func fillAll[T any](es []*T, top func(string) (map[string]any, error), name string, errs *[]error) {
	for _, e := range es {
		fillTop(e, top, name, errs)
	}
}

// fillTop sets every top-level field of e that is unset to its schema default, through JSON,
// so one function serves every go-kong type.
func fillTop[T any](e *T, top func(string) (map[string]any, error), name string, errs *[]error) {
	defaults, err := top(name)
	if err != nil {
		*errs = append(*errs, err)
		return
	}
	if len(defaults) == 0 {
		return
	}
	raw, err := json.Marshal(e)
	var m map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &m)
	}
	if err != nil {
		*errs = append(*errs, fmt.Errorf("fill %s defaults: %w", name, err))
		return
	}
	changed := false
	for k, v := range defaults {
		if m[k] == nil {
			m[k], changed = v, true
		}
	}
	if !changed {
		return
	}
	if raw, err = json.Marshal(m); err == nil {
		var filled T
		if err = json.Unmarshal(raw, &filled); err == nil {
			*e = filled
		}
	}
	if err != nil {
		*errs = append(*errs, fmt.Errorf("fill %s defaults: %w", name, err))
	}
}

// topDefaults are the non-null defaults of a schema's top-level scalar and array fields.
func topDefaults(sc kong.Schema) map[string]any {
	fields, _ := sc["fields"].([]any)
	out := map[string]any{}
	for _, f := range fields {
		m, _ := f.(map[string]any)
		for name, def := range m {
			d, _ := def.(map[string]any)
			v, ok := d["default"]
			if !ok || v == nil || d["type"] == "record" || d["type"] == "foreign" {
				continue
			}
			out[name] = v
		}
	}
	return out
}
