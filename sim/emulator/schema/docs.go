package schema

import (
	"fmt"
	"maps"
	"sort"
)

// fieldDoc is what Kong's Lua declares about a field for readers rather than
// for validation: its description and, for a deprecated field, the message
// of its deprecation record. Both are served on /schemas.
//
// The docs tables key a field by its path in the schema: record fields and
// shorthand fields joined with ".", "[]" for the elements of an array or
// set, "{k}" and "{v}" for a map's keys and values ("config.queue.max_bytes",
// "tags[]", "headers{k}").
type fieldDoc struct {
	desc        string
	deprecation string
}

// docsFor returns the docs of one schema ("routes", "plugins/acl"): its own
// table and the shared tables it mounts.
func docsFor(key string) map[string]fieldDoc {
	own, ok := entityDocs[key]
	if !ok {
		if own, ok = pluginDocsA[key]; !ok {
			own = pluginDocsB[key]
		}
	}
	out := maps.Clone(own)
	for prefix, shared := range docMounts[key] {
		if out == nil {
			out = map[string]fieldDoc{}
		}
		for p, d := range shared {
			out[prefix+p] = d
		}
	}
	return out
}

// withDocs returns a copy of fields carrying the descriptions and
// deprecation messages of docs. It copies every field it walks, because the
// typedefs share element and record fields between schemas whose Lua
// declares different descriptions for them. It returns the doc paths that
// name no field, which are mistakes in the data.
func withDocs(fields []*Field, docs map[string]fieldDoc) ([]*Field, []string) {
	used := map[string]bool{}
	out := docFields(fields, "", docs, used)
	var unused []string
	for p := range docs {
		if !used[p] {
			unused = append(unused, p)
		}
	}
	sort.Strings(unused)
	return out, unused
}

func docFields(fs []*Field, prefix string, docs map[string]fieldDoc, used map[string]bool) []*Field {
	if fs == nil {
		return nil
	}
	out := make([]*Field, len(fs))
	for i, f := range fs {
		out[i] = docField(f, prefix+f.Name, docs, used)
	}
	return out
}

func docField(f *Field, path string, docs map[string]fieldDoc, used map[string]bool) *Field {
	if f == nil {
		return nil
	}
	cp := *f
	if d, ok := docs[path]; ok {
		used[path] = true
		if d.desc != "" {
			cp.Description = d.desc
		}
		if d.deprecation != "" {
			cp.Extra = maps.Clone(cp.Extra)
			dep, _ := cp.Extra["deprecation"].(map[string]any)
			dep = maps.Clone(dep)
			if dep == nil {
				dep = map[string]any{}
			}
			dep["message"] = d.deprecation
			cp.Extra["deprecation"] = dep
		}
	}
	cp.Elements = docField(f.Elements, path+"[]", docs, used)
	cp.Keys = docField(f.Keys, path+"{k}", docs, used)
	cp.Values = docField(f.Values, path+"{v}", docs, used)
	cp.Fields = docFields(f.Fields, path+".", docs, used)
	if f.Shorthands != nil {
		cp.Shorthands = make([]*Shorthand, len(f.Shorthands))
		for i, sh := range f.Shorthands {
			s := *sh
			s.Field = docField(sh.Field, path+"."+sh.Field.Name, docs, used)
			cp.Shorthands[i] = &s
		}
	}
	return &cp
}

// documented attaches the docs of schema key to fields; doc paths that name
// no field are kept in r.unusedDocs, which the tests require to be empty.
func (r *registry) documented(key string, fields []*Field) []*Field {
	out, unused := withDocs(fields, docsFor(key))
	for _, p := range unused {
		r.unusedDocs = append(r.unusedDocs, fmt.Sprintf("%s: %s", key, p))
	}
	return out
}
