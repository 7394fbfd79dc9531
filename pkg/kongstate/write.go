package kongstate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/kong/go-database-reconciler/pkg/file"
	"github.com/kong/go-kong/kong"
)

// Format is an output format of the state.
type Format string

// Output formats: decK's declarative file, or the plain State as YAML or JSON.
const (
	FormatDeck Format = "deck"
	FormatYAML Format = "yaml"
	FormatJSON Format = "json"
)

// WriteOptions shape what Write prints.
type WriteOptions struct {
	DeckOptions
	// ShowSecrets prints credential secrets, private keys and Secret-sourced plugin config as
	// they are, for output meant to be fed to decK; by default Write prints s.Redacted(), since
	// output ends up in terminals, logs and CI artefacts.
	ShowSecrets bool
}

// Write writes s to w in the given format, with secrets redacted unless opts.ShowSecrets. deck
// is decK's YAML as decK itself writes it (sigs.k8s.io/yaml: JSON field names, sorted keys);
// yaml and json are the State's own shape, for scripts that want entities without decK's
// conventions. The output is streamed entity by entity, with the bytes a whole-document
// encoder would write, so a large state costs no second copy of itself. s is not modified.
func Write(w io.Writer, s *State, format Format, opts WriteOptions) error {
	var doc document
	switch format {
	case FormatDeck:
		doc = deckDocument(s, opts)
	case FormatYAML, FormatJSON:
		doc = stateDocument(s, opts)
	default:
		return fmt.Errorf("unknown output format %q (want deck, yaml or json)", format)
	}
	bw := &errWriter{w: bufio.NewWriterSize(w, 64<<10)}
	var err error
	if format == FormatJSON {
		err = doc.writeJSON(bw)
	} else {
		err = doc.writeYAML(bw)
	}
	if err != nil {
		return fmt.Errorf("encode kong state as %s: %w", format, err)
	}
	if err := bw.flush(); err != nil {
		return fmt.Errorf("write kong state: %w", err)
	}
	return nil
}

// document is a top-level mapping: a few small entries, and lists of entities that are
// converted and encoded one element at a time.
type document struct {
	// null is a nil State, which encoders write as null.
	null    bool
	entries []entry
	lists   []list
}

type entry struct {
	key   string
	value any
}

type list struct {
	key  string
	n    int
	elem func(i int) any
}

// listOf makes the list under key of f applied to each of items.
func listOf[T any](key string, items []T, f func(T) any) list {
	return list{key: key, n: len(items), elem: func(i int) any { return f(items[i]) }}
}

// stateDocument is the State's own shape: its fields in order, with secrets redacted entity
// by entity unless opts.ShowSecrets (then the entities are written as they are, as a
// whole-document encoder would).
func stateDocument(s *State, opts WriteOptions) document {
	if s == nil {
		return document{null: true}
	}
	var (
		pr   = printer{s: s, hide: true}
		show = opts.ShowSecrets
	)
	return document{lists: []list{
		listOf("services", s.Services, func(svc *Service) any { return pick(show, svc, pr.service) }),
		listOf("upstreams", s.Upstreams, func(u *Upstream) any { return u }),
		listOf("certificates", s.Certificates, func(c *Certificate) any { return pick(show, c, pr.certificate) }),
		listOf("ca_certificates", s.CACertificates, func(c *kong.CACertificate) any { return c }),
		listOf("plugins", s.Plugins, func(p *kong.Plugin) any { return pick(show, p, pr.plugin) }),
		listOf("consumers", s.Consumers, func(c *Consumer) any { return pick(show, c, pr.consumer) }),
		listOf("consumer_groups", s.ConsumerGroups, func(g *ConsumerGroup) any { return g }),
		listOf("vaults", s.Vaults, func(v *kong.Vault) any { return pick(show, v, pr.vault) }),
	}}
}

// pick is v as it is when secrets are shown, else its redacted copy.
func pick[T any](show bool, v T, redacted func(T) T) T {
	if show {
		return v
	}
	return redacted(v)
}

// deckDocument is ToDeck's content, converted entity by entity in deckgen's order.
func deckDocument(s *State, opts WriteOptions) document {
	doc := document{entries: []entry{{"_format_version", DeckFormatVersion}}}
	if s == nil {
		return doc // as ToDeck: no _info either
	}
	if info := deckInfo(opts.DeckOptions); info != nil {
		doc.entries = append(doc.entries, entry{"_info", info})
	}
	pr := printer{s: s, hide: !opts.ShowSecrets}
	doc.lists = []list{
		listOf("services", sortedDesc(s.Services, func(svc *Service) string { return deref(svc.Name) }),
			func(svc *Service) any { fs := deckService(pr.service(svc), opts.DeckOptions); return &fs }),
		listOf("plugins", sortedDesc(s.Plugins, pluginString),
			func(p *kong.Plugin) any { return &file.FPlugin{Plugin: *pr.plugin(p)} }),
		listOf("consumer_groups", sortedDesc(s.ConsumerGroups, func(g *ConsumerGroup) string { return deref(g.Name) }),
			func(g *ConsumerGroup) any { return &file.FConsumerGroupObject{ConsumerGroup: g.ConsumerGroup} }),
		listOf("upstreams", sortedDesc(s.Upstreams, func(u *Upstream) string { return deref(u.Name) }),
			func(u *Upstream) any { fu := deckUpstream(u); return &fu }),
		listOf("certificates", sortedDesc(s.Certificates, func(c *Certificate) string { return deref(c.Cert) }),
			func(c *Certificate) any { fc := deckCertificate(pr.certificate(c), opts.SelectTags); return &fc }),
		listOf("ca_certificates", sortedDesc(s.CACertificates, func(c *kong.CACertificate) string { return deref(c.Cert) }),
			func(c *kong.CACertificate) any { return &file.FCACertificate{CACertificate: *c} }),
		listOf("consumers", deckConsumers(s.Consumers),
			func(c *Consumer) any { fc := deckConsumer(pr.consumer(c)); return &fc }),
		listOf("vaults", sortedDesc(s.Vaults, func(v *kong.Vault) string { return deref(v.Prefix) }),
			func(v *kong.Vault) any { return &file.FVault{Vault: *pr.vault(v)} }),
	}
	return doc
}

// writeYAML writes the document as sigs.k8s.io/yaml.Marshal would: keys in go-yaml's order,
// each list element rendered on its own.
func (d document) writeYAML(w *errWriter) error {
	type part struct {
		key   string
		entry *entry
		list  *list
	}
	var parts []part
	for i := range d.entries {
		parts = append(parts, part{key: d.entries[i].key, entry: &d.entries[i]})
	}
	for i := range d.lists {
		if d.lists[i].n > 0 {
			parts = append(parts, part{key: d.lists[i].key, list: &d.lists[i]})
		}
	}
	switch {
	case d.null:
		w.write([]byte("null\n"))
		return w.err
	case len(parts) == 0:
		w.write([]byte("{}\n"))
		return w.err
	}
	slices.SortFunc(parts, func(a, b part) int {
		switch {
		case keyLess(a.key, b.key):
			return -1
		case keyLess(b.key, a.key):
			return 1
		}
		return 0
	})
	var (
		buf  []byte
		elem bytes.Buffer
	)
	// Unescaped, so that values such as <redacted> stay simple scalars for the emitter.
	enc := json.NewEncoder(&elem)
	enc.SetEscapeHTML(false)
	for _, p := range parts {
		if p.entry != nil {
			value, err := json.Marshal(p.entry.value)
			if err != nil {
				return fmt.Errorf("%s: %w", p.key, err)
			}
			if buf, err = yamlEntry(buf[:0], p.key, value); err != nil {
				return fmt.Errorf("%s: %w", p.key, err)
			}
			w.write(buf)
			continue
		}
		w.write([]byte(p.key + ":\n")) // the lists' keys are plain words
		for i := range p.list.n {
			elem.Reset()
			if err := enc.Encode(p.list.elem(i)); err != nil {
				return fmt.Errorf("%s[%d]: %w", p.key, i, err)
			}
			var err error
			if buf, err = yamlSequenceItem(buf[:0], p.key, bytes.TrimSuffix(elem.Bytes(), []byte("\n"))); err != nil {
				return fmt.Errorf("%s[%d]: %w", p.key, i, err)
			}
			w.write(buf)
		}
		if w.err != nil {
			return w.err
		}
	}
	return w.err
}

// writeJSON writes the document as a json.Encoder with two-space indentation and no HTML
// escaping writes it (unescaped, so that <redacted> and expression routes' && read as
// written). Lists come in their order; entries are not used by the State's shape.
func (d document) writeJSON(w *errWriter) error {
	if d.null {
		w.write([]byte("null\n"))
		return w.err
	}
	var elem bytes.Buffer
	enc := json.NewEncoder(&elem)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	w.write([]byte("{"))
	wrote := false
	for _, l := range d.lists {
		if l.n == 0 {
			continue
		}
		if wrote {
			w.write([]byte(","))
		}
		wrote = true
		key, err := json.Marshal(l.key)
		if err != nil {
			return err
		}
		w.write([]byte("\n  "))
		w.write(key)
		w.write([]byte(": ["))
		for i := range l.n {
			elem.Reset()
			if err := enc.Encode(l.elem(i)); err != nil {
				return fmt.Errorf("%s[%d]: %w", l.key, i, err)
			}
			if i > 0 {
				w.write([]byte(","))
			}
			w.write([]byte("\n    "))
			w.write(bytes.TrimSuffix(elem.Bytes(), []byte("\n")))
		}
		w.write([]byte("\n  ]"))
		if w.err != nil {
			return w.err
		}
	}
	if wrote {
		w.write([]byte("\n"))
	}
	w.write([]byte("}\n"))
	return w.err
}

// errWriter keeps the first write error, so that the encoders can write without checking
// each call and stop at the next element.
type errWriter struct {
	w   *bufio.Writer
	err error
}

func (e *errWriter) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *errWriter) flush() error {
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}
