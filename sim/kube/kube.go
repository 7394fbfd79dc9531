// Package kube is the simulator's Kubernetes (`kongdb sim up --kubernetes`): a real
// control plane — etcd, kube-apiserver and kube-controller-manager, the release
// binaries built from the Go module proxy by hack/kube-assets.sh --kubernetes — plus
// our own node agent (sim/kube/agent) that plays the kubelet for one Node, and the
// Kong cluster laid out inside it as KIC's Helm chart would (Layout).
//
// There is no kube-scheduler: with one Node the only decision a scheduler makes is
// "this node", so the node agent binds every unscheduled Pod to its Node through
// the pods/binding subresource, as kube-scheduler's binder does. That saves a
// build of several minutes and a process, and no test of ours or of the Gateway
// API conformance suite looks at scheduling. A runtime starts the processes
// (sim/local today); this package says how: their command lines, certificates
// and kubeconfig.
package kube

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// Member names of the Kubernetes part of a cluster, as fault verbs and logs take them.
const (
	Etcd              = "etcd"
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
	NodeAgent         = "node-agent"
)

// Members lists the Kubernetes members in bring-up order.
var Members = []string{Etcd, APIServer, ControllerManager, NodeAgent}

// Ports of the control plane on its members' addresses.
const (
	EtcdClientPort = 2379
	EtcdPeerPort   = 2380
	APIServerPort  = 6443
)

// ServiceCIDR is the range ClusterIPs come from. Nothing routes it (there is no
// kube-proxy); KIC and kongdb reach backends by Pod IP, as the conformance suite does.
const ServiceCIDR = "10.96.0.0/16"

// Plan is where one cluster's Kubernetes lives: its directory (certificates,
// kubeconfig, etcd's data, pod volumes) and the addresses its members listen on.
type Plan struct {
	// Dir is the cluster's Kubernetes directory, <state>/kube.
	Dir string
	// EtcdAddr and APIServerAddr are the hosts etcd and kube-apiserver listen on.
	EtcdAddr, APIServerAddr string
	// Cluster is the simulator cluster's name; NodeName is the one Node the agent registers.
	Cluster, NodeName string
}

// Kubeconfig is the path of the cluster-admin kubeconfig.
func (p Plan) Kubeconfig() string { return filepath.Join(p.Dir, "kubeconfig") }

// Server is the API server's URL.
func (p Plan) Server() string {
	return "https://" + net.JoinHostPort(p.APIServerAddr, strconv.Itoa(APIServerPort))
}

func (p Plan) etcdURL(port int) string {
	return "http://" + net.JoinHostPort(p.EtcdAddr, strconv.Itoa(port))
}

func (p Plan) path(name string) string { return filepath.Join(p.Dir, name) }

// Binaries are the control plane's programs.
type Binaries struct {
	Etcd, APIServer, ControllerManager string
}

// ErrNoBinaries says the control plane's programs are missing, and how to get them.
var ErrNoBinaries = errors.New("the Kubernetes control plane's programs are missing: build etcd, kube-apiserver and kube-controller-manager " +
	"with `hack/kube-assets.sh --kubernetes` (into .cache/kube-assets) and put that folder on PATH or in KUBEBUILDER_ASSETS")

// FindBinaries looks for etcd, kube-apiserver and kube-controller-manager in
// $KUBEBUILDER_ASSETS, then on PATH.
func FindBinaries() (Binaries, error) {
	find := func(name string) (string, error) {
		if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, ErrNoBinaries)
		}
		return p, nil
	}
	var b Binaries
	var err error
	if b.Etcd, err = find("etcd"); err != nil {
		return b, err
	}
	if b.APIServer, err = find("kube-apiserver"); err != nil {
		return b, err
	}
	b.ControllerManager, err = find("kube-controller-manager")
	return b, err
}

// EtcdArgs is etcd's command line: one member, no fsync (a simulator's data is
// thrown away with it).
func (p Plan) EtcdArgs(b Binaries) []string {
	return []string{b.Etcd, "--name=sim", "--data-dir=" + p.path("etcd"),
		"--listen-client-urls=" + p.etcdURL(EtcdClientPort), "--advertise-client-urls=" + p.etcdURL(EtcdClientPort),
		"--listen-peer-urls=" + p.etcdURL(EtcdPeerPort), "--initial-advertise-peer-urls=" + p.etcdURL(EtcdPeerPort),
		"--initial-cluster=sim=" + p.etcdURL(EtcdPeerPort), "--unsafe-no-fsync=true", "--log-level=warn"}
}

// APIServerArgs is kube-apiserver's command line. Clients authenticate with
// certificates of the cluster's CA (the admin is in system:masters); RBAC
// authorizes. The ServiceAccount admission plugin is off, as envtest has it:
// with it every Pod would get a projected token volume the node agent does not
// mount, and no workload of the simulator calls the API server from a Pod.
func (p Plan) APIServerArgs(b Binaries) []string {
	return []string{b.APIServer, "--etcd-servers=" + p.etcdURL(EtcdClientPort),
		"--bind-address=" + p.APIServerAddr, "--advertise-address=" + p.APIServerAddr,
		"--secure-port=" + strconv.Itoa(APIServerPort), "--cert-dir=" + p.path("apiserver"),
		"--tls-cert-file=" + p.path(servingCert), "--tls-private-key-file=" + p.path(servingKey),
		"--client-ca-file=" + p.path(caCert), "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.path(saPub), "--service-account-signing-key-file=" + p.path(saKey),
		"--service-cluster-ip-range=" + ServiceCIDR, "--allow-privileged=true",
		"--disable-admission-plugins=ServiceAccount", "--enable-priority-and-fairness=false",
		"--kubelet-client-certificate=" + p.path(adminCert), "--kubelet-client-key=" + p.path(adminKey),
		"--kubelet-preferred-address-types=InternalIP", "--profiling=false"}
}

// ControllerManagerArgs is kube-controller-manager's command line: every
// default controller (Deployments, ReplicaSets, EndpointSlices, namespace
// deletion, garbage collection, node lifecycle...), no HTTPS port of its own
// (clusters would collide on 10257), no leader election (one instance).
func (p Plan) ControllerManagerArgs(b Binaries) []string {
	return []string{b.ControllerManager, "--kubeconfig=" + p.Kubeconfig(),
		"--authentication-kubeconfig=" + p.Kubeconfig(), "--authorization-kubeconfig=" + p.Kubeconfig(),
		"--secure-port=0", "--leader-elect=false", "--controllers=*",
		"--root-ca-file=" + p.path(caCert), "--cluster-name=" + p.Cluster,
		"--concurrent-deployment-syncs=5", "--concurrent-replicaset-syncs=5", "--profiling=false"}
}
