package agent

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestExpandReplacesKnownVariablesAsTheKubeletDoes(t *testing.T) {
	env := map[string]string{"POD_NAME": "web-1", "PORT": "3000"}
	for in, want := range map[string]string{
		"$(POD_NAME):$(PORT)": "web-1:3000",
		"$(UNKNOWN)":          "$(UNKNOWN)",
		"$$(POD_NAME)":        "$(POD_NAME)",
		"cost $5":             "cost $5",
		"trailing $":          "trailing $",
		"$(unclosed":          "$(unclosed",
	} {
		if got := expand(in, env); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEchoImagesAreRecognisedAtAnyTagAndRegistryTheSuiteUses(t *testing.T) {
	for image, want := range map[string]bool{
		"registry.k8s.io/gateway-api/echo-basic:v1.5.1":       true,
		"registry.k8s.io/gateway-api/echo-basic:v1.6.0-dev.3": true,
		"registry.k8s.io/gateway-api/echo-basic@sha256:abc":   true,
		"gcr.io/k8s-staging-gateway-api/echo-basic":           true,
		"docker.io/kongdb/echo:latest":                        true,
		"kongdb/echo:simkube":                                 true,
		"registry.k8s.io/coredns/coredns:v1.12.2":             false,
		"nginx:1.27":                false,
		"localhost:5000/echo-basic": false,
	} {
		if got := IsEcho(image); got != want {
			t.Errorf("IsEcho(%q) = %v, want %v", image, got, want)
		}
	}
	if !IsEcho("example.com/my/echo:1", "example.com/my/echo:2") {
		t.Error("an extra repository (KONGDB_SIM_ECHO_IMAGE) is not recognised")
	}
}

func TestEchoModesTheServerLacksAreRefused(t *testing.T) {
	r := &LocalRuntime{}
	if ok, why := r.Supports("registry.k8s.io/gateway-api/echo-basic:v1.5.1", map[string]string{"GRPC_ECHO_SERVER": "1"}); ok || why == "" {
		t.Errorf("a gRPC echo pod is accepted (%v, %q)", ok, why)
	}
	if ok, _ := r.Supports("registry.k8s.io/gateway-api/echo-basic:v1.5.1", map[string]string{"POD_NAME": "x"}); !ok {
		t.Error("a plain echo pod is refused")
	}
}

func TestMountPathsInValuesAreRewrittenToTheHost(t *testing.T) {
	mounts := []Mount{{Path: "/etc/secret-volume", HostPath: "/state/pods/u/volumes/secret-volume"}}
	for in, want := range map[string]string{
		"/etc/secret-volume/crt": "/state/pods/u/volumes/secret-volume/crt",
		"/etc/secret-volume":     "/state/pods/u/volumes/secret-volume",
		"/etc/secret-volumes/x":  "/etc/secret-volumes/x",
		"plain":                  "plain",
	} {
		if got := rewriteMounts(in, mounts); got != want {
			t.Errorf("rewriteMounts(%q) = %q, want %q", in, got, want)
		}
	}
}

type fakeProc struct {
	exited bool
	code   int
}

func (f *fakeProc) ID() string          { return "fake://1" }
func (f *fakeProc) Exited() (bool, int) { return f.exited, f.code }
func (f *fakeProc) Stop(time.Duration)  {}

func TestStatusReportsOnlyWhatIsTrue(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "x"}, {Name: "b", Image: "x"}}}}
	a := &Agent{o: Options{NodeIP: "198.19.1.5"}}
	cond := func(s corev1.PodStatus, typ corev1.PodConditionType) corev1.ConditionStatus {
		for _, c := range s.Conditions {
			if c.Type == typ {
				return c.Status
			}
		}
		return ""
	}
	for _, tc := range []struct {
		name      string
		st        *podState
		phase     corev1.PodPhase
		ready     corev1.ConditionStatus
		ip        string
		restarted int32
	}{
		{name: "not started: pending, no address, not ready",
			st:    &podState{waitReason: "ErrImagePull", waiting: "image x", ctrs: map[string]*ctrState{}},
			phase: corev1.PodPending, ready: corev1.ConditionFalse},
		{name: "one container not ready: running, not ready",
			st: &podState{ip: "198.18.1.2", containers: map[string]Container{}, ctrs: map[string]*ctrState{
				"a": {proc: &fakeProc{}, ready: true}, "b": {proc: &fakeProc{}}}},
			phase: corev1.PodRunning, ready: corev1.ConditionFalse, ip: "198.18.1.2"},
		{name: "all ready after a restart",
			st: &podState{ip: "198.18.1.3", containers: map[string]Container{}, ctrs: map[string]*ctrState{
				"a": {proc: &fakeProc{}, ready: true, restarts: 1, last: &corev1.ContainerStateTerminated{ExitCode: 137}},
				"b": {proc: &fakeProc{}, ready: true}}},
			phase: corev1.PodRunning, ready: corev1.ConditionTrue, ip: "198.18.1.3", restarted: 1},
		{name: "all exited, one failed: failed",
			st: &podState{ip: "198.18.1.4", containers: map[string]Container{}, ctrs: map[string]*ctrState{
				"a": {done: true, last: &corev1.ContainerStateTerminated{ExitCode: 0}},
				"b": {done: true, last: &corev1.ContainerStateTerminated{ExitCode: 1}}}},
			phase: corev1.PodFailed, ready: corev1.ConditionFalse, ip: "198.18.1.4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := a.status(pod, tc.st)
			if s.Phase != tc.phase || cond(s, corev1.PodReady) != tc.ready || s.PodIP != tc.ip || s.HostIP != "198.19.1.5" {
				t.Errorf("phase %s ready %s ip %q host %q; want %s %s %q", s.Phase, cond(s, corev1.PodReady), s.PodIP, s.HostIP, tc.phase, tc.ready, tc.ip)
			}
			if got := s.ContainerStatuses[0].RestartCount; got != tc.restarted {
				t.Errorf("restart count %d, want %d", got, tc.restarted)
			}
		})
	}
}
