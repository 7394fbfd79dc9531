package simkube_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// TestZZSimDownLeavesNoProcessAddressOrState runs last: Go runs the tests of
// a package's files in the files' order by name, and this file sorts last.
func TestZZSimDownLeavesNoProcessAddressOrState(t *testing.T) {
	cl, _ := cluster(t)
	st, err := sim.LoadState(cl.Name)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, p := range st.Processes {
		pids = append(pids, p.PID)
	}
	podPIDs, _ := filepath.Glob(filepath.Join(st.Dir, "kube", "pods", "*", "*.pid"))
	for _, f := range podPIDs {
		raw, _ := os.ReadFile(f)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
			pids = append(pids, pid)
		}
	}
	if _, errOut, code := kongdb(t, "sim", "--runtime", "local", "down", cl.Name); code != 0 {
		t.Fatalf("sim down: exit %d: %s", code, errOut)
	}
	shared.down = true
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			if stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); err == nil && !strings.Contains(string(stat), ") Z") {
				t.Errorf("process %d still runs after down", pid)
			}
		}
	}
	lb := cl.Kube.Server
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if strings.HasPrefix(a.String(), "198.18.") || strings.HasPrefix(a.String(), "198.19.") {
				if ip, _, _ := net.ParseCIDR(a.String()); ip != nil && strings.Split(ip.String(), ".")[2] == subnetOf(lb) {
					t.Errorf("address %s left on the loopback interface", a)
				}
			}
		}
	}
	if _, err := sim.LoadState(cl.Name); !errors.Is(err, sim.ErrNotFound) {
		t.Errorf("state left behind: %v", err)
	}
}

// subnetOf is the third octet of the API server's address, the cluster's subnet.
func subnetOf(server string) string {
	host := strings.TrimPrefix(server, "https://")
	host, _, _ = net.SplitHostPort(host)
	parts := strings.Split(host, ".")
	if len(parts) != 4 {
		return ""
	}
	return parts[2]
}
