package agent

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kongdb/kubectl-kongdb/sim/kube"
)

// Main is the node agent's command line (the local runtime runs it as
// `kongdb sim __node`): echo is the command prefix that runs the echo server.
// It returns the exit code.
func Main(args []string, echo []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("node-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster admin")
	node := fs.String("node-name", "", "name of the Node to register")
	nodeIP := fs.String("node-ip", "", "the Node's InternalIP")
	dir := fs.String("dir", "", "directory of the Pods' volumes, logs and process records")
	subnet := fs.Int("subnet", 0, "the cluster's subnet: Pods get 198.18.<subnet>.2-254 on the loopback interface")
	echoImage := fs.String("echo-image", "", "one more image repository that runs the echo server (KONGDB_SIM_ECHO_IMAGE)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *kubeconfig == "" || *node == "" || *nodeIP == "" || *dir == "" || *subnet < 1 || *subnet > 255 {
		fmt.Fprintln(stderr, "node-agent: --kubeconfig, --node-name, --node-ip, --dir and --subnet (1-255) are required")
		return 2
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(stderr, "node-agent:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	rt := &LocalRuntime{Echo: echo}
	if *echoImage != "" {
		rt.EchoImages = []string{*echoImage}
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, a...))
	}
	pool := &LoopbackPool{Subnet: *subnet}
	if err := kube.FlushLoopback(kube.PodAddrLabel(*subnet)); err != nil {
		logf("%v", err)
	}
	err = Run(ctx, Options{Config: cfg, NodeName: *node, NodeIP: *nodeIP, Dir: *dir, Addrs: pool, Runtime: rt, Log: logf})
	if err != nil {
		fmt.Fprintln(stderr, "node-agent:", err)
		return 1
	}
	return 0
}

// LoopbackPool hands out 198.18.<Subnet>.2-254, adding each to the loopback
// interface as it is taken and removing it as it is given back.
type LoopbackPool struct {
	Subnet int
	mu     sync.Mutex
	used   map[string]bool
}

// Take returns the lowest free address, added to the loopback interface.
func (l *LoopbackPool) Take() (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.used == nil {
		l.used = map[string]bool{}
	}
	for n := 2; n < 255; n++ {
		ip := kube.PodAddr(l.Subnet, n)
		if l.used[ip] {
			continue
		}
		if err := kube.AddLoopback(ip, kube.PodAddrLabel(l.Subnet)); err != nil {
			return "", err
		}
		l.used[ip] = true
		return ip, nil
	}
	return "", fmt.Errorf("every pod address 198.18.%d.2-254 is taken", l.Subnet)
}

// Release gives ip back.
func (l *LoopbackPool) Release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.used, ip)
	kube.DelLoopback(ip)
}
