package kongstate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"sigs.k8s.io/yaml"
)

// This file writes JSON values as YAML with exactly the bytes sigs.k8s.io/yaml.Marshal (JSON,
// then go.yaml.in/yaml/v2 through a generic tree) gives, one entity at a time, so that a large
// state can be streamed without building the whole document. It covers the forms the state
// is made of (block mappings and sequences, plain and simply quoted scalars, integers); any
// value it is not sure about (multi-line strings, strings that need escapes or could be
// folded at the 80-column line width, fractional numbers) makes it return errNotSimple, and
// the caller renders that one entity with sigs.k8s.io/yaml instead. Correctness thus never
// depends on the fast path covering everything, only on it being right where it answers.

// errNotSimple says that a value needs the general encoder.
var errNotSimple = errors.New("value needs the general YAML encoder")

// yamlLineWidth is go-yaml v2's preferred line width: plain and quoted scalars are folded at
// a space past this column.
const yamlLineWidth = 80

// jvalue is a parsed JSON value. Strings are kept raw when they hold escapes (str is then
// the quoted JSON text and escaped is true), which the fast path never renders.
type jvalue struct {
	kind    byte // '{' object, '[' array, '"' string, '0' number, 't' true, 'f' false, 'n' null
	str     string
	escaped bool
	keys    []string
	elems   []jvalue
}

// parseJSON parses the output of encoding/json, which is always valid, compact JSON.
func parseJSON(data []byte) (jvalue, error) {
	// One string for the whole text: the values' strings are slices of it, not copies.
	p := jsonParser{data: data, text: string(data)}
	v, err := p.value()
	if err == nil && p.pos != len(bytes.TrimRight(data, "\n")) {
		err = fmt.Errorf("trailing data at offset %d", p.pos)
	}
	return v, err
}

type jsonParser struct {
	data []byte
	text string // data as a string
	pos  int
}

func (p *jsonParser) value() (jvalue, error) {
	if p.pos >= len(p.data) {
		return jvalue{}, errors.New("unexpected end of JSON")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		p.pos++
		v := jvalue{kind: '{'}
		if p.data[p.pos] == '}' {
			p.pos++
			return v, nil
		}
		for {
			k, err := p.value()
			if err != nil {
				return v, err
			}
			if k.kind != '"' || k.escaped || p.data[p.pos] != ':' {
				return v, errNotSimple // escaped keys are left to the general encoder
			}
			p.pos++
			e, err := p.value()
			if err != nil {
				return v, err
			}
			v.keys, v.elems = append(v.keys, k.str), append(v.elems, e)
			if p.data[p.pos] == '}' {
				p.pos++
				return v, nil
			}
			p.pos++ // ','
		}
	case c == '[':
		p.pos++
		v := jvalue{kind: '['}
		if p.data[p.pos] == ']' {
			p.pos++
			return v, nil
		}
		for {
			e, err := p.value()
			if err != nil {
				return v, err
			}
			v.elems = append(v.elems, e)
			if p.data[p.pos] == ']' {
				p.pos++
				return v, nil
			}
			p.pos++ // ','
		}
	case c == '"':
		start := p.pos + 1
		escaped := false
		for i := start; i < len(p.data); i++ {
			switch p.data[i] {
			case '\\':
				escaped = true
				i++
			case '"':
				p.pos = i + 1
				if escaped {
					return jvalue{kind: '"', str: p.text[start-1 : i+1], escaped: true}, nil
				}
				return jvalue{kind: '"', str: p.text[start:i]}, nil
			}
		}
		return jvalue{}, errors.New("unterminated JSON string")
	case c == 't' || c == 'n':
		p.pos += len("true")
		return jvalue{kind: c}, nil
	case c == 'f':
		p.pos += len("false")
		return jvalue{kind: c}, nil
	default:
		start := p.pos
		for p.pos < len(p.data) && strings.IndexByte("+-0123456789.eE", p.data[p.pos]) >= 0 {
			p.pos++
		}
		if p.pos == start {
			return jvalue{}, fmt.Errorf("unexpected %q in JSON", c)
		}
		return jvalue{kind: '0', str: p.text[start:p.pos]}, nil
	}
}

// yamlEmitter renders jvalues in go-yaml v2's block layout: two-space indentation, sequences
// under a mapping key not indented, keys in go-yaml's order.
type yamlEmitter struct {
	buf []byte
}

func (e *yamlEmitter) indent(n int) {
	for range n {
		e.buf = append(e.buf, ' ')
	}
}

// mapping writes the entries of an object at column indent; inline says the cursor already
// stands there (after "- ").
func (e *yamlEmitter) mapping(v *jvalue, indent int, inline bool) error {
	order := make([]int, len(v.keys))
	for i := range order {
		order[i] = i
	}
	sortKeys(order, v.keys)
	for n, i := range order {
		if n > 0 || !inline {
			e.indent(indent)
		}
		key, ok := simpleScalar(v.keys[i], indent, true)
		if !ok {
			return errNotSimple
		}
		e.buf = append(e.buf, key...)
		e.buf = append(e.buf, ':')
		if err := e.value(&v.elems[i], indent, indent+len(key)+2, false); err != nil {
			return err
		}
	}
	return nil
}

// sequence writes the elements of an array at column indent.
func (e *yamlEmitter) sequence(v *jvalue, indent int, inline bool) error {
	for n := range v.elems {
		if n > 0 || !inline {
			e.indent(indent)
		}
		e.buf = append(e.buf, '-')
		if err := e.value(&v.elems[n], indent, indent+2, true); err != nil {
			return err
		}
	}
	return nil
}

// value writes what follows a key's colon or an item's dash: " scalar\n", " {}\n", or a
// nested block. col is the column a scalar would start at.
func (e *yamlEmitter) value(v *jvalue, indent, col int, inSequence bool) error {
	switch {
	case v.kind == '{' && len(v.keys) == 0:
		e.buf = append(e.buf, " {}\n"...)
	case v.kind == '[' && len(v.elems) == 0:
		e.buf = append(e.buf, " []\n"...)
	case v.kind == '{' && inSequence:
		e.buf = append(e.buf, ' ')
		return e.mapping(v, indent+2, true)
	case v.kind == '{':
		e.buf = append(e.buf, '\n')
		return e.mapping(v, indent+2, false)
	case v.kind == '[' && inSequence:
		e.buf = append(e.buf, ' ')
		return e.sequence(v, indent+2, true)
	case v.kind == '[':
		e.buf = append(e.buf, '\n')
		return e.sequence(v, indent, false)
	default:
		s, err := scalar(v, col)
		if err != nil {
			return err
		}
		e.buf = append(e.buf, ' ')
		e.buf = append(e.buf, s...)
		e.buf = append(e.buf, '\n')
	}
	return nil
}

// scalar renders a string, number, boolean or null starting at column col.
func scalar(v *jvalue, col int) (string, error) {
	switch v.kind {
	case 't':
		return "true", nil
	case 'f':
		return "false", nil
	case 'n':
		return "null", nil
	case '0':
		return number(v.str)
	}
	if v.escaped {
		return "", errNotSimple
	}
	if s, ok := simpleScalar(v.str, col, false); ok {
		return s, nil
	}
	return "", errNotSimple
}

// numbers caches go-yaml's rendering of JSON numbers that are not plain integers (1.5,
// 1e+21): go-yaml reads them as floats and writes them its own way.
var numbers sync.Map

func number(lit string) (string, error) {
	if isPlainInteger(lit) {
		return lit, nil
	}
	if s, ok := numbers.Load(lit); ok {
		return s.(string), nil
	}
	out, err := yaml.JSONToYAML([]byte(lit))
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(string(out), "\n")
	if strings.ContainsAny(s, "\n ") {
		return "", errNotSimple
	}
	numbers.Store(lit, s)
	return s, nil
}

// isPlainInteger is an integer go-yaml writes back unchanged: no sign quirks (-0), no
// leading zeros, and well inside int64.
func isPlainInteger(lit string) bool {
	digits := strings.TrimPrefix(lit, "-")
	if digits == "" || len(digits) > 18 || (digits[0] == '0' && (len(digits) > 1 || lit[0] == '-')) {
		return false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// simpleScalar renders s as go-yaml v2 writes a string at column col, when that needs no
// escapes, no multi-line style and cannot be folded: plain when s reads back as a string,
// else in double quotes. Keys allow no spaces.
func simpleScalar(s string, col int, key bool) (string, bool) {
	if s == "" {
		return `""`, true
	}
	if len(s) > 100 && key {
		return "", false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '/', c == '.', c == '-':
		case i > 0 && (c == '=' || c == '+' || c == '@'):
		case i > 0 && c == ':' && i+1 < len(s) && s[i+1] != ' ':
		case c == ' ' && !key && i > 0 && i+1 < len(s) && col+len(s) < yamlLineWidth:
		case c == '<' && (i > 0 || len(s) == 1 || s[1] != '<'): // "<<" alone is YAML's merge key
		case c == '>' && i > 0:
		default:
			return "", false
		}
	}
	if s[0] == '.' || s[0] == '-' {
		return "", false // .inf, -1, "---": left to the general encoder
	}
	if !readsAsString(s) {
		return `"` + s + `"`, true
	}
	return s, true
}

// readsAsString reports whether go-yaml v2 reads the plain scalar s back as a string (its
// resolve, plus the base-60 floats it quotes): not a boolean or null word, not an integer,
// float or timestamp. Only called with s made of the characters simpleScalar allows, starting
// with a letter, digit, '_' or '/'.
func readsAsString(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
		"null", "Null", "NULL":
		return false
	}
	if s[0] < '0' || s[0] > '9' {
		return true
	}
	if isTimestamp(s) || base60Float.MatchString(s) {
		return false
	}
	plain := strings.ReplaceAll(s, "_", "")
	if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return false
	}
	if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return false
	}
	if yamlFloat.MatchString(plain) {
		if _, err := strconv.ParseFloat(plain, 64); err == nil {
			return false
		}
	}
	if bin, ok := strings.CutPrefix(plain, "0b"); ok {
		if _, err := strconv.ParseUint(bin, 2, 64); err == nil {
			return false
		}
	}
	return true
}

// The YAML 1.1 float and base-60 float patterns go-yaml v2 resolves and quotes.
var (
	yamlFloat   = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
	base60Float = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)
)

// isTimestamp is go-yaml v2's timestamp test: YYYY- then one of its four layouts.
func isTimestamp(s string) bool {
	if len(s) < 5 || s[4] != '-' || strings.Trim(s[:4], "0123456789") != "" {
		return false
	}
	for _, layout := range []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// sortKeys orders the indices of keys as go-yaml v2 orders mapping keys: by runes, with runs
// of digits compared as numbers and letters before other characters.
func sortKeys(order []int, keys []string) {
	// Insertion sort: mappings here have a few dozen keys at most.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && keyLess(keys[order[j]], keys[order[j-1]]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// keyLess is go-yaml v2's keyList.Less for two string keys.
func keyLess(a, b string) bool {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			continue
		}
		al, bl := unicode.IsLetter(ar[i]), unicode.IsLetter(br[i])
		if al && bl {
			return ar[i] < br[i]
		}
		if al || bl {
			return bl
		}
		var an, bn int64
		if ar[i] == '0' || br[i] == '0' {
			for j := i - 1; j >= 0 && unicode.IsDigit(ar[j]); j-- {
				if ar[j] != '0' {
					an, bn = 1, 1
					break
				}
			}
		}
		ai, bi := i, i
		for ; ai < len(ar) && unicode.IsDigit(ar[ai]); ai++ {
			an = an*10 + int64(ar[ai]-'0')
		}
		for ; bi < len(br) && unicode.IsDigit(br[bi]); bi++ {
			bn = bn*10 + int64(br[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return ar[i] < br[i]
	}
	return len(ar) < len(br)
}

// yamlEntry renders one entry of a top-level mapping, key followed by value given as JSON,
// exactly as sigs.k8s.io/yaml.Marshal renders it inside the whole document.
func yamlEntry(buf []byte, key string, valueJSON []byte) ([]byte, error) {
	e := yamlEmitter{buf: buf}
	if k, ok := simpleScalar(key, 0, true); ok {
		if v, err := parseJSON(valueJSON); err == nil {
			e.buf = append(e.buf, k...)
			e.buf = append(e.buf, ':')
			if err := e.value(&v, 0, len(k)+2, false); err == nil {
				return e.buf, nil
			}
		}
	}
	return generalEntry(buf, key, valueJSON, false)
}

// yamlSequenceItem renders one element of the sequence under a top-level key.
func yamlSequenceItem(buf []byte, key string, elemJSON []byte) ([]byte, error) {
	e := yamlEmitter{buf: buf}
	if v, err := parseJSON(elemJSON); err == nil {
		e.buf = append(e.buf, '-')
		if err := e.value(&v, 0, 2, true); err == nil {
			return e.buf, nil
		}
	}
	return generalEntry(buf, key, elemJSON, true)
}

// generalEntry renders {key: value} (or {key: [value]} for an item) with sigs.k8s.io/yaml and
// keeps the lines that belong to value: the value's rendering there is what it is in the
// whole document, since go-yaml's output for a node depends only on its column.
func generalEntry(buf []byte, key string, valueJSON []byte, item bool) ([]byte, error) {
	k, err := json.Marshal(key)
	if err != nil {
		return buf, err
	}
	doc := append(append(append([]byte("{"), k...), ':'), valueJSON...)
	if item {
		doc = append(append(append(append([]byte("{"), k...), ":["...), valueJSON...), ']')
	}
	doc = append(doc, '}')
	out, err := yaml.JSONToYAML(doc)
	if err != nil {
		return buf, err
	}
	if item {
		// Drop the "key:\n" line; what follows is the item.
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	return append(buf, out...), nil
}
