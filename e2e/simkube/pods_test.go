package simkube_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

// echoImage is the conformance suite's echo image, as its base manifests name it.
const echoImage = "registry.k8s.io/gateway-api/echo-basic:v1.5.1"

// namespace creates a namespace for one test and deletes it when the test ends.
func namespace(t *testing.T, c kubernetes.Interface) string {
	t.Helper()
	ns, err := c.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "simkube-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{}) })
	return ns.Name
}

// echoDeployment is a Deployment of the echo image laid out as the suite's
// infra-backend-v1: downward-API POD_NAME and NAMESPACE, port 3000.
func echoDeployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: name, Image: echoImage,
					Ports: []corev1.ContainerPort{{ContainerPort: 3000}},
					Env: []corev1.EnvVar{
						{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
						{Name: "NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
					},
				}}},
			},
		},
	}
}

func echoService(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromInt32(3000)}}},
	}
}

// readyPods waits until the app's Pods are exactly want, all Ready with an
// address, and returns them.
func readyPods(t *testing.T, c kubernetes.Interface, ns, app string, want int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	eventually(t, fmt.Sprintf("%d ready pods of %s/%s", want, ns, app), func() error {
		list, err := c.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			return err
		}
		pods = nil
		for _, p := range list.Items {
			if p.DeletionTimestamp != nil {
				return fmt.Errorf("pod %s is still terminating", p.Name)
			}
			if !podReady(p) || p.Status.PodIP == "" {
				return fmt.Errorf("pod %s: phase %s, ip %q, not ready", p.Name, p.Status.Phase, p.Status.PodIP)
			}
			pods = append(pods, p)
		}
		if len(pods) != want {
			return fmt.Errorf("%d ready pods", len(pods))
		}
		return nil
	})
	return pods
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// captured is the part of the echo server's answer the conformance suite reads.
type captured struct {
	Path, Host, Method, Namespace, Pod string
	TLS                                *struct{ Version, ServerName string }
}

func getEcho(t *testing.T, url, host string) captured {
	t.Helper()
	got, err := tryEcho(t, url, host)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// tryEcho sends GET url with Host host and reads the echo, which the suite
// parses only when the Content-Type is exactly application/json.
func tryEcho(t *testing.T, url, host string) (captured, error) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		return captured{}, err
	}
	if host != "" {
		req.Host = host
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Do(req)
	if err != nil {
		return captured{}, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		return captured{}, fmt.Errorf("GET %s: %s, Content-Type %q: %s", url, resp.Status, resp.Header.Get("Content-Type"), body)
	}
	var got captured
	if err := json.Unmarshal(body, &got); err != nil {
		return captured{}, fmt.Errorf("GET %s: %v: %s", url, err, body)
	}
	return got, nil
}

func TestDeploymentOfTheEchoImageBecomesReadyPodsWithAddressesAndEndpointSlices(t *testing.T) {
	_, c := cluster(t)
	ns := namespace(t, c)
	if _, err := c.AppsV1().Deployments(ns).Create(t.Context(), echoDeployment("infra-backend-v1", 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Services(ns).Create(t.Context(), echoService("infra-backend-v1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := readyPods(t, c, ns, "infra-backend-v1", 2)
	var ips []string
	for _, p := range pods {
		ips = append(ips, p.Status.PodIP)
	}
	slices.Sort(ips)
	eventually(t, "the service's EndpointSlices list both pods ready on 3000", func() error {
		list, err := c.DiscoveryV1().EndpointSlices(ns).List(t.Context(), metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=infra-backend-v1"})
		if err != nil {
			return err
		}
		var got []string
		for _, sl := range list.Items {
			if len(sl.Ports) != 1 || sl.Ports[0].Port == nil || *sl.Ports[0].Port != 3000 {
				return fmt.Errorf("slice %s ports %v", sl.Name, sl.Ports)
			}
			for _, ep := range sl.Endpoints {
				if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
					got = append(got, ep.Addresses...)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, ips) {
			return fmt.Errorf("ready endpoints %v, pod IPs %v", got, ips)
		}
		return nil
	})
	for _, p := range pods {
		got := getEcho(t, "http://"+net.JoinHostPort(p.Status.PodIP, "3000")+"/some/path?x=1", "echo.example")
		if got.Path != "/some/path?x=1" || got.Host != "echo.example" || got.Method != "GET" || got.Namespace != ns || got.Pod != p.Name {
			t.Errorf("pod %s echoed %+v; want path /some/path?x=1, host echo.example, namespace %s, pod %s", p.Name, got, ns, p.Name)
		}
	}
	// pods/log, through the API server to the node agent, as the suite's mirror tests read it.
	since := metav1.NewTime(time.Now().Add(-time.Minute))
	eventually(t, "pods/log shows the echo's request line", func() error {
		raw, err := c.CoreV1().Pods(ns).GetLogs(pods[0].Name, &corev1.PodLogOptions{Container: "infra-backend-v1", SinceTime: &since}).DoRaw(t.Context())
		if err != nil {
			return err
		}
		if !strings.Contains(string(raw), "Echoing back request made to /some/path?x=1 to client") {
			return fmt.Errorf("log %q", raw)
		}
		return nil
	})
}

func TestPodOfAnImageTheSimulatorCannotRunStaysPendingWithAWarningEvent(t *testing.T) {
	_, c := cluster(t)
	ns := namespace(t, c)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}}}
	if _, err := c.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a Warning event on pod web naming its image", func() error {
		evs, err := c.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{FieldSelector: "involvedObject.name=web"})
		if err != nil {
			return err
		}
		for _, e := range evs.Items {
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, `"nginx:1.27"`) {
				return nil
			}
		}
		return fmt.Errorf("events %v", evs.Items)
	})
	// The Event and the status are two writes of the agent: the status may land just after.
	eventually(t, "pod web bound, Pending, without address, its container waiting with ErrImagePull", func() error {
		got, err := c.CoreV1().Pods(ns).Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got.Spec.NodeName == "" || got.Status.Phase != corev1.PodPending || got.Status.PodIP != "" || podReady(*got) {
			return fmt.Errorf("node %q, phase %s, ip %q, ready %v", got.Spec.NodeName, got.Status.Phase, got.Status.PodIP, podReady(*got))
		}
		if cs := got.Status.ContainerStatuses; len(cs) != 1 || cs[0].State.Waiting == nil || cs[0].State.Waiting.Reason != "ErrImagePull" {
			return fmt.Errorf("container statuses %+v", cs)
		}
		return nil
	})
}

func TestDeletedPodIsReplacedAndKilledPodIsRestarted(t *testing.T) {
	cl, c := cluster(t)
	ns := namespace(t, c)
	if _, err := c.AppsV1().Deployments(ns).Create(t.Context(), echoDeployment("app-backend-v1", 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := readyPods(t, c, ns, "app-backend-v1", 2)
	gone := before[0]
	if err := c.CoreV1().Pods(ns).Delete(t.Context(), gone.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted pod is gone", func() error {
		_, err := c.CoreV1().Pods(ns).Get(t.Context(), gone.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("pod %s still there: %v", gone.Name, err)
	})
	after := readyPods(t, c, ns, "app-backend-v1", 2)
	for _, p := range after {
		if p.UID == gone.UID {
			t.Fatalf("pod %s was not replaced", gone.Name)
		}
	}
	if _, err := net.DialTimeout("tcp", net.JoinHostPort(gone.Status.PodIP, "3000"), time.Second); err == nil && !slices.ContainsFunc(after, func(p corev1.Pod) bool {
		return p.Status.PodIP == gone.Status.PodIP
	}) {
		t.Errorf("the deleted pod's address %s still answers", gone.Status.PodIP)
	}

	victim := after[0]
	if _, errOut, code := kongdb(t, "sim", "--runtime", "local", "kill", "pod/"+ns+"/"+victim.Name, "--name", cl.Name); code != 0 {
		t.Fatalf("sim kill pod: exit %d: %s", code, errOut)
	}
	eventually(t, "the killed pod's container restarted and ready again", func() error {
		p, err := c.CoreV1().Pods(ns).Get(t.Context(), victim.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].RestartCount != 1 || !podReady(*p) {
			return fmt.Errorf("container statuses %+v", p.Status.ContainerStatuses)
		}
		return nil
	})
	got := getEcho(t, "http://"+net.JoinHostPort(victim.Status.PodIP, "3000")+"/", "")
	if got.Pod != victim.Name {
		t.Errorf("restarted pod echoed pod %q, want %q", got.Pod, victim.Name)
	}
}

func TestSecretVolumeCreatedAfterThePodReachesItsTLSListener(t *testing.T) {
	_, c := cluster(t)
	ns := namespace(t, c)
	d := echoDeployment("tls-backend", 1)
	ctr := &d.Spec.Template.Spec.Containers[0]
	ctr.Ports = []corev1.ContainerPort{{ContainerPort: 8443}}
	ctr.Env = append(ctr.Env, corev1.EnvVar{Name: "TLS_SERVER_CERT", Value: "/etc/secret-volume/crt"},
		corev1.EnvVar{Name: "TLS_SERVER_PRIVKEY", Value: "/etc/secret-volume/key"})
	ctr.VolumeMounts = []corev1.VolumeMount{{Name: "secret-volume", MountPath: "/etc/secret-volume"}}
	d.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "secret-volume", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: "tls-checks-certificate",
		Items:      []corev1.KeyToPath{{Key: "tls.crt", Path: "crt"}, {Key: "tls.key", Path: "key"}},
	}}}}
	if _, err := c.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a FailedMount event while the secret is missing", func() error {
		evs, err := c.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, e := range evs.Items {
			if e.Reason == "FailedMount" && strings.Contains(e.Message, "tls-checks-certificate") {
				return nil
			}
		}
		return fmt.Errorf("no FailedMount event yet")
	})
	pair, err := pki.SelfSigned(pki.Options{CommonName: "tls-backend.example", ServerAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls-checks-certificate"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": pair.CertPEM, "tls.key": pair.KeyPEM}}
	if _, err := c.CoreV1().Secrets(ns).Create(t.Context(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := readyPods(t, c, ns, "tls-backend", 1)[0]
	got := getEcho(t, "https://"+net.JoinHostPort(p.Status.PodIP, "8443")+"/tls", "tls-backend.example")
	if got.TLS == nil || got.TLS.Version == "" || got.Namespace != ns {
		t.Fatalf("echo over TLS %+v; want its tls part and namespace %s", got, ns)
	}
}

func TestStoppedAPIServerRefusesAndStartedAgainKeepsItsObjects(t *testing.T) {
	cl, c := cluster(t)
	ns := namespace(t, c)
	if _, err := c.CoreV1().ConfigMaps(ns).Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kept"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := kongdb(t, "sim", "--runtime", "local", "stop", "kube-apiserver", "--name", cl.Name); code != 0 {
		t.Fatalf("sim stop kube-apiserver: exit %d: %s", code, errOut)
	}
	if _, err := c.CoreV1().ConfigMaps(ns).Get(t.Context(), "kept", metav1.GetOptions{}); err == nil {
		t.Fatal("the API server answers after sim stop kube-apiserver")
	}
	out, _, _ := kongdb(t, "sim", "--runtime", "local", "status", cl.Name)
	if !strings.Contains(lineOf(out, "kube-apiserver"), "exited") {
		t.Errorf("sim status does not show kube-apiserver exited:\n%s", out)
	}
	if _, errOut, code := kongdb(t, "sim", "--runtime", "local", "start", "kube-apiserver", "--name", cl.Name); code != 0 {
		t.Fatalf("sim start kube-apiserver: exit %d: %s", code, errOut)
	}
	if _, err := c.CoreV1().ConfigMaps(ns).Get(t.Context(), "kept", metav1.GetOptions{}); err != nil {
		t.Fatalf("configmap kept after the API server's restart: %v", err)
	}
}
