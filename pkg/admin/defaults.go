package admin

import (
	"context"
	"encoding/json"
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
	for _, con := range desired.Consumers {
		for _, p := range con.Plugins {
			if err := fillPlugin(p); err != nil {
				return err
			}
		}
	}
	return nil
}
