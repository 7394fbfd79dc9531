package simkube_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	netv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestKongIsLaidOutAsKICsChartWouldAndSyncFindsItThroughTheAdminService(t *testing.T) {
	cl, c := cluster(t)
	proxy, err := c.CoreV1().Services("kong").Get(t.Context(), "kong-proxy", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if proxy.Spec.Type != corev1.ServiceTypeLoadBalancer || len(proxy.Status.LoadBalancer.Ingress) != 1 {
		t.Fatalf("kong/kong-proxy: type %s, load balancer %+v; want LoadBalancer with the node's address", proxy.Spec.Type, proxy.Status.LoadBalancer)
	}
	lb := proxy.Status.LoadBalancer.Ingress[0].IP
	admin, err := c.DiscoveryV1().EndpointSlices("kong").List(t.Context(), metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=kong-admin"})
	if err != nil || len(admin.Items) != 1 || len(admin.Items[0].Endpoints) != 1 {
		t.Fatalf("kong/kong-admin endpoint slices %+v, %v; want one slice with node-1", admin, err)
	}

	// A live sync of an Ingress to an echo Deployment, Kong found through kong/kong-admin.
	ns := namespace(t, c)
	if _, err := c.AppsV1().Deployments(ns).Create(t.Context(), echoDeployment("web-backend", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Services(ns).Create(t.Context(), echoService("web-backend"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := readyPods(t, c, ns, "web-backend", 1)[0]
	if _, err := c.NetworkingV1().IngressClasses().Create(t.Context(), &netv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "kong"},
		Spec: netv1.IngressClassSpec{Controller: "ingress-controllers.konghq.com/kong"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	host := ns + ".example"
	ing := &netv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: netv1.IngressSpec{IngressClassName: ptr.To("kong"),
		Rules: []netv1.IngressRule{{Host: host, IngressRuleValue: netv1.IngressRuleValue{HTTP: &netv1.HTTPIngressRuleValue{
			Paths: []netv1.HTTPIngressPath{{Path: "/", PathType: ptr.To(netv1.PathTypePrefix), Backend: netv1.IngressBackend{
				Service: &netv1.IngressServiceBackend{Name: "web-backend", Port: netv1.ServiceBackendPort{Number: 8080}}}}},
		}}}}}}
	if _, err := c.NetworkingV1().Ingresses(ns).Create(t.Context(), ing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := kongdb(t, "sync", "--kubeconfig", cl.Kube.Kubeconfig, "-n", ns,
		"--kong-admin-service", "kong/kong-admin", "--kong-proxy-service", "kong/kong-proxy", "--kong-access", "direct", "--wait=1m")
	if code != 0 {
		t.Fatalf("sync --kong-admin-service kong/kong-admin: exit %d\n%s%s", code, out, errOut)
	}
	eventually(t, "the load balancer's address on port 80 routes to the echo pod", func() error {
		got, err := tryEcho(t, "http://"+net.JoinHostPort(lb, "80")+"/hello", host)
		if err != nil {
			return err
		}
		if got.Pod != pod.Name || got.Namespace != ns || got.Path != "/hello" {
			return fmt.Errorf("echo %+v; want pod %s in %s, path /hello", got, pod.Name, ns)
		}
		return nil
	})
}

func TestSimStatusShowsTheKubernetesMembersAndEnvExportsKubeconfig(t *testing.T) {
	cl, _ := cluster(t)
	out, errOut, code := kongdb(t, "sim", "--runtime", "local", "status", cl.Name)
	if code != 0 {
		t.Fatalf("sim status: exit %d: %s", code, errOut)
	}
	for _, m := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "node-agent"} {
		if !strings.Contains(out, m+" ") || !strings.Contains(lineOf(out, m), "running") {
			t.Errorf("sim status has no running %s:\n%s", m, out)
		}
	}
	env, errOut, code := kongdb(t, "sim", "--runtime", "local", "env", cl.Name)
	if code != 0 {
		t.Fatalf("sim env: exit %d: %s", code, errOut)
	}
	if !strings.Contains(env, fmt.Sprintf("export KUBECONFIG=%q\n", cl.Kube.Kubeconfig)) {
		t.Errorf("sim env does not export KUBECONFIG=%s:\n%s", cl.Kube.Kubeconfig, env)
	}
}

func lineOf(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix+" ") {
			return l
		}
	}
	return ""
}

func TestStoppedKongNodeIsListedNotReadyUntilStartedAgain(t *testing.T) {
	cl, c := cluster(t)
	readiness := func() (bool, error) {
		list, err := c.DiscoveryV1().EndpointSlices("kong").List(t.Context(), metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=kong-admin"})
		if err != nil {
			return false, err
		}
		if len(list.Items) != 1 || len(list.Items[0].Endpoints) != 1 || list.Items[0].Endpoints[0].Conditions.Ready == nil {
			return false, fmt.Errorf("kong-admin slices %+v", list.Items)
		}
		return *list.Items[0].Endpoints[0].Conditions.Ready, nil
	}
	for _, step := range []struct {
		verb  string
		ready bool
	}{{"stop", false}, {"start", true}} {
		if _, errOut, code := kongdb(t, "sim", "--runtime", "local", step.verb, "node-1", "--name", cl.Name); code != 0 {
			t.Fatalf("sim %s node-1: exit %d: %s", step.verb, code, errOut)
		}
		ready, err := readiness()
		if err != nil {
			t.Fatal(err)
		}
		if ready != step.ready {
			t.Errorf("after sim %s node-1 its kong-admin endpoint is ready=%v, want %v", step.verb, ready, step.ready)
		}
	}
}
