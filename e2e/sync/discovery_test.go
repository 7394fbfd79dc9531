package sync_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kongdb/kubectl-kongdb/internal/testenv"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/docker"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// endpoint is one endpoint of a test EndpointSlice.
type endpoint struct {
	ip    string
	ready bool
	pod   string
}

// kongService creates a Service and its EndpointSlice with one port.
func kongService(t *testing.T, env *testenv.Env, ns, name, portName string, port int, eps ...endpoint) {
	t.Helper()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: portName, Port: int32(port)}}}}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name + "-x1", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		// A port of another name comes first: the port is picked by name.
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("status"), Port: ptr.To(int32(1))}, {Name: ptr.To(portName), Port: ptr.To(int32(port))}},
	}
	for _, e := range eps {
		ep := discoveryv1.Endpoint{Addresses: []string{e.ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready)}}
		if e.pod != "" {
			ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: e.pod}
		}
		slice.Endpoints = append(slice.Endpoints, ep)
	}
	env.Apply(t, svc, slice)
}

// TestDiscoveryThroughAPIServerAndDirect: an emulator node runs as a container; its
// EndpointSlices (the API server refuses loopback addresses in them) point at the container's
// address on its Docker network, through a Pod whose status holds that address; a not-ready
// endpoint and a port of another name are left out. With --kong-access=apiserver every Admin
// API and proxy request goes through the API server's pod proxy with the kubeconfig's
// credentials; with auto, this host reaching the Docker network, the endpoints are used
// directly. A Service without endpoints is named in the error.
func TestDiscoveryThroughAPIServerAndDirect(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	rt, err := docker.New(t.Context())
	if err != nil {
		t.Fatalf("docker: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	spec := simtest.Spec(sim.Traditional)
	spec.Nodes = 1
	c, _ := simtest.Up(t, rt, spec)
	var kong sim.Node
	for _, n := range c.Nodes {
		if n.Role == sim.RoleNode {
			kong = n
		}
	}
	out, err := exec.Command("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", kong.ID).Output()
	if err != nil || len(strings.Fields(string(out))) == 0 {
		t.Fatalf("container address of %s: %v %s", kong.Name, err, out)
	}
	ip := strings.Fields(string(out))[0]

	env := cluster(t)
	ns := env.Namespace(t)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kong-0"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "proxy", Image: spec.KongImage}}}}
	env.Apply(t, pod)
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}}
	if err := env.Client.Status().Update(t.Context(), pod); err != nil {
		t.Fatalf("pod status: %v", err)
	}
	kongService(t, env, ns, "kong-admin", "admin", 8001, endpoint{ip: ip, ready: true, pod: "kong-0"}, endpoint{ip: "10.255.0.9", ready: false})
	kongService(t, env, ns, "kong-proxy", "kong-proxy", 8000, endpoint{ip: ip, ready: true, pod: "kong-0"})
	cache := t.TempDir()
	r := run(t, "sync", "-f", manifests(t, "alpha"), "--kubeconfig", env.Kubeconfig, "--schema-cache-dir", cache,
		"--kong-admin-service", ns+"/kong-admin", "--kong-proxy-service", ns+"/kong-proxy", "--kong-access", "apiserver", "--wait=60s")
	if r.code != 0 {
		t.Fatalf("sync through the API server: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	podProxy := fmt.Sprintf("/api/v1/namespaces/%s/pods/kong-0:8000/proxy (proxy)", ns)
	for _, want := range []string{
		"kong admin: 1 ready endpoint(s) of service " + ns + "/kong-admin, reached through the API server's pod proxy",
		"kong proxy: 1 ready endpoint(s) of service " + ns + "/kong-proxy, reached through the API server's pod proxy",
		podProxy,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	var services struct{ Data []any }
	if request(t, "GET", kong.AdminURL+"/services", "", &services); len(services.Data) != 1 {
		t.Fatalf("the container's Kong holds %d services, want 1", len(services.Data))
	}

	r = run(t, "sync", "-f", manifests(t, "alpha"), "--kubeconfig", env.Kubeconfig, "--schema-cache-dir", cache,
		"--kong-admin-service", ns+"/kong-admin", "--kong-proxy-service", ns+"/kong-proxy", "--wait=60s")
	if r.code != 0 {
		t.Fatalf("sync with --kong-access=auto: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"kong admin: 1 ready endpoint(s) of service " + ns + "/kong-admin, reached directly at their addresses (--kong-access=auto)",
		"converged: http://" + ip + ":8000 (proxy)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	r = run(t, "sync", "-f", manifests(t, "alpha"), "--kubeconfig", env.Kubeconfig, "--schema-cache-dir", cache,
		"--kong-admin-service", ns+"/no-such-service")
	if r.code != 1 || !strings.Contains(r.stderr, "service "+ns+"/no-such-service has no ready endpoint on a port named admin-tls, kong-admin-tls, admin, kong-admin") {
		t.Fatalf("a Service without endpoints: exit %d, want 1 naming it\n%s", r.code, r.stderr)
	}
}
