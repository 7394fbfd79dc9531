// Package redact strips what must not be shown from text that leaves the process: the user
// information and query strings of URLs, which carry passwords (https://user:pass@host) and
// tokens (a -f URL's ?token=), in reports, the sync marker's record, logs and Events.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// urlPattern finds URLs in free text: a scheme, "://", then anything up to a space, a quote or
// a closing bracket.
var urlPattern = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>()\[\]{}]+`)

// URL returns u without user information, query or fragment; text that does not parse as a URL
// is cut at its "?" and "#", and anything before an "@" in its authority is dropped.
func URL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" && p.Opaque != "" {
		cut := u
		if scheme, rest, ok := strings.Cut(cut, "://"); ok {
			if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
				rest = rest[at+1:]
			}
			cut = scheme + "://" + rest
		}
		if i := strings.IndexAny(cut, "?#"); i >= 0 {
			cut = cut[:i]
		}
		return cut
	}
	p.User, p.RawQuery, p.ForceQuery, p.Fragment, p.RawFragment = nil, "", false, "", ""
	return p.String()
}

// URLs replaces every URL in text by URL of it.
func URLs(text string) string {
	if !strings.Contains(text, "://") {
		return text
	}
	return urlPattern.ReplaceAllStringFunc(text, func(u string) string {
		// A URL at the end of a sentence keeps its full stop, comma or colon outside.
		trail := ""
		for len(u) > 0 && strings.ContainsAny(u[len(u)-1:], ".,:;") {
			trail, u = u[len(u)-1:]+trail, u[:len(u)-1]
		}
		return URL(u) + trail
	})
}

// All applies URLs to each of texts, in place, and returns them.
func All(texts []string) []string {
	for i, t := range texts {
		texts[i] = URLs(t)
	}
	return texts
}
