package schema

import (
	"fmt"
	"regexp"
	"strings"
)

func luaClass(c byte, inSet bool) (string, bool) {
	var body string
	switch c | 0x20 {
	case 'a':
		body = `A-Za-z`
	case 'd':
		body = `0-9`
	case 'l':
		body = `a-z`
	case 'u':
		body = `A-Z`
	case 'w':
		body = `0-9A-Za-z`
	case 's':
		body = `\t\n\v\f\r `
	case 'x':
		body = `0-9A-Fa-f`
	case 'p':
		body = `!-/:-@\[-` + "`" + `{-~`
	case 'c':
		body = `\x00-\x1f\x7f`
	default:
		return "", false
	}
	upper := c >= 'A' && c <= 'Z'
	if inSet {
		if upper {
			// a negated class inside a set cannot be expressed by
			// concatenation; RE2 supports nested negation via \P only for
			// Unicode classes, so keep it simple: these are not used.
			panic(fmt.Sprintf("schema: unsupported negated class %%%c in set", c))
		}
		return body, true
	}
	if upper {
		return "[^" + body + "]", true
	}
	return "[" + body + "]", true
}

// luaToRE2 translates a Lua pattern into an RE2 expression. Kong's match
// validators take Lua patterns, which /schemas serves verbatim; validating
// with their translation keeps what is enforced equal to what is advertised.
// The registry translates every pattern once, when its schema is registered.
func luaToRE2(pat string) string {
	var b strings.Builder
	b.WriteString("(?s)")
	i := 0
	// item tells whether the previous token was a single-character item, the
	// only thing a Lua quantifier can follow; elsewhere "*+-?" are literals.
	item := false
	for i < len(pat) {
		c := pat[i]
		wasItem := item
		item = true
		switch {
		case (c == '*' || c == '+' || c == '-' || c == '?') && !wasItem:
			b.WriteString(regexp.QuoteMeta(string(c)))
			i++
		case c == '^' && i == 0:
			b.WriteByte('^')
			i++
			item = false
		case c == '$' && i == len(pat)-1:
			b.WriteByte('$')
			i++
		case c == '%' && i+1 < len(pat):
			if cls, ok := luaClass(pat[i+1], false); ok {
				b.WriteString(cls)
			} else {
				b.WriteString(regexp.QuoteMeta(string(pat[i+1])))
			}
			i += 2
		case c == '[':
			j := i + 1
			b.WriteByte('[')
			if j < len(pat) && pat[j] == '^' {
				b.WriteByte('^')
				j++
			}
			first := true
			for j < len(pat) && (pat[j] != ']' || first) {
				first = false
				switch {
				case pat[j] == '%' && j+1 < len(pat):
					if cls, ok := luaClass(pat[j+1], true); ok {
						b.WriteString(cls)
					} else {
						b.WriteString(`\` + string(pat[j+1]))
					}
					j += 2
				case pat[j] >= 0x80:
					// Kong's \128-\244 ranges: any non-ASCII character.
					b.WriteString(`\x{80}-\x{10FFFF}`)
					j++
					if j+1 < len(pat) && pat[j] == '-' && pat[j+1] >= 0x80 {
						j += 2
					}
				case pat[j] == '\\' || pat[j] == '[' || pat[j] == ']':
					b.WriteString(`\` + string(pat[j]))
					j++
				default:
					if pat[j] < 0x20 || pat[j] == 0x7f {
						fmt.Fprintf(&b, `\x%02x`, pat[j])
					} else {
						b.WriteByte(pat[j])
					}
					j++
				}
			}
			b.WriteByte(']')
			i = j + 1
		case c == '-':
			b.WriteString("*?")
			i++
			item = false
		case c == '*' || c == '+' || c == '?':
			b.WriteByte(c)
			i++
			item = false
		case c == '(' || c == ')':
			b.WriteByte(c)
			i++
			item = false
		case c == '.':
			b.WriteByte(c)
			i++
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
			i++
		}
	}
	return b.String()
}
