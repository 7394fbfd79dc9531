//go:build unix

package local

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/kube"
	"github.com/kongdb/kubectl-kongdb/sim/kube/agent"
)

// Slots of the Kubernetes members: etcd on the cluster's 127.77.<subnet>.0/24,
// the API server and the Node on its 198.19.<subnet>.0/24 (see sim/kube/addr.go).
const (
	slotEtcd      = 2
	slotAPIServer = 3
	slotNode      = 5
)

// kubePlan is where the cluster's Kubernetes lives on this machine.
func kubePlan(st *sim.State, subnet int) kube.Plan {
	return kube.Plan{Dir: filepath.Join(st.Dir, "kube"), Cluster: st.Spec.Name, NodeName: st.Spec.Name + "-node",
		EtcdAddr: addr(subnet, slotEtcd), APIServerAddr: kube.MemberAddr(subnet, slotAPIServer)}
}

// subnetOf is the cluster's subnet, read back from PostgreSQL's address.
func subnetOf(st *sim.State) int {
	db := st.Processes["db"]
	if db == nil {
		return 0
	}
	parts := strings.Split(db.Addr, ".")
	if len(parts) != 4 {
		return 0
	}
	n, _ := strconv.Atoi(parts[2])
	return n
}

// kubeAddr is a Kong member's address as Kubernetes sees it.
func kubeAddr(st *sim.State, p *sim.Process) string {
	return kube.MemberAddr(subnetOf(st), slotOf(p.Role, p.Index))
}

// prepareKube checks that the control plane's programs are there and gives
// every Kong member and the Node an address Kubernetes accepts, before any of
// them starts (the members listen on it too).
func (r *Runtime) prepareKube(st *sim.State, subnet int) error {
	if len(r.o.NodeAgent) == 0 {
		return fmt.Errorf("cluster %q: --kubernetes needs the node agent's command", st.Spec.Name)
	}
	if _, err := kube.FindBinaries(); err != nil {
		return fmt.Errorf("cluster %q: %w", st.Spec.Name, err)
	}
	// The API server too: it advertises its address as the endpoint of Service
	// default/kubernetes, and refuses to start with a loopback one.
	ips := []string{kube.MemberAddr(subnet, slotNode), kube.MemberAddr(subnet, slotAPIServer)}
	for _, m := range st.Spec.Members() {
		ips = append(ips, kube.MemberAddr(subnet, slotOf(m.Role, m.Index)))
	}
	for _, ip := range ips {
		if err := kube.AddLoopback(ip, kube.AddrLabel(subnet)); err != nil {
			return fmt.Errorf("cluster %q: %w", st.Spec.Name, err)
		}
	}
	return nil
}

// kubeListen are the extra listeners of a Kong member in a cluster with a
// Kubernetes: its Admin API and proxies on its Kubernetes address, the
// proxies also on the Gateway listener ports the conformance suite uses.
func kubeListen(st *sim.State, p *sim.Process) (admin, proxy string) {
	if !st.Spec.Kubernetes {
		return "", ""
	}
	a := kubeAddr(st, p)
	admin = ", " + hostPort(a, portAdmin)
	proxy = fmt.Sprintf(", %s, %s, %s, %s ssl, %s ssl", hostPort(a, portProxy), hostPort(a, kube.GatewayPorts.HTTP),
		hostPort(a, kube.GatewayPorts.HTTPAlt), hostPort(a, portProxySSL), hostPort(a, kube.GatewayPorts.HTTPS))
	return admin, proxy
}

// upKube starts etcd, kube-apiserver, kube-controller-manager and the node
// agent, each waited for, then lays the Kong cluster out in Kubernetes.
func (r *Runtime) upKube(ctx context.Context, st *sim.State, subnet int, progress func(string)) error {
	plan := kubePlan(st, subnet)
	if err := os.RemoveAll(plan.Dir); err != nil { // an earlier cluster's etcd data
		return err
	}
	if err := plan.Prepare(); err != nil {
		return err
	}
	for _, m := range kube.Members {
		progress("starting " + m)
		st.Processes[m] = &sim.Process{Role: sim.RoleKube, Addr: kubeMemberAddr(subnet, m)}
		if err := r.startMember(ctx, st, m); err != nil {
			return fmt.Errorf("cluster %q: %s: %w", st.Spec.Name, m, err)
		}
	}
	cfg, err := plan.Config()
	if err != nil {
		return err
	}
	progress("laying Kong out in namespace " + kube.KongNamespace)
	return kube.Layout(ctx, cfg, kongEndpoints(st, subnet))
}

// kongEndpoints are the Kong members as Kubernetes lists them, the ones whose
// process is gone marked down.
func kongEndpoints(st *sim.State, subnet int) kube.KongEndpoints {
	eps := kube.KongEndpoints{Down: map[string]bool{}}
	for _, m := range st.Spec.Members() {
		a := kube.MemberAddr(subnet, slotOf(m.Role, m.Index))
		if m.Role != sim.RoleDP {
			eps.Admin = append(eps.Admin, a)
		}
		if m.Role != sim.RoleCP {
			eps.Proxy = append(eps.Proxy, a)
		}
		if p := st.Processes[m.Name]; p == nil || !alive(p.PID) {
			eps.Down[a] = true
		}
	}
	return eps
}

// relayoutKong writes Kong's EndpointSlices again after a fault verb stopped
// or started a Kong member, so Kubernetes lists a stopped member as not
// ready. When the API server is down itself, the error says that the fault
// was made all the same.
func relayoutKong(ctx context.Context, st *sim.State) error {
	subnet := subnetOf(st)
	cfg, err := kubePlan(st, subnet).Config()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return kube.Layout(ctx, cfg, kongEndpoints(st, subnet))
}

func kubeMemberAddr(subnet int, member string) string {
	switch member {
	case kube.Etcd:
		return addr(subnet, slotEtcd)
	case kube.APIServer:
		return kube.MemberAddr(subnet, slotAPIServer)
	case kube.NodeAgent:
		return kube.MemberAddr(subnet, slotNode)
	}
	return ""
}

// startKubeMember starts one Kubernetes member and waits until it serves:
// etcd accepts connections, the API server is ready, the controller manager
// still runs after a second, the node agent has registered a Ready Node.
func (r *Runtime) startKubeMember(ctx context.Context, st *sim.State, member string) error {
	subnet := subnetOf(st)
	plan := kubePlan(st, subnet)
	bins, err := kube.FindBinaries()
	if err != nil {
		return err
	}
	var argv []string
	switch member {
	case kube.Etcd:
		argv = plan.EtcdArgs(bins)
	case kube.APIServer:
		argv = plan.APIServerArgs(bins)
	case kube.ControllerManager:
		argv = plan.ControllerManagerArgs(bins)
	case kube.NodeAgent:
		argv = append(append([]string{}, r.o.NodeAgent...), "--kubeconfig="+plan.Kubeconfig(), "--node-name="+plan.NodeName,
			"--node-ip="+kube.MemberAddr(subnet, slotNode), "--dir="+podsDir(st), "--subnet="+strconv.Itoa(subnet))
		if img := os.Getenv("KONGDB_SIM_ECHO_IMAGE"); img != "" {
			argv = append(argv, "--echo-image="+img)
		}
	default:
		return fmt.Errorf("no kubernetes member %q", member)
	}
	p := st.Processes[member]
	if p.PID, err = r.spawn(st, member, argv, os.Environ(), false); err != nil {
		return err
	}
	if err := st.Save(); err != nil {
		return err
	}
	exited := func() bool { return !alive(p.PID) }
	switch member {
	case kube.Etcd:
		err = waitTCP(ctx, hostPort(plan.EtcdAddr, kube.EtcdClientPort), exited)
	case kube.APIServer:
		var cfg, cerr = plan.Config()
		if cerr != nil {
			return cerr
		}
		err = kube.WaitReady(ctx, cfg, exited)
	case kube.ControllerManager:
		time.Sleep(time.Second)
		if exited() {
			err = fmt.Errorf("%s exited", member)
		}
	case kube.NodeAgent:
		var cfg, cerr = plan.Config()
		if cerr != nil {
			return cerr
		}
		err = kube.WaitNodeReady(ctx, cfg, plan.NodeName, exited)
	}
	if err != nil {
		return fmt.Errorf("%w%s", err, tail(st, member))
	}
	return nil
}

// podsDir is where the node agent keeps its Pods' files.
func podsDir(st *sim.State) string { return filepath.Join(st.Dir, "kube", "pods") }

func waitTCP(ctx context.Context, address string, exited func() bool) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", address, time.Second); err == nil {
			return c.Close()
		}
		if exited() {
			return fmt.Errorf("the process exited before it listened on %s", address)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("nothing listened on %s within a minute", address)
}

// stopKube ends the node agent first (it stops its Pods), then what an agent
// killed without warning left (the Pods' processes and addresses), and the
// Kong members' Kubernetes addresses. The control plane's processes end with
// the other members.
func stopKube(st *sim.State) {
	if p := st.Processes[kube.NodeAgent]; p != nil {
		_ = signalWait(p.PID, syscall.SIGTERM, 5*time.Second)
	}
	agent.KillRecorded(podsDir(st))
	if subnet := subnetOf(st); subnet > 0 && st.Spec.Kubernetes {
		_ = kube.FlushLoopback(kube.PodAddrLabel(subnet))
		_ = kube.FlushLoopback(kube.AddrLabel(subnet))
	}
}

// kubeView is the live view of the cluster's Kubernetes.
func kubeView(st *sim.State) *sim.Kube {
	if !st.Spec.Kubernetes || st.Processes[kube.APIServer] == nil {
		return nil
	}
	plan := kubePlan(st, subnetOf(st))
	k := &sim.Kube{Server: plan.Server(), Kubeconfig: plan.Kubeconfig()}
	for _, m := range kube.Members {
		p := st.Processes[m]
		if p == nil {
			continue
		}
		state := "exited"
		if alive(p.PID) {
			state = "running"
		}
		n := sim.Node{Name: m, Role: sim.RoleKube, State: state, Image: "local", ID: strconv.Itoa(p.PID)}
		if m == kube.APIServer && state == "running" {
			n.AdminURL = plan.Server()
		}
		k.Members = append(k.Members, n)
	}
	return k
}

// killPod kills the containers of Pod NAMESPACE/NAME as a crash would; the
// node agent sees them exit and restarts them, as the kubelet would.
func killPod(st *sim.State, nsName string) error {
	dirs, _ := filepath.Glob(filepath.Join(podsDir(st), "*", agent.PodNameFile))
	for _, f := range dirs {
		raw, err := os.ReadFile(f)
		if err != nil || strings.TrimSpace(string(raw)) != nsName {
			continue
		}
		agent.KillRecorded(filepath.Dir(filepath.Dir(f)), filepath.Base(filepath.Dir(f)))
		return nil
	}
	return fmt.Errorf("no pod %s runs on the node: %w", nsName, sim.ErrNotFound)
}
