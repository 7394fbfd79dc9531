package schema

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The routes entity's third check under the traditional_compatible and
// expressions router flavors (kong/db/schema/entities/routes.lua): the
// route's matching fields are turned into an ATC expression as
// kong/router/transform.lua does, and the expression is validated as the
// ATC router parses it. An expression built from fields that passed their
// own validators can fail only where Rust's regex parser refuses a regex (a
// header value "~*[a-", a path regex with a look-ahead), so that is what
// validateRoute checks; its message is the ATC router's (a pest error
// wrapping Rust's regex error), prefixed as Kong prefixes it.

const routeExprFailed = "Router Expression failed validation: "

// routeCheck is the custom_entity_check Kong appends to the routes schema.
func routeCheck() *Check {
	return &Check{Kind: "custom_entity_check",
		FieldSources: []string{"id", "protocols", "snis", "sources", "destinations", "methods", "hosts", "paths",
			"headers", "expression", "regex_priority", "priority"},
		RunWithMissing: true,
		Fn:             validateRoute,
	}
}

var routeMatchFields = []string{"snis", "sources", "destinations", "methods", "hosts", "paths", "headers"}

func validateRoute(rec map[string]any) map[string]string {
	fail := func(msg string) map[string]string { return map[string]string{"@entity": routeExprFailed + msg} }
	_, hasExpression := rec["expression"].(string)
	othersEmpty := true
	for _, f := range routeMatchFields {
		if isNonEmpty(rec[f]) {
			othersEmpty = false
		}
	}
	if !hasExpression && othersEmpty {
		return nil
	}
	const others = "'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously"
	if hasExpression && !othersEmpty {
		return fail("cannot set 'expression' with " + others)
	}
	if p, _ := rec["regex_priority"].(float64); hasExpression && p != 0 {
		return fail("cannot set 'regex_priority' with 'expression' simultaneously")
	}
	if p, _ := rec["priority"].(float64); !othersEmpty && p != 0 {
		return fail("cannot set 'priority' with " + others)
	}
	if hasExpression {
		// Parsing a user's expression is the ATC grammar's job, which the
		// emulator does not reimplement: expressions are accepted as written.
		return nil
	}
	expr, regexes := routeExpression(rec)
	for _, r := range regexes {
		if e := rustRegexError(r.pattern); e != nil {
			return fail(pestError(expr, r.start, r.size, e.format(r.pattern)))
		}
	}
	return nil
}

// exprRegex is a regex operand in a generated expression: the pattern and
// the position and width (in characters) of its string literal.
type exprRegex struct {
	pattern     string
	start, size int
}

// exprBuilder accumulates an expression and the regex operands in it.
type exprBuilder struct {
	b       strings.Builder
	regexes []exprRegex
}

// literal writes s as transform.lua's escape_str quotes it; regex operands
// are recorded with their position.
func (x *exprBuilder) literal(s string, regex bool) {
	lit := `r#"` + s + `"#`
	if strings.Contains(s, `"#`) {
		lit = `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
	}
	if regex {
		x.regexes = append(x.regexes, exprRegex{s, utf8.RuneCountInString(x.b.String()), utf8.RuneCountInString(lit)})
	}
	x.b.WriteString(lit)
}

// group writes vals as one parenthesised alternation.
func (x *exprBuilder) group(vals []any, each func(v string)) {
	x.b.WriteString("(")
	for i, v := range vals {
		if i > 0 {
			x.b.WriteString(" || ")
		}
		s, _ := v.(string)
		each(s)
	}
	x.b.WriteString(")")
}

// and separates the route's conditions.
func (x *exprBuilder) and() {
	if x.b.Len() > 0 {
		x.b.WriteString(" && ")
	}
}

// nets writes transform.lua's gen_for_nets for sources or destinations,
// which HTTP routes may set under the expressions flavor: each element's ip
// (a CIDR as "in" its masked IPv4 network) and port, alternated.
func (x *exprBuilder) nets(field string, v any) {
	list, _ := v.([]any)
	if len(list) == 0 {
		return
	}
	x.and()
	x.b.WriteString("(")
	for i, el := range list {
		m, _ := el.(map[string]any)
		var parts []string
		if ip, ok := m["ip"].(string); ok {
			parts = append(parts, field+".ip "+netOperand(ip))
		}
		if port, ok := m["port"].(float64); ok {
			parts = append(parts, field+".port == "+strconv.Itoa(int(port)))
		}
		if i > 0 {
			x.b.WriteString(" || ")
		}
		if len(parts) == 2 {
			x.b.WriteString("(" + parts[0] + " && " + parts[1] + ")")
		} else {
			x.b.WriteString(strings.Join(parts, ""))
		}
	}
	x.b.WriteString(")")
}

// netOperand is "== addr", or "in network/mask" for a CIDR, IPv4 networks
// masked as parse_ip_addr masks them.
func netOperand(ip string) string {
	addr, mask, ok := strings.Cut(ip, "/")
	if !ok {
		return "== " + addr
	}
	if p, err := netip.ParseAddr(addr); err == nil && p.Is4() {
		if bits, err := strconv.Atoi(mask); err == nil {
			if pfx, err := p.Prefix(bits); err == nil {
				addr = pfx.Addr().String()
			}
		}
	}
	return "in " + addr + "/" + mask
}

// wildcardOp is the operator and operand for a host or SNI with a leading
// (postfix match) or trailing (prefix match) wildcard.
func wildcardOp(s string) (string, string) {
	switch {
	case strings.HasPrefix(s, "*"):
		return "=^", s[1:]
	case strings.HasSuffix(s, "*"):
		return "^=", s[:len(s)-1]
	}
	return "==", s
}

// routeExpression is transform.lua's get_expression for an HTTP route
// (stream routes have no regex operand, so nothing of theirs can fail).
// Headers are written in name order where Kong follows Lua's table order.
func routeExpression(rec map[string]any) (string, []exprRegex) {
	var x exprBuilder
	if snis, _ := rec["snis"].([]any); len(snis) > 0 {
		x.b.WriteString(`(net.protocol != r#"https"# || `)
		x.group(snis, func(s string) {
			op, s := wildcardOp(s)
			if op != "^=" && len(s) > 1 && strings.HasSuffix(s, ".") {
				s = s[:len(s)-1]
			}
			x.b.WriteString("tls.sni " + op + " ")
			x.literal(s, false)
		})
		x.b.WriteString(")")
	}
	x.nets("net.src", rec["sources"])
	x.nets("net.dst", rec["destinations"])
	if methods, _ := rec["methods"].([]any); len(methods) > 0 {
		x.and()
		x.group(methods, func(m string) {
			x.b.WriteString("http.method == ")
			x.literal(m, false)
		})
	}
	if hosts, _ := rec["hosts"].([]any); len(hosts) > 0 {
		x.and()
		x.group(hosts, func(h string) {
			host, port := h, -1
			if i := strings.Index(h, ":"); i >= 0 {
				if n, err := strconv.Atoi(h[i+1:]); err == nil {
					host, port = h[:i], n
				}
			}
			op, host := wildcardOp(host)
			if port >= 0 {
				x.b.WriteString("(")
			}
			x.b.WriteString("http.host " + op + " ")
			x.literal(host, false)
			if port >= 0 {
				x.b.WriteString(" && net.dst.port == " + strconv.Itoa(port) + ")")
			}
		})
	}
	if paths, _ := rec["paths"].([]any); len(paths) > 0 {
		x.and()
		x.group(paths, func(p string) {
			if strings.HasPrefix(p, "~") {
				x.b.WriteString("http.path ~ ")
				x.literal("^"+strings.ReplaceAll(p[1:], "?<", "?P<"), true)
				return
			}
			x.b.WriteString("http.path ^= ")
			x.literal(p, false)
		})
	}
	headers, _ := rec["headers"].(map[string]any)
	names := make([]string, 0, len(headers))
	for h := range headers {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		vals, _ := headers[h].([]any)
		field := "any(lower(http.headers." + strings.ReplaceAll(strings.ToLower(h), "-", "_") + "))"
		x.and()
		x.group(vals, func(v string) {
			op, regex := "==", false
			if strings.HasPrefix(v, "~*") {
				op, v, regex = "~", v[2:], true
			}
			x.b.WriteString(field + " " + op + " ")
			x.literal(asciiLower(v), regex)
		})
	}
	return x.b.String(), x.regexes
}

// asciiLower is Lua's string.lower: ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// pestError renders a parse error as the ATC router's parser (pest) does
// for a span on the first line of the input: the location, the line, the
// span underlined, and the message.
func pestError(line string, start, size int, msg string) string {
	under := strings.Repeat(" ", start) + "^"
	if size > 1 {
		under += strings.Repeat("-", size-2) + "^"
	}
	return fmt.Sprintf(" --> 1:%d\n  |\n1 | %s\n  | %s\n  |\n  = %s", start+1, line, under, msg)
}
