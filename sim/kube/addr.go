package kube

import (
	"fmt"
	"os/exec"
	"strings"
)

// Addresses in Kubernetes must not be loopback ones: the API server refuses
// 127.0.0.0/8 in EndpointSlices and Endpoints (ValidateEndpointIP), so Pods and
// the Kong members Kubernetes points at cannot use the local runtime's 127.77.x.y
// addresses. The local runtime adds addresses of the benchmarking range
// 198.18.0.0/15 (RFC 2544; never routed) to the loopback interface instead, each
// cluster its own /24 pair: Pods at 198.18.<subnet>.<n>, the Kong members and
// the node at 198.19.<subnet>.<slot>. They are local to this machine as
// 127.0.0.0/8 is, and carry the labels lo:kdb<subnet> and lo:kdbp<subnet>, so `sim down`
// removes them all. Adding an address needs CAP_NET_ADMIN (root); without it the local runtime
// cannot hold a Kubernetes and says so.

// PodAddr is the address of Pod slot n (2..254) of the cluster on subnet.
func PodAddr(subnet, n int) string { return fmt.Sprintf("198.18.%d.%d", subnet, n) }

// MemberAddr is the Kubernetes-facing address of the member in slot of the
// cluster on subnet (the slots of the local runtime's 127.77.<subnet>.<slot>).
func MemberAddr(subnet, slot int) string { return fmt.Sprintf("198.19.%d.%d", subnet, slot) }

// AddrLabel is the label of a cluster's member addresses on the loopback
// interface; PodAddrLabel that of its Pods' addresses (the node agent flushes
// those when it starts: it adopts no Pod an earlier agent ran).
func AddrLabel(subnet int) string { return fmt.Sprintf("lo:kdb%d", subnet) }

// PodAddrLabel is the label of a cluster's Pod addresses.
func PodAddrLabel(subnet int) string { return fmt.Sprintf("lo:kdbp%d", subnet) }

// AddLoopback adds ip/32 to the loopback interface with label; an address
// already there is fine.
func AddLoopback(ip, label string) error {
	out, err := exec.Command("ip", "addr", "add", ip+"/32", "dev", "lo", "label", label).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "File exists") {
		return fmt.Errorf("add address %s to the loopback interface (needs root, CAP_NET_ADMIN; or use the docker runtime): %v: %s",
			ip, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// DelLoopback removes ip/32 from the loopback interface.
func DelLoopback(ip string) {
	_ = exec.Command("ip", "addr", "del", ip+"/32", "dev", "lo").Run()
}

// FlushLoopback removes every address with label from the loopback interface.
func FlushLoopback(label string) error {
	out, err := exec.Command("ip", "addr", "flush", "dev", "lo", "label", label).CombinedOutput()
	if err != nil {
		return fmt.Errorf("remove the addresses %s from the loopback interface: %v: %s", label, err, strings.TrimSpace(string(out)))
	}
	return nil
}
