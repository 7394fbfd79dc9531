// Package agent is the simulator's node agent: it plays the kubelet for one
// Node of the simulator's Kubernetes. It registers the Node and keeps its
// Lease, binds every unscheduled Pod to it (there is no kube-scheduler; see
// sim/kube), and runs each bound Pod whose images its Runtime has: the
// environment with the downward API, Secrets and ConfigMaps resolved, the
// volumes written, the containers started on the Pod's own address. It
// reports what is true: Pending with a Warning Event when an image cannot run
// or a Secret is missing, Running with the Pod's IP once started, Ready only
// when the readiness probe passes (or, without a probe, when every declared
// port accepts connections), restarts when a container exits, and deletion
// once the containers are stopped.
package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// Options configure an agent.
type Options struct {
	Config *rest.Config
	// NodeName is the Node it registers; NodeIP the Node's InternalIP.
	NodeName, NodeIP string
	// Dir holds each Pod's volumes, logs and process records (Dir/<uid>/).
	Dir string
	// Addrs hands out Pod addresses.
	Addrs AddrPool
	// Runtime runs the containers.
	Runtime Runtime
	// Log receives one line per thing the agent does.
	Log func(format string, args ...any)
}

// AddrPool hands out Pod addresses and takes them back.
type AddrPool interface {
	Take() (string, error)
	Release(ip string)
}

// Agent is a running node agent.
type Agent struct {
	o      Options
	c      kubernetes.Interface
	pods   corelisters.PodLister
	kick   chan struct{}
	mu     sync.Mutex
	states map[types.UID]*podState
}

// Run registers the Node and runs its Pods until ctx ends; then it stops
// every container it started (a simulator's Node goes with its agent).
func Run(ctx context.Context, o Options) error {
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	c, err := kubernetes.NewForConfig(o.Config)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return err
	}
	KillRecorded(o.Dir)
	a := &Agent{o: o, c: c, kick: make(chan struct{}, 1), states: map[types.UID]*podState{}}
	if err := a.serveKubelet(ctx, o.Config.CAData); err != nil {
		return err
	}
	if err := a.register(ctx); err != nil {
		return err
	}
	go a.heartbeat(ctx)
	factory := informers.NewSharedInformerFactory(c, 0)
	inf := factory.Core().V1().Pods()
	a.pods = inf.Lister()
	_, _ = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { a.poke() },
		UpdateFunc: func(any, any) { a.poke() },
		DeleteFunc: func(any) { a.poke() },
	})
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	o.Log("node %s registered; running its pods", o.NodeName)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			a.stopAll()
			return nil
		case <-a.kick:
		case <-tick.C:
		}
		a.syncAll(ctx)
	}
}

func (a *Agent) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// register creates the Node, or takes over the one an earlier agent made.
func (a *Agent) register(ctx context.Context) error {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: a.o.NodeName, Labels: map[string]string{
		"kubernetes.io/hostname": a.o.NodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": runtime.GOARCH,
		"node.kubernetes.io/instance-type": "kongdb-sim",
	}}}
	got, err := a.c.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		got, err = a.c.CoreV1().Nodes().Get(ctx, a.o.NodeName, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("node agent: register node %s: %w", a.o.NodeName, err)
	}
	return a.postStatus(ctx, got)
}

// postStatus writes the Node's status: Ready, its address and capacity. The
// node lifecycle controller and admission change a new Node (taints) while we
// write, so a conflict is retried on the Node as it is now.
func (a *Agent) postStatus(ctx context.Context, n *corev1.Node) error {
	first := true
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if !first {
			var err error
			if n, err = a.c.CoreV1().Nodes().Get(ctx, a.o.NodeName, metav1.GetOptions{}); err != nil {
				return err
			}
		}
		first = false
		return a.writeNodeStatus(ctx, n)
	})
}

func (a *Agent) writeNodeStatus(ctx context.Context, n *corev1.Node) error {
	now := metav1.Now()
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods: resource.MustParse("250"), corev1.ResourceEphemeralStorage: resource.MustParse("100Gi")}
	n.Status = corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity,
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kongdb simulator node agent is posting ready status"),
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", ""),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", ""),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", ""),
		},
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: a.o.NodeIP}, {Type: corev1.NodeHostName, Address: a.o.NodeName}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: KubeletPort}},
		NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.37.2-kongdb-sim", OperatingSystem: "linux", Architecture: runtime.GOARCH,
			ContainerRuntimeVersion: "kongdb-sim://1", OSImage: "kongdb simulator"},
	}
	if _, err := a.c.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node agent: post status of node %s: %w", a.o.NodeName, err)
	}
	return nil
}

// heartbeat renews the Node's Lease every 10 s, as the kubelet does, so the
// node lifecycle controller sees the Node alive; the status is posted again
// every minute.
func (a *Agent) heartbeat(ctx context.Context) {
	leases := a.c.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	last := time.Now()
	for {
		now := metav1.NewMicroTime(time.Now())
		l, err := leases.Get(ctx, a.o.NodeName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: a.o.NodeName},
				Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(a.o.NodeName), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now}}, metav1.CreateOptions{})
		case err == nil:
			l.Spec.RenewTime, l.Spec.HolderIdentity = &now, ptr.To(a.o.NodeName)
			_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
		}
		if err != nil && ctx.Err() == nil {
			a.o.Log("renew lease: %v", err)
		}
		if time.Since(last) > time.Minute {
			if n, err := a.c.CoreV1().Nodes().Get(ctx, a.o.NodeName, metav1.GetOptions{}); err == nil {
				_ = a.postStatus(ctx, n)
			}
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
}

// syncAll binds unscheduled Pods and brings each of this Node's Pods closer
// to its spec; Pods gone from the API server are stopped.
func (a *Agent) syncAll(ctx context.Context) {
	pods, err := a.pods.List(everything)
	if err != nil {
		return
	}
	seen := map[types.UID]bool{}
	for _, p := range pods {
		if p.Spec.NodeName == "" {
			a.bind(ctx, p)
			continue
		}
		if p.Spec.NodeName != a.o.NodeName {
			continue
		}
		seen[p.UID] = true
		if err := a.syncPod(ctx, p.DeepCopy()); err != nil && ctx.Err() == nil {
			a.o.Log("pod %s/%s: %v", p.Namespace, p.Name, err)
		}
	}
	a.mu.Lock()
	var gone []*podState
	for uid, st := range a.states {
		if !seen[uid] {
			gone = append(gone, st)
			delete(a.states, uid)
		}
	}
	a.mu.Unlock()
	for _, st := range gone {
		a.o.Log("pod %s is gone from the API server; stopping its containers", st.name)
		a.teardown(st, 0)
	}
}

// bind is the scheduler's one decision with one Node: this Node.
func (a *Agent) bind(ctx context.Context, p *corev1.Pod) {
	if p.Spec.SchedulerName != "" && p.Spec.SchedulerName != corev1.DefaultSchedulerName {
		return
	}
	if p.DeletionTimestamp != nil {
		return
	}
	b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
		Target: corev1.ObjectReference{Kind: "Node", Name: a.o.NodeName}}
	if err := a.c.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{}); err != nil && !apierrors.IsConflict(err) && ctx.Err() == nil {
		a.o.Log("bind pod %s/%s: %v", p.Namespace, p.Name, err)
		return
	}
	a.eventFrom(ctx, "default-scheduler", p, corev1.EventTypeNormal, "Scheduled", fmt.Sprintf("Successfully assigned %s/%s to %s", p.Namespace, p.Name, a.o.NodeName))
}

// stopAll stops every container; the agent is ending.
func (a *Agent) stopAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for uid, st := range a.states {
		a.teardown(st, 2*time.Second)
		delete(a.states, uid)
	}
}

// event records a core/v1 Event on the Pod, from the kubelet as users know it.
func (a *Agent) event(ctx context.Context, p *corev1.Pod, typ, reason, msg string) {
	a.eventFrom(ctx, "kubelet", p, typ, reason, msg)
}

// eventFrom records an Event from component (the scheduler's binding is the agent's too).
func (a *Agent) eventFrom(ctx context.Context, component string, p *corev1.Pod, typ, reason, msg string) {
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: p.Name + ".", Namespace: p.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: p.Namespace, Name: p.Name,
			UID: p.UID, ResourceVersion: p.ResourceVersion},
		Reason: reason, Message: msg, Type: typ, Count: 1, FirstTimestamp: now, LastTimestamp: now,
		Source: corev1.EventSource{Component: component, Host: a.o.NodeName},
	}
	if _, err := a.c.CoreV1().Events(p.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil && ctx.Err() == nil {
		a.o.Log("event %s on pod %s/%s: %v", reason, p.Namespace, p.Name, err)
	}
}

// podDir is where one Pod's volumes, logs and process records live.
func (a *Agent) podDir(p *corev1.Pod) string { return filepath.Join(a.o.Dir, string(p.UID)) }
