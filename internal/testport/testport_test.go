package testport

import (
	"net"
	"strconv"
	"testing"
)

func TestPickIsFreeAndBelowTheEphemeralRange(t *testing.T) {
	start := ephemeralStart()
	for range 20 {
		p, err := Pick()
		if err != nil {
			t.Fatal(err)
		}
		if start-low >= 1000 && (p < low || p >= start) {
			t.Fatalf("port %d is outside [%d, %d)", p, low, start)
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d cannot be listened on: %v", p, err)
		}
		_ = l.Close()
	}
}
