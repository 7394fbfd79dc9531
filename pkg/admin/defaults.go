package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

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
	cache map[string]kong.Schema
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
	key := version + "/" + name
	s.mu.Lock()
	if sc, ok := s.cache[key]; ok {
		s.mu.Unlock()
		return sc, nil
	}
	s.mu.Unlock()
	file := ""
	if s.Dir != "" && version != "" {
		file = filepath.Join(s.Dir, filepath.FromSlash(version), strings.ReplaceAll(name, "/", "_")+".json")
		if raw, err := os.ReadFile(file); err == nil {
			var sc kong.Schema
			if json.Unmarshal(raw, &sc) == nil {
				s.put(key, sc)
				return sc, nil
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
	s.put(key, sc)
	return sc, nil
}

func (s *Schemas) put(key string, sc kong.Schema) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		s.cache = map[string]kong.Schema{}
	}
	s.cache[key] = sc
}

// FillDefaults fills every field desired leaves unset with the default Kong's schema declares
// for it (go-kong's FillEntityDefaults for services, routes, upstreams and targets;
// FillPluginsDefaults for plugin config, protocols and enabled), so that what Kong fills in on
// write compares equal on the next read and never causes an update loop. desired is modified.
func (s *Schemas) FillDefaults(ctx context.Context, c *kong.Client, version string, desired *kongstate.State) error {
	schema := func(name string) (kong.Schema, error) { return s.get(ctx, c, version, name) }
	fill := func(kind string, e any) error {
		sc, err := schema(kind)
		if err != nil || sc == nil {
			return err
		}
		if err := kong.FillEntityDefaults(e, sc); err != nil {
			return fmt.Errorf("fill %s defaults: %w", kind, err)
		}
		return nil
	}
	fillPlugin := func(p *kong.Plugin) error {
		if p.Name == nil {
			return nil
		}
		sc, err := schema("plugins/" + *p.Name)
		if err != nil || sc == nil {
			return err
		}
		if err := kong.FillPluginsDefaults(p, sc); err != nil {
			return fmt.Errorf("fill defaults of plugin %s: %w", *p.Name, err)
		}
		return nil
	}
	for _, svc := range desired.Services {
		if err := fill("services", &svc.Service); err != nil {
			return err
		}
		for _, p := range svc.Plugins {
			if err := fillPlugin(p); err != nil {
				return err
			}
		}
		for _, r := range svc.Routes {
			if err := fill("routes", &r.Route); err != nil {
				return err
			}
			for _, p := range r.Plugins {
				if err := fillPlugin(p); err != nil {
					return err
				}
			}
		}
	}
	for _, u := range desired.Upstreams {
		if err := fill("upstreams", &u.Upstream); err != nil {
			return err
		}
		for _, t := range u.Targets {
			if err := fill("targets", t); err != nil {
				return err
			}
		}
	}
	for _, p := range desired.Plugins {
		if err := fillPlugin(p); err != nil {
			return err
		}
	}
	// Kinds go-kong has no filler for get their top-level schema defaults (an oauth2
	// credential's client_type, a jwt's algorithm) the same way.
	top := func(name string) (map[string]any, error) {
		sc, err := schema(name)
		return topDefaults(sc), err
	}
	var errs []error
	fillAll(desired.CACertificates, top, "ca_certificates", &errs)
	for _, c := range desired.Certificates {
		fillTop(&c.Certificate, top, "certificates", &errs)
	}
	fillAll(desired.Vaults, top, "vaults", &errs)
	for _, con := range desired.Consumers {
		for _, p := range con.Plugins {
			if err := fillPlugin(p); err != nil {
				return err
			}
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
