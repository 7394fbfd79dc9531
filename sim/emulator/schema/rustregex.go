package schema

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// Kong's traditional_compatible and expressions routers compile regexes with
// Rust's regex crate (through the ATC router), whose syntax is close to
// Go's RE2: the same escapes, classes, groups and repetitions, no
// look-around and no backreferences. rustRegexError reports the first error
// Rust's parser (regex-syntax) finds, with its message and the span it
// underlines, in characters. It scans for the errors Rust reports with a
// precise span; a pattern it finds no fault with is also parsed by Go's
// regexp/syntax, whose error is then reported over the whole pattern, in
// Rust's frame but with Go's wording, because the two parsers disagree
// only on rarities (Go's 1000-repetition limit, \Q…\E, \C).
type rustError struct {
	msg         string
	start, size int // in characters
}

// Rust's messages (regex-syntax's ast::ErrorKind Display).
const (
	rustClassUnclosed   = "unclosed character class"
	rustClassRange      = "invalid character class range, the start must be <= the end"
	rustGroupUnclosed   = "unclosed group"
	rustGroupUnopened   = "unopened group"
	rustLookAround      = "look-around, including look-ahead and look-behind, is not supported"
	rustBackreference   = "backreferences are not supported"
	rustEscapeEOF       = "incomplete escape sequence, reached end of pattern prematurely"
	rustEscapeUnknown   = "unrecognized escape sequence"
	rustRepeatMissing   = "repetition operator missing expression"
	rustRepeatUnclosed  = "unclosed counted repetition"
	rustRepeatDecimal   = "repetition quantifier expects a valid decimal"
	rustRepeatInvalid   = "invalid repetition count range, the start must be <= the end"
	rustFlagUnknown     = "unrecognized flag"
	rustFlagUnexpectEOF = "expected flag but got end of regex"
)

// rustEscapes are the letters Rust accepts after a backslash.
const rustEscapes = "aftnrvxuUpPdsDSWwbBAz"

func rustRegexError(pattern string) *rustError {
	p := []rune(pattern)
	var groups []int // positions of open groups
	empty := true    // nothing to repeat yet in the current concatenation
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			if e := rustEscape(p, i); e != nil {
				return e
			}
			i = rustEscapeEnd(p, i)
			empty = false
		case '[':
			end, e := rustClass(p, i)
			if e != nil {
				return e
			}
			i = end
			empty = false
		case '(':
			next, e := rustGroupOpen(p, i)
			if e != nil {
				return e
			}
			if next > i { // a flag group such as (?i) opens nothing
				i = next
				continue
			}
			groups = append(groups, i)
			empty = true
			if i+1 < len(p) && p[i+1] == '?' {
				i = rustSkipGroupPrefix(p, i)
			}
		case ')':
			if len(groups) == 0 {
				return &rustError{rustGroupUnopened, i, 1}
			}
			groups = groups[:len(groups)-1]
			empty = false
		case '|':
			empty = true
		case '*', '+', '?':
			if empty {
				return &rustError{rustRepeatMissing, i, 1}
			}
			if i+1 < len(p) && p[i+1] == '?' {
				i++
			}
		case '{':
			if empty {
				return &rustError{rustRepeatMissing, i, 1}
			}
			end, e := rustCounted(p, i)
			if e != nil {
				return e
			}
			i = end
		default:
			empty = false
		}
	}
	if len(groups) > 0 {
		return &rustError{rustGroupUnclosed, groups[len(groups)-1], 1}
	}
	if _, err := syntax.Parse(pattern, syntax.Perl); err != nil {
		msg := err.Error()
		if se, ok := err.(*syntax.Error); ok {
			msg = se.Code.String()
		}
		return &rustError{msg, 0, max(utf8.RuneCountInString(pattern), 1)}
	}
	return nil
}

// rustEscape checks the escape at p[i] == '\\'.
func rustEscape(p []rune, i int) *rustError {
	if i+1 >= len(p) {
		return &rustError{rustEscapeEOF, i, 1}
	}
	c := p[i+1]
	switch {
	case c >= '0' && c <= '7':
		return &rustError{rustBackreference, i, 2}
	case c == '8' || c == '9' || (c < utf8.RuneSelf && isAlpha(c) && !strings.ContainsRune(rustEscapes, c)):
		return &rustError{rustEscapeUnknown, i, 2}
	}
	return nil
}

// rustEscapeEnd returns the index of the last character of the escape at
// p[i]: \p{Greek}, \x{263a} and \u{…} carry a braced argument.
func rustEscapeEnd(p []rune, i int) int {
	if i+2 < len(p) && strings.ContainsRune("pPxuU", p[i+1]) && p[i+2] == '{' {
		for j := i + 3; j < len(p); j++ {
			if p[j] == '}' {
				return j
			}
		}
		return len(p) - 1
	}
	return i + 1
}

func isAlpha(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// rustClass scans the bracketed class opening at p[i] and returns the
// index of its closing bracket. Rust nests classes ([a[b]]) and reads a
// leading ']' as a literal.
func rustClass(p []rune, i int) (int, *rustError) {
	type open struct{ at, size int }
	var stack []open
	j := i
	push := func() {
		size := 1
		j++
		if j < len(p) && p[j] == '^' {
			size, j = 2, j+1
		}
		stack = append(stack, open{j - size, size})
		if j < len(p) && p[j] == ']' {
			j++
		}
	}
	push()
	prev := rune(-1) // the previous literal, for ranges
	for j < len(p) {
		switch c := p[j]; {
		case c == '[' && j+1 < len(p) && p[j+1] == ':':
			if end := strings.Index(string(p[j:]), ":]"); end > 0 {
				j += utf8.RuneCountInString(string(p[j:])[:end]) + 2
				prev = -1
				continue
			}
			push()
			prev = -1
		case c == '[':
			push()
			prev = -1
		case c == ']':
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return j, nil
			}
			j++
			prev = -1
		case c == '\\':
			if e := rustEscape(p, j); e != nil {
				return 0, e
			}
			prev = -1
			j = rustEscapeEnd(p, j) + 1
		case c == '-' && prev >= 0 && j+1 < len(p) && p[j+1] != ']' && p[j+1] != '[' && p[j+1] != '\\' && p[j+1] != '-':
			if p[j+1] < prev {
				return 0, &rustError{rustClassRange, j - 1, 3}
			}
			prev = -1
			j += 2
		default:
			prev = c
			j++
		}
	}
	top := stack[len(stack)-1]
	return 0, &rustError{rustClassUnclosed, top.at, top.size}
}

// rustGroupOpen checks the group opening at p[i] == '('. A flag group
// without a body, (?i), is consumed whole: it returns the index of its ')'.
func rustGroupOpen(p []rune, i int) (int, *rustError) {
	if i+1 >= len(p) || p[i+1] != '?' {
		return i, nil
	}
	rest := string(p[i:])
	for _, la := range []string{"(?=", "(?!", "(?<=", "(?<!"} {
		if strings.HasPrefix(rest, la) {
			return 0, &rustError{rustLookAround, i, utf8.RuneCountInString(la)}
		}
	}
	if strings.HasPrefix(rest, "(?P<") || strings.HasPrefix(rest, "(?<") {
		return i, nil
	}
	for j := i + 2; j < len(p); j++ {
		switch c := p[j]; {
		case c == ')':
			return j, nil
		case c == ':':
			return i, nil
		case strings.ContainsRune("imsUuxR-", c):
		default:
			return 0, &rustError{rustFlagUnknown, j, 1}
		}
	}
	return 0, &rustError{rustFlagUnexpectEOF, len(p) - 1, 1}
}

// rustSkipGroupPrefix returns the index of the last character of a group's
// "(?:", "(?flags:" or "(?P<name>" prefix.
func rustSkipGroupPrefix(p []rune, i int) int {
	for j := i + 2; j < len(p); j++ {
		if p[j] == ':' || p[j] == '>' {
			return j
		}
	}
	return i
}

// rustCounted scans the counted repetition opening at p[i] == '{' and
// returns the index of its '}'.
func rustCounted(p []rune, i int) (int, *rustError) {
	j := i + 1
	digits := func() (int, bool) {
		n, start := 0, j
		for j < len(p) && p[j] >= '0' && p[j] <= '9' {
			n = n*10 + int(p[j]-'0')
			j++
		}
		return n, j > start
	}
	if j >= len(p) {
		return 0, &rustError{rustRepeatUnclosed, i, len(p) - i}
	}
	lo, ok := digits()
	if !ok {
		if j >= len(p) {
			return 0, &rustError{rustRepeatUnclosed, i, len(p) - i}
		}
		return 0, &rustError{rustRepeatDecimal, j, 1}
	}
	if j < len(p) && p[j] == ',' {
		j++
		if j < len(p) && p[j] != '}' {
			hi, ok := digits()
			if !ok {
				if j >= len(p) {
					return 0, &rustError{rustRepeatUnclosed, i, len(p) - i}
				}
				return 0, &rustError{rustRepeatDecimal, j, 1}
			}
			if j < len(p) && p[j] == '}' && hi < lo {
				return 0, &rustError{rustRepeatInvalid, i, j - i + 1}
			}
		}
	}
	if j >= len(p) || p[j] != '}' {
		return 0, &rustError{rustRepeatUnclosed, i, min(j, len(p)) - i}
	}
	if j+1 < len(p) && p[j+1] == '?' {
		j++
	}
	return j, nil
}

// format renders the error as Rust's regex-syntax does for a one-line
// pattern: the pattern, the span underlined with carets, the message.
func (e *rustError) format(pattern string) string {
	return "regex parse error:\n    " + pattern + "\n    " + strings.Repeat(" ", e.start) +
		strings.Repeat("^", max(e.size, 1)) + "\nerror: " + e.msg
}
