package proxy

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
)

// peer is one address a request can be sent to.
type peer struct {
	host string // hostname or IP, as configured (the Host header uses it)
	port int
}

func (p peer) addr() string {
	if strings.Contains(p.host, ":") && !strings.HasPrefix(p.host, "[") {
		return "[" + p.host + "]:" + strconv.Itoa(p.port)
	}
	return p.host + ":" + strconv.Itoa(p.port)
}

// upstream is an upstream entity with its targets as a weighted
// round-robin wheel, as Kong's round-robin balancer builds it: each target
// appears weight/gcd(weights) times, the wheel shuffled once, a pointer
// advancing by one per pick. Targets of weight 0 are left out.
type upstream struct {
	id, name   string
	algorithm  string
	hostHeader string
	wheel      []peer
	next       atomic.Uint64
}

type target struct {
	peer
	weight int
}

func newUpstream(id, name, algorithm, hostHeader string, targets []target) *upstream {
	u := &upstream{id: id, name: name, algorithm: algorithm, hostHeader: hostHeader}
	g := 0
	for _, t := range targets {
		if t.weight > 0 {
			g = gcd(g, t.weight)
		}
	}
	for _, t := range targets {
		if t.weight <= 0 {
			continue
		}
		for range t.weight / g {
			u.wheel = append(u.wheel, t.peer)
		}
	}
	rand.Shuffle(len(u.wheel), func(i, j int) { u.wheel[i], u.wheel[j] = u.wheel[j], u.wheel[i] })
	return u
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// pick returns the next peer, or false when no target has weight.
func (u *upstream) pick() (peer, bool) {
	if len(u.wheel) == 0 {
		return peer{}, false
	}
	n := u.next.Add(1) - 1
	return u.wheel[n%uint64(len(u.wheel))], true
}

// parseTarget reads a target's "host[:port]" (IPv6 in brackets), Kong's
// default port being 8000.
func parseTarget(s string) (peer, bool) {
	host, port := s, 8000
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return peer{}, false
		}
		host = s[1:end]
		if rest := s[end+1:]; rest != "" {
			p, err := strconv.Atoi(strings.TrimPrefix(rest, ":"))
			if err != nil || !strings.HasPrefix(rest, ":") {
				return peer{}, false
			}
			port = p
		}
		return peer{host: host, port: port}, true
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.Count(s, ":") == 1 {
		p, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return peer{}, false
		}
		host, port = s[:i], p
	}
	return peer{host: host, port: port}, host != ""
}
