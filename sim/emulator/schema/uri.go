package schema

import (
	"regexp"
	"strconv"
	"strings"
)

const reservedChars = "!*'();:@&=+$,/?%#[]"

var pctAnyRE = regexp.MustCompile(`(?i)%([0-9A-F]{2})`)

// NormalizeURI is Kong's kong.tools.uri.normalize: decode percent-encoded
// characters that are not reserved, remove dot segments, optionally merge
// slashes. Route paths must already be in this form, and the proxy's router
// matches request paths in it.
func NormalizeURI(uri string, mergeSlashes bool) string {
	if uri == "" || uri == "/" {
		return uri
	}
	if strings.Contains(uri, "%") {
		uri = pctAnyRE.ReplaceAllStringFunc(uri, func(m string) string {
			n, _ := strconv.ParseUint(m[1:], 16, 8)
			if !strings.ContainsRune(reservedChars, rune(n)) {
				return string([]byte{byte(n)})
			}
			return strings.ToUpper(m)
		})
	}
	if !strings.Contains(uri, ".") && (!mergeSlashes || !strings.Contains(uri, "//")) {
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
		case mergeSlashes && strings.HasPrefix(uri, "//"):
			uri = uri[1:]
		default:
			i := strings.Index(uri[1:], "/")
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

// validateRouterPath is Kong's validate_path_with_regexes.
func validateRouterPath(path string) string {
	if msg, code := validatePath(path); code == "percent" {
		return msg
	}
	if !strings.HasPrefix(path, "~") {
		if n := NormalizeURI(path, true); n != path {
			return "non-normalized path, consider use '" + n + "' instead"
		}
		return ""
	}
	re := path[1:]
	if _, err := regexp.Compile(strings.ReplaceAll(re, "(?<", "(?P<")); err != nil {
		return "invalid regex: '" + re + "' (PCRE returned: " + err.Error() + ")"
	}
	return ""
}
