package proxy

import (
	"strings"
)

// reserved are the bytes Kong's uri.normalize keeps percent-encoded
// (kong/tools/uri.lua RESERVED_CHARS); every other triplet is decoded.
const reserved = "!*'();:@&=+$,/?%#[]"

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// normalizePath is kong/tools/uri.lua normalize(uri, true): decode every
// non-reserved %XX, upper-case the hex of reserved ones, remove dot segments
// and merge slashes. The router matches against its result.
func normalizePath(uri string) string {
	if uri == "" || uri == "/" {
		return uri
	}
	if strings.IndexByte(uri, '%') >= 0 {
		var b strings.Builder
		for i := 0; i < len(uri); i++ {
			if uri[i] == '%' && i+2 < len(uri) {
				h, ok1 := unhex(uri[i+1])
				l, ok2 := unhex(uri[i+2])
				if ok1 && ok2 {
					c := h<<4 | l
					if strings.IndexByte(reserved, c) < 0 {
						b.WriteByte(c)
					} else {
						b.WriteByte('%')
						b.WriteString(strings.ToUpper(uri[i+1 : i+3]))
					}
					i += 2
					continue
				}
			}
			b.WriteByte(uri[i])
		}
		uri = b.String()
	}
	if !strings.Contains(uri, ".") && !strings.Contains(uri, "//") {
		return uri
	}
	var out []string
	for len(uri) > 0 {
		switch {
		case uri == "/.":
			uri = "/"
		case uri == "/..":
			uri = "/"
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case uri == "." || uri == "..":
			uri = ""
		case strings.HasPrefix(uri, "../"):
			uri = uri[3:]
		case strings.HasPrefix(uri, "./"):
			uri = uri[2:]
		case strings.HasPrefix(uri, "/./"):
			uri = uri[2:]
		case strings.HasPrefix(uri, "/../"):
			uri = uri[3:]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case strings.HasPrefix(uri, "//"):
			uri = uri[1:]
		default:
			i := strings.IndexByte(uri[1:], '/')
			if i >= 0 {
				out = append(out, uri[:i+1])
				uri = uri[i+1:]
			} else {
				out = append(out, uri)
				uri = ""
			}
		}
	}
	return strings.Join(out, "")
}

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
