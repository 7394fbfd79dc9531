package schema

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Go ports of the validators in kong/db/schema/typedefs.lua and
// kong/tools/ip.lua; they return Kong's message, or "" when valid.

type ipParts struct {
	typ  string // "ipv4", "ipv6", "name"
	host string
	port int // -1 when absent
}

func hostnameType(name string) string {
	if strings.Count(name, ":") > 1 {
		return "ipv6"
	}
	if ipv4CharsRE.MatchString(strings.ReplaceAll(name, ":", "")) {
		return "ipv4"
	}
	return "name"
}

var (
	ipv4PortRE  = regexp.MustCompile(`^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d+)$`)
	ipv4RE      = regexp.MustCompile(`^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$`)
	hexGroupRE  = regexp.MustCompile(`^[0-9A-Fa-f]{1,4}$`)
	hostChars   = regexp.MustCompile(`^[0-9A-Za-z\-._]+$`)
	portSuffix  = regexp.MustCompile(`:(\d+)$`)
	ipv4CharsRE = regexp.MustCompile(`^[0-9.]+$`)
	digitsRE    = regexp.MustCompile(`^\d*$`)
)

func parsePort(s string) (int, string) {
	p, err := strconv.Atoi(s)
	if err != nil || p > 65535 {
		return 0, "invalid port number"
	}
	return p, ""
}

// normalizeIP is kong.tools.ip.normalize_ip.
func normalizeIP(addr string) (ipParts, string) {
	switch hostnameType(addr) {
	case "ipv4":
		m := ipv4RE.FindStringSubmatch(addr)
		port := -1
		if strings.Contains(addr, ":") {
			m = ipv4PortRE.FindStringSubmatch(addr)
		}
		if m == nil {
			return ipParts{}, "invalid ipv4 address: " + addr
		}
		var oct [4]int
		for i := 0; i < 4; i++ {
			oct[i], _ = strconv.Atoi(m[i+1])
			if oct[i] > 255 {
				return ipParts{}, "invalid ipv4 address: " + addr
			}
		}
		if len(m) == 6 {
			p, err := parsePort(m[5])
			if err != "" {
				return ipParts{}, err
			}
			port = p
		}
		return ipParts{"ipv4", fmt.Sprintf("%d.%d.%d.%d", oct[0], oct[1], oct[2], oct[3]), port}, ""
	case "ipv6":
		check, port := addr, -1
		if strings.HasPrefix(addr, "[") {
			end := strings.Index(addr, "]")
			if end < 0 {
				return ipParts{}, "invalid ipv6 address: " + addr
			}
			check = addr[1:end]
			rest := addr[end+1:]
			if rest != "" {
				if !strings.HasPrefix(rest, ":") || !digitsRE.MatchString(rest[1:]) || rest == ":" {
					return ipParts{}, "invalid ipv6 address"
				}
				p, err := parsePort(rest[1:])
				if err != "" {
					return ipParts{}, err
				}
				port = p
			}
		}
		if strings.HasPrefix(check, ":") {
			check = "0" + check
		}
		if strings.HasSuffix(check, ":") {
			check += "0"
		}
		if strings.Contains(check, "::") {
			n := strings.Count(check, ":")
			check = strings.Replace(check, "::", ":"+strings.Repeat("0:", max(8-n, 0)), 1)
		}
		groups := strings.Split(check, ":")
		if len(groups) != 8 {
			return ipParts{}, "invalid ipv6 address: " + addr
		}
		for i, g := range groups {
			if !hexGroupRE.MatchString(g) {
				return ipParts{}, "invalid ipv6 address: " + addr
			}
			groups[i] = strings.ToLower(strings.Repeat("0", 4-len(g)) + g)
		}
		return ipParts{"ipv6", strings.Join(groups, ":"), port}, ""
	}
	name, port := addr, -1
	if m := portSuffix.FindStringSubmatch(addr); m != nil {
		name = addr[:len(addr)-len(m[1])-1]
		p, err := parsePort(m[1])
		if err != "" {
			return ipParts{}, err
		}
		port = p
	}
	if !hostChars.MatchString(name) {
		return ipParts{}, "invalid hostname: " + addr
	}
	segs := strings.Split(name, ".")
	for i, s := range segs {
		if strings.HasSuffix(s, "-") || (s == "" && i != len(segs)-1) {
			return ipParts{}, "invalid hostname: " + addr
		}
	}
	return ipParts{"name", name, port}, ""
}

func validateHost(host string) string {
	p, err := normalizeIP(host)
	if err != "" && err != "invalid port number" {
		return "invalid value: " + host
	}
	if err == "invalid port number" || p.port >= 0 {
		return "must not have a port"
	}
	return ""
}

func validateHostOptionalPort(host string) string {
	_, err := normalizeIP(host)
	return err
}

func validateSNI(host string) string {
	p, err := normalizeIP(host)
	if err != "" && err != "invalid port number" {
		return "invalid value: " + host
	}
	if err == "" && p.typ != "name" {
		return "must not be an IP"
	}
	if err == "invalid port number" || p.port >= 0 {
		return "must not have a port"
	}
	return ""
}

func validateWildcardHost(host string) string {
	if idx := strings.Index(host, "*"); idx >= 0 {
		if idx != 0 && idx != len(host)-1 {
			return "wildcard must be leftmost or rightmost character"
		}
		if strings.Count(host, "*") > 1 {
			return "only one wildcard must be specified"
		}
		host = strings.Replace(host, "*", "wildcard", 1)
	}
	return validateSNI(host)
}

var pathCharsRE = regexp.MustCompile(`^/[0-9A-Za-z.\-_~/%:@!$&'()*+,;=]*$`)
var pctRE = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)

func validatePath(path string) (string, string) {
	if !pathCharsRE.MatchString(path) {
		return "invalid path: '" + path + "' (characters outside of the reserved list of RFC 3986 found)", "rfc3986"
	}
	raw := pctRE.ReplaceAllString(path, "___")
	if i := strings.Index(raw, "%"); i >= 0 {
		end := min(i+3, len(raw))
		return "invalid url-encoded value: '" + raw[i:end] + "'", "percent"
	}
	return "", ""
}

func validatePathStr(path string) string { msg, _ := validatePath(path); return msg }

var utf8NameRE = regexp.MustCompile(`^[0-9A-Za-z.\-_~\x{80}-\x{10FFFF}]+$`)

func validateUTF8Name(name string) string {
	if !validUTF8(name) {
		return "invalid utf-8 character sequence detected"
	}
	if !utf8NameRE.MatchString(name) {
		return "invalid value '" + name + "': the only accepted ascii characters are alphanumerics or ., -, _, and ~"
	}
	return ""
}

var tagRE = regexp.MustCompile(`^[ !-+\-.0-~\x{80}-\x{10FFFF}]+$`)

func validateTag(tag string) string {
	if !validUTF8(tag) {
		return "invalid utf-8 character sequence detected"
	}
	if !tagRE.MatchString(tag) {
		return "invalid tag '" + tag + "': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"
	}
	return ""
}

func validateIPOrCIDR(s string) string {
	if net.ParseIP(s) != nil {
		return ""
	}
	if _, _, err := net.ParseCIDR(s); err == nil {
		return ""
	}
	return "invalid ip or cidr range: '" + s + "'"
}

var headerNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-_]+$`)

func validateHeaderName(s string) string {
	if headerNameRE.MatchString(s) {
		return ""
	}
	return "bad header name '" + s + "', allowed characters are A-Z, a-z, 0-9, '_', and '-'"
}

var tokenForbidRE = regexp.MustCompile(`[\x00-\x20\x7f()<>@,;:\\"/?={}\[\]]`)

func validateCookieName(s string) string {
	if !tokenForbidRE.MatchString(s) {
		return ""
	}
	return "contains one or more invalid characters. ASCII control characters (0-31;127), space, tab and the characters ()<>@,;:\\\"/?={}[] are not allowed."
}

func validateURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "could not parse url. " + err.Error()
	}
	if u.Host == "" {
		return "missing host in url"
	}
	if u.Scheme == "" {
		return "missing scheme in url"
	}
	return ""
}

// protocols are Kong's constants.PROTOCOLS.
var protocols = []any{"grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp"}

// Typedefs: templates copied with Named(name, opts...).
var (
	tUUID       = El(String, func(f *Field) { f.UUID = true }, Auto)
	tTimeS      = El(Integer, func(f *Field) { f.Timestamp = true }, Auto)
	tTimeMS     = El(Number, func(f *Field) { f.Timestamp = true }, Auto)
	tUTF8Name   = El(String, Unique, CustomStr(validateUTF8Name))
	tProtocol   = El(String, func(f *Field) { f.OneOf = protocols })
	tHost       = El(String, CustomStr(validateHost))
	tHostPort   = El(String, CustomStr(validateHostOptionalPort))
	tWildHost   = El(String, CustomStr(validateWildcardHost))
	tSNI        = El(String, CustomStr(validateSNI))
	tPort       = El(Integer, Between(0, 65535))
	tTimeout    = El(Integer, Between(0, 2147483646))
	tIPOrCIDR   = El(String, CustomStr(validateIPOrCIDR))
	tHeader     = El(String, CustomStr(validateHeaderName))
	tCookie     = El(String, CustomStr(validateCookieName))
	tURL        = El(String, CustomStr(validateURL))
	tCert       = El(String, CustomStr(validateCertificate))
	tKey        = El(String, CustomStr(validateKey))
	tPath       = El(String, StartsWith("/"), func(f *Field) { f.MatchNone = []PatternErr{{"//", "must not have empty segments"}} }, CustomStr(validatePathStr))
	tTag        = El(String, Required, CustomStr(validateTag))
	tTags       = El(Set, Elements(tTag))
	tNoConsumer = El(Foreign, Ref("consumers"), EqNull)
	tNoRoute    = El(Foreign, Ref("routes"), EqNull)
	tNoService  = El(Foreign, Ref("services"), EqNull)
	tHeaders    = El(Map, KV(tHeader, El(Array, Elements(El(String)))))
	tMethods    = El(Set, Elements(El(String, Match("^%u+$"))))
	// tProtocols is the plugin protocols field: Kong's default lists the
	// protocols of the http subsystem, sorted.
	tProtocols     = El(Set, Required, Def([]any{"grpc", "grpcs", "http", "https"}), Elements(tProtocol))
	tProtocolsHTTP = El(Set, Required, Def([]any{"grpc", "grpcs", "http", "https"}), Elements(El(String, OneOf("grpc", "grpcs", "http", "https"))))
)
