// Package simkube_test brings up `kongdb sim up --kubernetes` on the local
// runtime once for the package — a real etcd, kube-apiserver and
// kube-controller-manager, our node agent, a traditional Kong node — and
// proves what the simulator's Kubernetes does: Deployments become Ready Pods
// with addresses and EndpointSlices, Pods answer as the conformance suite's
// echo server, an image it cannot run stays Pending with an Event, a deleted
// Pod is replaced and a killed one restarted, Secrets reach Pods, the admin
// Service leads `kongdb sync` to Kong, and `sim down` leaves nothing.
package simkube_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kongdb/kubectl-kongdb/internal/kongdbtest"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// TestMain plays the program the local runtime re-runs (Kong nodes, links,
// the node agent, echo Pods) and takes the shared cluster down at the end.
//
// The simulator's Kubernetes gives Pods and Services addresses outside 127.0.0.0/8 (the API
// server refuses loopback ones) on the loopback interface; the package runs in a network
// namespace of its own, so those addresses, and every request to them, never exist outside it.
func TestMain(m *testing.M) {
	if code, ran := inOwnNetworkNamespace(); ran {
		os.Exit(code)
	}
	simtest.AtExit(func() {
		if shared.name != "" {
			kongdb(nil, "sim", "--runtime", "local", "down", shared.name)
		}
	})
	simtest.Main(m)
}

// netnsEnv marks the test binary re-run inside its own network namespace.
const netnsEnv = "KONGDB_SIMKUBE_NETNS"

// inOwnNetworkNamespace re-runs the test binary in a new network namespace with its loopback
// up, and reports its exit code; ran is false in the re-run itself (or when not root, where
// sim up --kubernetes refuses for want of the right to add addresses anyway).
func inOwnNetworkNamespace() (code int, ran bool) {
	if os.Getenv(netnsEnv) != "" || os.Geteuid() != 0 {
		return 0, false
	}
	cmd := exec.Command("unshare", append([]string{"--net", "--", "sh", "-c", `ip link set lo up && exec "$0" "$@"`}, os.Args...)...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode(), true
		}
		fmt.Fprintln(os.Stderr, "simkube: run in a network namespace of its own:", err)
		return 1, true
	}
	return 0, true
}

// shared is the package's one cluster, brought up by the first test that needs it.
var shared struct {
	once sync.Once
	// bin is the kongdb program built from this tree, which the cluster runs.
	bin  string
	name string
	err  error
	c    *sim.Cluster
	kube kubernetes.Interface
	// down is set once a test took the cluster down.
	down bool
}

// cluster returns the shared cluster and a client of its Kubernetes.
func cluster(t *testing.T) (*sim.Cluster, kubernetes.Interface) {
	t.Helper()
	shared.once.Do(func() {
		if shared.err = kubeAssets(); shared.err != nil {
			return
		}
		shared.name = simtest.Name()
		kong, pg := simtest.Images()
		_, errOut, code := kongdb(t, "sim", "--runtime", "local", "up", "-d", "--kubernetes", "--name", shared.name,
			"--kong-image", kong, "--postgres-image", pg, "--pull", "never")
		if code != 0 {
			shared.err = fmt.Errorf("sim up --kubernetes: exit %d: %s", code, errOut)
			return
		}
		out, errOut, code := kongdb(t, "sim", "--runtime", "local", "status", shared.name, "-o", "json")
		if code != 0 {
			shared.err = fmt.Errorf("sim status: exit %d: %s", code, errOut)
			return
		}
		shared.c = &sim.Cluster{}
		if err := json.Unmarshal([]byte(out), shared.c); err != nil {
			shared.err = err
			return
		}
		if shared.c.Kube == nil {
			shared.err = fmt.Errorf("cluster %s has no Kubernetes in its status", shared.name)
			return
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", shared.c.Kube.Kubeconfig)
		if err != nil {
			shared.err = err
			return
		}
		shared.kube, shared.err = kubernetes.NewForConfig(cfg)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	if shared.down {
		t.Skip("the shared cluster was taken down by TestSimDownLeavesNothing")
	}
	return shared.c, shared.kube
}

// kubeAssets makes sure etcd, kube-apiserver and kube-controller-manager are
// found: in KUBEBUILDER_ASSETS, or built into the repository's
// .cache/kube-assets by hack/kube-assets.sh --kubernetes (only this package
// and sim up --kubernetes need kube-controller-manager, so only they build it).
func kubeAssets() error {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "kube-controller-manager")); err == nil {
			return nil
		}
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "hack", "kube-assets.sh")); err == nil {
			break
		}
		if root == filepath.Dir(root) {
			return fmt.Errorf("cannot find hack/kube-assets.sh above the working directory")
		}
		root = filepath.Dir(root)
	}
	cmd := exec.Command("bash", filepath.Join(root, "hack", "kube-assets.sh"), "--kubernetes")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("hack/kube-assets.sh --kubernetes: %w", err)
	}
	return os.Setenv("KUBEBUILDER_ASSETS", strings.TrimSpace(string(out)))
}

// kongdb runs the command line in this process and returns stdout, stderr and the exit code.
func kongdb(t testing.TB, args ...string) (string, string, int) {
	if t != nil {
		t.Helper()
	}
	if t != nil {
		shared.bin = kongdbtest.Binary(t)
	}
	cmd := exec.Command(shared.bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errOut.String(), 0
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	}
	return out.String(), err.Error(), -1
}

// eventually polls check every 200 ms until it returns nil or a minute passes.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}
