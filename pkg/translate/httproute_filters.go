package translate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kong/go-kong/kong"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// transformer is a request- or response-transformer configuration built from filters (KIC's
// transformerPlugin); several filters of one kind merge into one plugin.
type transformer struct {
	name                       string
	replace, add, apnd, remove []string
	replaceURI                 string
}

func (tr *transformer) merge(o transformer) {
	tr.replace = append(tr.replace, o.replace...)
	tr.add = append(tr.add, o.add...)
	tr.apnd = append(tr.apnd, o.apnd...)
	tr.remove = append(tr.remove, o.remove...)
	if tr.replaceURI == "" {
		tr.replaceURI = o.replaceURI
	}
}

// plugin renders the transformer as Kong configures it: only the non-empty sections.
func (tr transformer) plugin() *kong.Plugin {
	cfg := kong.Configuration{}
	headers := func(hs []string) map[string]any { return map[string]any{"headers": hs} }
	if len(tr.replace) > 0 || tr.replaceURI != "" {
		rep := map[string]any{}
		if len(tr.replace) > 0 {
			rep["headers"] = tr.replace
		}
		if tr.replaceURI != "" {
			rep["uri"] = tr.replaceURI
		}
		cfg["replace"] = rep
	}
	if len(tr.add) > 0 {
		cfg["add"] = headers(tr.add)
	}
	if len(tr.apnd) > 0 {
		cfg["append"] = headers(tr.apnd)
	}
	if len(tr.remove) > 0 {
		cfg["remove"] = headers(tr.remove)
	}
	return &kong.Plugin{Name: kong.String(tr.name), Config: cfg}
}

// header is "name:value" without a space (some browsers do not trim it), or "name" alone.
func header(name, value string) string {
	if value == "" {
		return name
	}
	return name + ":" + value
}

// setFilterPlugins is KIC's setRoutePlugins: the filters become plugins on r (tagged like the
// route), ExtensionRef filters add KongPlugins to r's konghq.com/plugins, and URL rewrites may
// replace r's paths. path is the match path the redirect and prefix rewrite work from.
func (t *translator) setFilterPlugins(r *kongRoute, filters []gatewayv1.HTTPRouteFilter, matchPath string, tags []*string) error {
	if len(filters) == 0 {
		return nil
	}
	var (
		plugins      []*kong.Plugin
		transformers []transformer
		extension    []string
		newPaths     []*string
	)
	redirectPlugin := !versionLess(t.opts.KongVersion, redirectPluginMinKong)
	for _, f := range filters {
		switch f.Type {
		case gatewayv1.HTTPRouteFilterRequestHeaderModifier:
			if f.RequestHeaderModifier == nil {
				return fmt.Errorf("%s is not provided", f.Type)
			}
			transformers = append(transformers, headerTransformer("request-transformer", f.RequestHeaderModifier))
		case gatewayv1.HTTPRouteFilterResponseHeaderModifier:
			if f.ResponseHeaderModifier == nil {
				return fmt.Errorf("%s is not provided", f.Type)
			}
			transformers = append(transformers, headerTransformer("response-transformer", f.ResponseHeaderModifier))
		case gatewayv1.HTTPRouteFilterRequestRedirect:
			if f.RequestRedirect == nil {
				return fmt.Errorf("%s is not provided", f.Type)
			}
			if redirectPlugin {
				ps, trs, err := redirectOnKong39(r, f.RequestRedirect)
				if err != nil {
					return err
				}
				plugins = append(plugins, ps...)
				transformers = append(transformers, trs...)
			} else {
				term, loc := redirectTermination(f.RequestRedirect, matchPath)
				plugins = append(plugins, term)
				transformers = append(transformers, loc)
			}
		case gatewayv1.HTTPRouteFilterExtensionRef:
			ref := f.ExtensionRef
			if ref == nil || ref.Group != "configuration.konghq.com" || ref.Kind != "KongPlugin" {
				if ref == nil {
					return fmt.Errorf("%s is not provided", f.Type)
				}
				return fmt.Errorf("plugin %s/%s unsupported", ref.Group, ref.Kind)
			}
			extension = append(extension, string(ref.Name))
		case gatewayv1.HTTPRouteFilterURLRewrite:
			trs, paths, err := urlRewrite(f.URLRewrite, matchPath)
			if err != nil {
				return err
			}
			transformers = append(transformers, trs...)
			if paths != nil {
				newPaths = paths
			}
		default:
			return fmt.Errorf("httpFilter %s unsupported", f.Type)
		}
	}
	merged := map[string]*transformer{}
	var names []string
	for _, tr := range transformers {
		if have, ok := merged[tr.name]; ok {
			have.merge(tr)
			continue
		}
		c := tr
		merged[tr.name] = &c
		names = append(names, tr.name)
	}
	slices.Sort(names)
	for _, n := range names {
		plugins = append(plugins, merged[n].plugin())
	}
	for _, p := range plugins {
		p.Tags = tags
	}
	r.Plugins = append(r.Plugins, plugins...)
	if newPaths != nil {
		r.Paths = newPaths
	}
	if len(extension) > 0 {
		// KIC appends the names to the route's copy of konghq.com/plugins; the parent here is a
		// copy of the HTTPRoute carrying that value, so plugin attachment sees it.
		parent, ok := r.Parent.(*gatewayv1.HTTPRoute)
		if !ok {
			return fmt.Errorf("ExtensionRef on a route without an HTTPRoute parent")
		}
		cp := parent.DeepCopy()
		anns := cp.GetAnnotations()
		if anns == nil {
			anns = map[string]string{}
		}
		v := strings.Join(extension, ",")
		if have, ok := anns[annPlugins]; ok {
			v = have + "," + v
		}
		anns[annPlugins] = v
		cp.SetAnnotations(anns)
		r.Parent = cp
	}
	return nil
}

// headerTransformer is KIC's generateHeaderModifierKongPlugin: set is replace plus add, add is
// append, remove is remove.
func headerTransformer(name string, m *gatewayv1.HTTPHeaderFilter) transformer {
	tr := transformer{name: name}
	for _, h := range m.Set {
		tr.replace = append(tr.replace, header(string(h.Name), h.Value))
	}
	tr.add = append(tr.add, tr.replace...)
	for _, h := range m.Add {
		tr.apnd = append(tr.apnd, header(string(h.Name), h.Value))
	}
	tr.remove = append(tr.remove, m.Remove...)
	return tr
}

// urlRewrite is KIC's generateRequestTransformerForURLRewrite: a full path replaces the URI, a
// prefix replacement rewrites through a regex capture (and replaces the route's paths), a
// hostname replaces the Host header.
func urlRewrite(f *gatewayv1.HTTPURLRewriteFilter, matchPath string) ([]transformer, []*string, error) {
	if f == nil {
		return nil, nil, fmt.Errorf("%s is not provided", gatewayv1.HTTPRouteFilterURLRewrite)
	}
	if f.Path == nil && f.Hostname == nil {
		return nil, nil, fmt.Errorf("%s missing Path and Hostname", gatewayv1.HTTPRouteFilterURLRewrite)
	}
	var (
		out   []transformer
		paths []*string
	)
	if f.Path != nil {
		switch f.Path.Type {
		case gatewayv1.FullPathHTTPPathModifier:
			if f.Path.ReplaceFullPath == nil {
				return nil, nil, fmt.Errorf("failed to generate request-transformer plugin for Path: "+
					"failed to generate request-transformer plugin for %s: %s missing ReplaceFullPath",
					gatewayv1.HTTPRouteFilterURLRewrite, gatewayv1.HTTPRouteFilterURLRewrite)
			}
			out = append(out, transformer{name: "request-transformer", replaceURI: *f.Path.ReplaceFullPath})
		case gatewayv1.PrefixMatchHTTPPathModifier:
			p := matchPath
			if p == "" || p == "/" {
				p = "/"
			} else {
				p = strings.TrimSuffix(p, "/")
			}
			out = append(out, transformer{name: "request-transformer", replaceURI: prefixReplaceURI(f.Path.ReplacePrefixMatch, p)})
			paths = []*string{kong.String(kongRegexPrefix + p + "$")}
			if p == "/" {
				// Kong paths must start with '/', so the root's capture leaves the slash out.
				paths = append(paths, kong.String(kongRegexPrefix+"/(.*)"))
			} else {
				paths = append(paths, kong.String(kongRegexPrefix+p+"(/.*)"))
			}
		default:
			return nil, nil, fmt.Errorf("failed to generate request-transformer plugin for Path: unsupported path type %s for %s",
				f.Path.Type, gatewayv1.HTTPRouteFilterURLRewrite)
		}
	}
	if f.Hostname != nil {
		h := []string{header("host", string(*f.Hostname))}
		out = append(out, transformer{name: "request-transformer", replace: h, add: h})
	}
	return out, paths, nil
}

// prefixReplaceURI is KIC's replacement URI for a prefix rewrite: the replacement followed by
// what the route's regex captured after the prefix (a Lua template Kong evaluates).
func prefixReplaceURI(replacement *string, p string) string {
	if replacement == nil {
		return "/"
	}
	rep := strings.TrimSuffix(*replacement, "/")
	root := p == "/"
	switch {
	case rep == "" && root:
		return `$(uri_captures[1] == nil and "/" or "/" .. uri_captures[1])`
	case rep == "":
		return `$(uri_captures[1] == nil and "/" or uri_captures[1])`
	case root:
		return rep + `$(uri_captures[1] == nil and "" or "/" .. uri_captures[1])`
	}
	return rep + `$(uri_captures[1])`
}
