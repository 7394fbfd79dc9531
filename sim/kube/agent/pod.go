package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

var everything = labels.Everything()

// now is the time as the API server stores it (whole seconds), so a status
// read back compares equal to the one written.
func now() metav1.Time { return metav1.NewTime(time.Now().Truncate(time.Second)) }

// podState is what the agent knows of one Pod it runs.
type podState struct {
	name    string
	uid     types.UID
	ip      string
	started metav1.Time
	ctrs    map[string]*ctrState
	// waiting is why the Pod is not running yet ("" once started); warned the
	// last message an Event was recorded for, so each reason is told once.
	waitReason, waiting, warned string
	// spec is what a restart needs.
	containers map[string]Container
}

type ctrState struct {
	proc     Process
	started  metav1.Time
	restarts int32
	ready    bool
	last     *corev1.ContainerStateTerminated
	done     bool // exited, and the restart policy keeps it so
}

// syncPod moves one Pod of this Node towards its spec and writes its status.
func (a *Agent) syncPod(ctx context.Context, p *corev1.Pod) error {
	a.mu.Lock()
	st := a.states[p.UID]
	if st == nil {
		st = &podState{name: p.Namespace + "/" + p.Name, uid: p.UID, ctrs: map[string]*ctrState{}}
		a.states[p.UID] = st
	}
	a.mu.Unlock()
	if p.DeletionTimestamp != nil {
		grace := 2 * time.Second
		if g := p.DeletionGracePeriodSeconds; g != nil && time.Duration(*g)*time.Second < grace {
			grace = time.Duration(*g) * time.Second
		}
		a.teardown(st, grace)
		a.mu.Lock()
		delete(a.states, p.UID)
		a.mu.Unlock()
		err := a.c.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0),
			Preconditions: &metav1.Preconditions{UID: &p.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("finish deletion: %w", err)
		}
		return nil
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return nil
	}
	if st.containers == nil {
		if err := a.start(ctx, p, st); err != nil {
			var nr *notReady
			reason, msg := "ErrImagePull", err.Error()
			if errors.As(err, &nr) {
				reason, msg = nr.reason, nr.msg
			}
			st.waitReason, st.waiting = reason, msg
			if st.warned != msg {
				st.warned = msg
				a.event(ctx, p, corev1.EventTypeWarning, eventReason(reason), msg)
			}
		}
	} else {
		a.supervise(ctx, p, st)
	}
	return a.writeStatus(ctx, p, st)
}

func eventReason(waiting string) string {
	switch waiting {
	case "FailedMount":
		return "FailedMount"
	case "ErrImagePull":
		return "Failed"
	}
	return "Failed"
}

// start checks the images, resolves the spec and starts every container.
func (a *Agent) start(ctx context.Context, p *corev1.Pod, st *podState) error {
	if len(p.Spec.InitContainers) > 0 {
		return &notReady{"CreateContainerConfigError", "init containers are not supported by the simulator's node agent"}
	}
	res := &resolver{c: a.c, pod: p, node: a.o.NodeName, nodeIP: a.o.NodeIP}
	envs := map[string]map[string]string{}
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		env, err := res.env(ctx, c)
		if err != nil {
			return err
		}
		if ok, why := a.o.Runtime.Supports(c.Image, env); !ok {
			return &notReady{"ErrImagePull", fmt.Sprintf("container %s: %s", c.Name, why)}
		}
		envs[c.Name] = env
	}
	dir := a.podDir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, PodNameFile), []byte(p.Namespace+"/"+p.Name), 0o644); err != nil {
		return err
	}
	vols, err := res.volumes(ctx, dir)
	if err != nil {
		return err
	}
	ip, err := a.o.Addrs.Take()
	if err != nil {
		return &notReady{"CreateContainerError", err.Error()}
	}
	res.ip = ip
	st.ip, st.started, st.containers = ip, now(), map[string]Container{}
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		env := envs[c.Name]
		for _, e := range c.Env { // status.podIP is known only now
			if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
				env[e.Name], _ = res.field(e.ValueFrom.FieldRef.FieldPath)
			}
		}
		ctr := Container{Pod: st.name, Name: c.Name, Image: c.Image, Env: env, IP: ip, Log: filepath.Join(dir, c.Name+".log")}
		for _, s := range c.Command {
			ctr.Command = append(ctr.Command, expand(s, env))
		}
		for _, s := range c.Args {
			ctr.Args = append(ctr.Args, expand(s, env))
		}
		for _, m := range c.VolumeMounts {
			host := filepath.Join(vols[m.Name], m.SubPath)
			ctr.Mounts = append(ctr.Mounts, Mount{Path: m.MountPath, HostPath: host})
		}
		st.containers[c.Name] = ctr
		if err := a.run(ctx, st, c.Name); err != nil {
			return err
		}
	}
	st.waitReason, st.waiting = "", ""
	a.event(ctx, p, corev1.EventTypeNormal, "Started", fmt.Sprintf("Started %d container(s) at %s", len(p.Spec.Containers), ip))
	return nil
}

// run starts (or restarts) one container.
func (a *Agent) run(ctx context.Context, st *podState, name string) error {
	proc, err := a.o.Runtime.Start(ctx, st.containers[name])
	if err != nil {
		return err
	}
	cs := st.ctrs[name]
	if cs == nil {
		cs = &ctrState{}
		st.ctrs[name] = cs
	}
	cs.proc, cs.started, cs.ready, cs.done = proc, now(), false, false
	return nil
}

// supervise restarts exited containers as the restart policy says and probes readiness.
func (a *Agent) supervise(ctx context.Context, p *corev1.Pod, st *podState) {
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		cs := st.ctrs[c.Name]
		if cs == nil || cs.done {
			continue
		}
		if exited, code := cs.proc.Exited(); exited {
			cs.ready = false
			cs.last = &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: "Error", StartedAt: cs.started,
				FinishedAt: now(), ContainerID: cs.proc.ID()}
			if code == 0 {
				cs.last.Reason = "Completed"
			}
			policy := p.Spec.RestartPolicy
			if policy == corev1.RestartPolicyNever || (policy == corev1.RestartPolicyOnFailure && code == 0) {
				cs.done = true
				continue
			}
			cs.restarts++
			a.event(ctx, p, corev1.EventTypeWarning, "BackOff", fmt.Sprintf("container %s exited with code %d; restarting it", c.Name, code))
			if err := a.run(ctx, st, c.Name); err != nil {
				a.o.Log("pod %s: restart %s: %v", st.name, c.Name, err)
			}
			continue
		}
		cs.ready = probe(ctx, c, st.ip)
	}
}

// probe runs the readiness probe once: httpGet or tcpSocket against the Pod's
// address. Without a probe the container is ready when each of its declared
// TCP ports accepts a connection (the kubelet would call it ready at once; a
// process that does not listen yet would be a lie). exec probes cannot run
// here, so such a container never becomes ready.
func probe(ctx context.Context, c *corev1.Container, ip string) bool {
	port := func(p intOrName) (string, bool) {
		if p.name == "" {
			return strconv.Itoa(p.num), true
		}
		for _, cp := range c.Ports {
			if cp.Name == p.name {
				return strconv.Itoa(int(cp.ContainerPort)), true
			}
		}
		return "", false
	}
	if pr := c.ReadinessProbe; pr != nil {
		switch {
		case pr.HTTPGet != nil:
			pt, ok := port(intOrName{pr.HTTPGet.Port.StrVal, pr.HTTPGet.Port.IntValue()})
			if !ok {
				return false
			}
			scheme := "http"
			if pr.HTTPGet.Scheme == corev1.URISchemeHTTPS {
				scheme = "https"
			}
			return httpOK(ctx, scheme+"://"+net.JoinHostPort(ip, pt)+pr.HTTPGet.Path)
		case pr.TCPSocket != nil:
			pt, ok := port(intOrName{pr.TCPSocket.Port.StrVal, pr.TCPSocket.Port.IntValue()})
			return ok && dials(net.JoinHostPort(ip, pt))
		}
		return false
	}
	for _, cp := range c.Ports {
		if (cp.Protocol == "" || cp.Protocol == corev1.ProtocolTCP) && !dials(net.JoinHostPort(ip, strconv.Itoa(int(cp.ContainerPort)))) {
			return false
		}
	}
	return true
}

type intOrName struct {
	name string
	num  int
}

func dials(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

var probeClient = &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func httpOK(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", "kube-probe/1.37")
	resp, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

// teardown stops a Pod's containers, gives its address back and removes its files.
func (a *Agent) teardown(st *podState, grace time.Duration) {
	for _, cs := range st.ctrs {
		if cs.proc != nil {
			cs.proc.Stop(grace)
		}
	}
	if st.ip != "" {
		a.o.Addrs.Release(st.ip)
	}
	_ = os.RemoveAll(filepath.Join(a.o.Dir, string(st.uid)))
}

// writeStatus writes the Pod's status when it changed.
func (a *Agent) writeStatus(ctx context.Context, p *corev1.Pod, st *podState) error {
	s := a.status(p, st)
	if equality.Semantic.DeepEqual(s, p.Status) {
		return nil
	}
	p.Status = s
	if _, err := a.c.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// status is the Pod's status as the agent knows it; conditions keep their
// transition times while their status holds.
func (a *Agent) status(p *corev1.Pod, st *podState) corev1.PodStatus {
	old := p.Status
	s := corev1.PodStatus{Phase: corev1.PodPending, QOSClass: old.QOSClass, HostIP: a.o.NodeIP,
		HostIPs: []corev1.HostIP{{IP: a.o.NodeIP}}, StartTime: old.StartTime}
	if s.StartTime == nil {
		s.StartTime = ptr.To(now())
	}
	allReady, running, done, failed := true, 0, 0, 0
	for _, c := range p.Spec.Containers {
		cs := st.ctrs[c.Name]
		stat := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "kongdb-sim://" + c.Image, Started: ptr.To(false)}
		switch {
		case cs == nil:
			stat.State.Waiting = &corev1.ContainerStateWaiting{Reason: st.waitReason, Message: st.waiting}
			if st.waitReason == "" {
				stat.State.Waiting.Reason = "ContainerCreating"
			}
			allReady = false
		case cs.done:
			stat.State.Terminated, stat.ContainerID, stat.RestartCount = cs.last, cs.last.ContainerID, cs.restarts
			done++
			if cs.last.ExitCode != 0 {
				failed++
			}
			allReady = false
		default:
			stat.ContainerID, stat.RestartCount, stat.Ready, stat.Started = cs.proc.ID(), cs.restarts, cs.ready, ptr.To(true)
			stat.State.Running = &corev1.ContainerStateRunning{StartedAt: cs.started}
			if cs.last != nil {
				stat.LastTerminationState.Terminated = cs.last
			}
			allReady = allReady && cs.ready
			running++
		}
		s.ContainerStatuses = append(s.ContainerStatuses, stat)
	}
	n := len(p.Spec.Containers)
	switch {
	case done == n && failed > 0:
		s.Phase = corev1.PodFailed
	case done == n:
		s.Phase = corev1.PodSucceeded
	case running > 0:
		s.Phase = corev1.PodRunning
	}
	if st.ip != "" {
		s.PodIP, s.PodIPs = st.ip, []corev1.PodIP{{IP: st.ip}}
	}
	started := st.containers != nil
	boolCond := func(b bool) corev1.ConditionStatus {
		if b {
			return corev1.ConditionTrue
		}
		return corev1.ConditionFalse
	}
	set := func(t corev1.PodConditionType, b bool, reason string) {
		c := corev1.PodCondition{Type: t, Status: boolCond(b), LastTransitionTime: now()}
		if !b {
			c.Reason = reason
		}
		for _, o := range old.Conditions {
			if o.Type == t && o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		s.Conditions = append(s.Conditions, c)
	}
	set(corev1.PodReadyToStartContainers, started, "")
	set(corev1.PodInitialized, true, "")
	set(corev1.ContainersReady, started && allReady, "ContainersNotReady")
	set(corev1.PodReady, started && allReady, "ContainersNotReady")
	set(corev1.PodScheduled, true, "")
	return s
}
