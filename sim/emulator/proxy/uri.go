package proxy

import (
	"strings"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// normalizePath is the request path the router matches (router/utils.lua
// strip_uri_args → kong/tools/uri.lua normalize(uri, true)).
func normalizePath(uri string) string { return schema.NormalizeURI(uri, true) }

// escapeURI is kong/tools/uri.lua escape: every byte outside
// A-Za-z0-9 and !#$&'()*+,/:;=?@[]-_.~% is percent-encoded, so bytes the
// normalization decoded are sent upstream encoded again.
func escapeURI(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !uriSafe(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if uriSafe(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func uriSafe(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&'()*+,/:;=?@[]-_.~%", c) >= 0
}

// sanitizePostfix is router/utils.lua sanitize_uri_postfix.
func sanitizePostfix(p string) string {
	switch {
	case p == "." || p == "..":
		return ""
	case strings.HasPrefix(p, "./"):
		return p[2:]
	case strings.HasPrefix(p, "../"):
		return p[3:]
	}
	return p
}

// upstreamPathV0 is router/utils.lua get_upstream_uri_v0, the only path
// rule of the traditional_compatible router.
func upstreamPathV0(strip bool, postfix, req, base string) string {
	if strings.HasSuffix(base, "/") {
		if strip {
			if postfix == "" {
				if base == "/" {
					return "/"
				}
				if strings.HasSuffix(req, "/") {
					return base
				}
				return base[:len(base)-1]
			}
			if postfix[0] == '/' {
				return base[:len(base)-1] + postfix
			}
			return base + postfix
		}
		return base + req[1:]
	}
	if strip {
		if postfix == "" {
			if len(req) > 1 && strings.HasSuffix(req, "/") {
				return base + "/"
			}
			return base
		}
		if postfix[0] == '/' {
			return base + postfix
		}
		return base + "/" + postfix
	}
	if req == "/" {
		return base
	}
	return base + req
}

// upstreamPathV1 is path_handling v1 of Kong's traditional router
// (router/traditional.lua): the upstream path and the postfix are simply
// joined, dropping one slash where both have one.
func upstreamPathV1(strip bool, postfix, req, base string) string {
	if !strip {
		return base + req[1:]
	}
	if strings.HasSuffix(base, "/") && strings.HasPrefix(postfix, "/") {
		return base[:len(base)-1] + postfix
	}
	return base + postfix
}
