package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// The Kong cluster inside the simulator's Kubernetes, named as the brief's users
// type them: `--kong-admin-service kong/kong-admin --kong-proxy-service kong/kong-proxy`.
const (
	KongNamespace    = "kong"
	ProxyService     = "kong-proxy"
	AdminService     = "kong-admin"
	managedByLabel   = "endpointslice.kubernetes.io/managed-by"
	managedByValue   = "kongdb-sim"
	kongProxyPort    = 8000
	kongProxySSLPort = 8443
	kongAdminPort    = 8001
)

// GatewayPorts are the listener ports the Gateway API conformance suite uses
// (HTTP 80 and 8080, HTTPS 443); the simulator's proxies listen on them at
// their Kubernetes addresses, besides Kong's own 8000 and 8443.
var GatewayPorts = struct{ HTTP, HTTPAlt, HTTPS int }{80, 8080, 443}

// KongEndpoints are the Kong members as Kubernetes sees them: the addresses of
// the Admin APIs (control planes or traditional nodes) and of the proxies
// (data planes or traditional nodes).
type KongEndpoints struct {
	Admin, Proxy []string
	// Down are the addresses of members that do not run now (a fault verb stopped
	// them): listed, but not ready, so discovery passes them by as it would a
	// Pod that is not ready.
	Down map[string]bool
}

// Config is a client configuration for the plan's kubeconfig.
func (p Plan) Config() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", p.Kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("kubernetes: read %s: %w", p.Kubeconfig(), err)
	}
	return cfg, nil
}

// WaitReady polls the API server's /readyz until it answers ok, or exited
// reports that its process is gone.
func WaitReady(ctx context.Context, cfg *rest.Config, exited func() bool) error {
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var last error
	for {
		body, err := c.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		last = err
		if exited() {
			return errors.New("kube-apiserver exited before it was ready")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready within 2 minutes: %v", last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WaitNodeReady polls until Node name is Ready, or exited reports that the
// node agent is gone.
func WaitNodeReady(ctx context.Context, cfg *rest.Config, name string, exited func() bool) error {
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		n, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					return nil
				}
			}
		}
		if exited() {
			return errors.New("the node agent exited before its node was ready")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s not ready within a minute: %v", name, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Layout writes the Kong cluster into Kubernetes as KIC's Helm chart lays it
// out: namespace kong; Service kong-proxy of type LoadBalancer (80 → 8000,
// 443 → 8443) whose status lists the proxies' addresses, as a cloud's load
// balancer controller would fill it; headless Service kong-admin (port
// "admin", 8001). Kong runs outside the Pods of this Kubernetes, so both
// Services have no selector and their EndpointSlices are written here, managed
// by kongdb-sim, one ready endpoint per member. Existing objects are updated.
func Layout(ctx context.Context, cfg *rest.Config, eps KongEndpoints) error {
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: KongNamespace}}
	if _, err := c.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kubernetes: create namespace %s: %w", KongNamespace, err)
	}
	labels := map[string]string{"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": "kongdb-sim"}
	proxy := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: ProxyService, Namespace: KongNamespace, Labels: labels},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{
			{Name: "kong-proxy", Port: int32(GatewayPorts.HTTP), TargetPort: intstr.FromInt32(kongProxyPort), Protocol: corev1.ProtocolTCP},
			{Name: "kong-proxy-tls", Port: int32(GatewayPorts.HTTPS), TargetPort: intstr.FromInt32(kongProxySSLPort), Protocol: corev1.ProtocolTCP},
		}},
	}
	admin := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: AdminService, Namespace: KongNamespace, Labels: labels},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{
			{Name: "admin", Port: kongAdminPort, TargetPort: intstr.FromInt32(kongAdminPort), Protocol: corev1.ProtocolTCP},
		}},
	}
	for _, svc := range []*corev1.Service{proxy, admin} {
		if err := applyService(ctx, c, svc); err != nil {
			return err
		}
	}
	var ingress []corev1.LoadBalancerIngress
	for _, ip := range eps.Proxy {
		ingress = append(ingress, corev1.LoadBalancerIngress{IP: ip, IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)})
	}
	got, err := c.CoreV1().Services(KongNamespace).Get(ctx, ProxyService, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("kubernetes: read service %s/%s: %w", KongNamespace, ProxyService, err)
	}
	got.Status.LoadBalancer.Ingress = ingress
	if _, err := c.CoreV1().Services(KongNamespace).UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("kubernetes: write the load balancer status of service %s/%s: %w", KongNamespace, ProxyService, err)
	}
	slices := []*discoveryv1.EndpointSlice{
		endpointSlice(ProxyService, eps.Proxy, eps.Down, map[string]int32{"kong-proxy": kongProxyPort, "kong-proxy-tls": kongProxySSLPort}),
		endpointSlice(AdminService, eps.Admin, eps.Down, map[string]int32{"admin": kongAdminPort}),
	}
	for _, sl := range slices {
		if err := applySlice(ctx, c, sl); err != nil {
			return err
		}
	}
	return nil
}

// endpointSlice is the slice of a selector-less Service: one endpoint per
// address, ready unless its member is down.
func endpointSlice(service string, addrs []string, down map[string]bool, ports map[string]int32) *discoveryv1.EndpointSlice {
	sl := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: service + "-sim", Namespace: KongNamespace,
			Labels: map[string]string{discoveryv1.LabelServiceName: service, managedByLabel: managedByValue}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, a := range addrs {
		sl.Endpoints = append(sl.Endpoints, discoveryv1.Endpoint{Addresses: []string{a},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(!down[a]), Serving: ptr.To(!down[a]), Terminating: ptr.To(false)}})
	}
	for _, name := range []string{"kong-proxy", "kong-proxy-tls", "admin"} {
		if port, ok := ports[name]; ok {
			sl.Ports = append(sl.Ports, discoveryv1.EndpointPort{Name: ptr.To(name), Port: ptr.To(port), Protocol: ptr.To(corev1.ProtocolTCP)})
		}
	}
	return sl
}

func applyService(ctx context.Context, c kubernetes.Interface, svc *corev1.Service) error {
	_, err := c.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		var old *corev1.Service
		if old, err = c.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{}); err == nil {
			old.Labels, old.Spec.Ports = svc.Labels, svc.Spec.Ports
			_, err = c.CoreV1().Services(svc.Namespace).Update(ctx, old, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("kubernetes: write service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}

func applySlice(ctx context.Context, c kubernetes.Interface, sl *discoveryv1.EndpointSlice) error {
	_, err := c.DiscoveryV1().EndpointSlices(sl.Namespace).Create(ctx, sl, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		var old *discoveryv1.EndpointSlice
		if old, err = c.DiscoveryV1().EndpointSlices(sl.Namespace).Get(ctx, sl.Name, metav1.GetOptions{}); err == nil {
			old.Labels, old.Endpoints, old.Ports = sl.Labels, sl.Endpoints, sl.Ports
			_, err = c.DiscoveryV1().EndpointSlices(sl.Namespace).Update(ctx, old, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("kubernetes: write endpointslice %s/%s: %w", sl.Namespace, sl.Name, err)
	}
	return nil
}
