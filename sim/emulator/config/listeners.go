package config

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Listener is one parsed entry of a *_listen setting.
type Listener struct {
	IP            string // as written; IPv6 in brackets
	Port          int
	SSL           bool
	HTTP2         bool
	ProxyProtocol bool
	// Flags are every flag present, including reuseport, backlog=N, ...
	Flags []string
	// Listener is Kong's normalised form: "ip:port [flags]".
	Listener string
}

// Addr is the host:port to listen on with net.Listen.
func (l Listener) Addr() string {
	return net.JoinHostPort(strings.Trim(l.IP, "[]"), strconv.Itoa(l.Port))
}

// JSON renders the listener as Kong lists it under "admin_listeners".
func (l Listener) JSON() map[string]any {
	return map[string]any{
		"ip": l.IP, "port": l.Port, "ssl": l.SSL, "http2": l.HTTP2,
		"proxy_protocol": l.ProxyProtocol, "listener": l.Listener,
	}
}

var httpFlags = []string{"ssl", "http2", "proxy_protocol", "deferred", "bind", "reuseport",
	"backlog=%d+", "ipv6only=on", "ipv6only=off", "so_keepalive=on",
	"so_keepalive=off", "so_keepalive=%w*:%w*:%d*"}

var flagPatterns = func() map[string]*regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	for _, f := range httpFlags {
		p := strings.NewReplacer("%d", `\d`, "%w", `\w`).Replace(f)
		m[f] = regexp.MustCompile(`^` + p + `$`)
	}
	return m
}()

var hostPort = regexp.MustCompile(`^(.+):(\d+)$`)

// ParseListeners parses listen entries ("0.0.0.0:8000 reuseport backlog=16384",
// "[::1]:8001 ssl http2", or "off") with Kong's grammar and usage message.
func ParseListeners(entries []string, flags []string) ([]Listener, error) {
	usage := errors.New("must be of form: [off] | <ip>:<port> [" + strings.Join(flags, "] [") + "], [... next entry ...]")
	if len(entries) == 0 {
		return nil, usage
	}
	if strings.TrimSpace(entries[0]) == "off" {
		return []Listener{}, nil
	}
	var out []Listener
	for _, entry := range entries {
		words := strings.Fields(entry)
		if len(words) == 0 {
			return nil, usage
		}
		l := Listener{}
		for _, w := range words[1:] {
			matched := false
			for _, f := range flags {
				if flagPatterns[f] != nil && flagPatterns[f].MatchString(w) {
					matched = true
					break
				}
			}
			if !matched {
				return nil, usage
			}
			switch w {
			case "ssl":
				l.SSL = true
			case "http2":
				l.HTTP2 = true
			case "proxy_protocol":
				l.ProxyProtocol = true
			}
			l.Flags = append(l.Flags, w)
		}
		m := hostPort.FindStringSubmatch(words[0])
		if m == nil {
			return nil, usage
		}
		port, err := strconv.Atoi(m[2])
		if err != nil || port > 65535 {
			return nil, usage
		}
		l.IP, l.Port = m[1], port
		if ip := net.ParseIP(strings.Trim(l.IP, "[]")); ip != nil && ip.To4() == nil {
			l.IP = "[" + ip.String() + "]"
		}
		l.Listener = fmt.Sprintf("%s:%d", l.IP, l.Port)
		if clean := withoutHTTP2(l.Flags); len(clean) > 0 {
			l.Listener += " " + strings.Join(clean, " ")
		}
		out = append(out, l)
	}
	return out, nil
}

func withoutHTTP2(flags []string) []string {
	var out []string
	for _, f := range flags {
		if f != "http2" {
			out = append(out, f)
		}
	}
	return out
}

// ParseSize parses nginx sizes ("10m", "512k", "0").
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1024, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1024*1024, strings.TrimSuffix(s, "m")
	case strings.HasSuffix(s, "g"):
		mult, s = 1024*1024*1024, strings.TrimSuffix(s, "g")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("is not a valid size: '%s'", s)
	}
	return n * mult, nil
}
