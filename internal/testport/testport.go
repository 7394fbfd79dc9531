// Package testport picks loopback ports for the listeners of programs tests start (emulator
// nodes, PostgreSQL servers), which must be named before the program binds them.
//
// A port from the kernel's ephemeral range is a poor choice: between the check and the
// program's bind, any outgoing connection on the machine may take it as its source port, and
// Docker publishes containers' ports there too. Under concurrent test binaries that race was
// seen ("bind: address already in use"). So Pick draws from below the ephemeral range, at
// random, and keeps a port only if it can be listened on right now.
package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// low and high bound the ports Pick draws from when the ephemeral range starts above them.
const low, high = 20000, 32768

// Pick returns a 127.0.0.1 port nobody listens on right now, outside the ephemeral range.
func Pick() (int, error) {
	lo, hi := low, min(high, ephemeralStart())
	if hi-lo < 1000 { // an unusual ephemeral range: let the kernel choose
		return kernelPort()
	}
	for range 100 {
		p := lo + rand.IntN(hi-lo)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		_ = l.Close()
		return p, nil
	}
	return kernelPort()
}

// ephemeralStart is the first port of the kernel's ephemeral range (Linux), or high.
func ephemeralStart() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return high
	}
	f := strings.Fields(string(raw))
	if len(f) != 2 {
		return high
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return high
	}
	return n
}

func kernelPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
