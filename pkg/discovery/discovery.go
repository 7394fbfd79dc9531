// Package discovery finds Kong nodes as KIC's gateway discovery does: from the ready endpoints
// of a Service's EndpointSlices, the port picked by name. Each endpoint is one node, reached
// directly at its address, or, when the addresses are not routable from where the plugin runs
// (a laptop outside the cluster), through the API server's pod proxy subresource with the
// kubeconfig's credentials.
package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The port names looked for, in order of preference: KIC's defaults (--kong-admin-svc-port-names
// is admin-tls,kong-admin-tls), TLS first so that the token never crosses the network in clear
// when the Service offers both, then the plain ports KIC's chart also names.
var (
	AdminPortNames = []string{"admin-tls", "kong-admin-tls", "admin", "kong-admin"}
	ProxyPortNames = []string{"proxy", "proxy-tls", "kong-proxy", "kong-proxy-tls"}
)

// Access is how the endpoints are reached.
type Access string

// The ways to reach an endpoint; Auto tries Direct and falls back to APIServer.
const (
	Direct    Access = "direct"
	APIServer Access = "apiserver"
	Auto      Access = "auto"
)

// ParseAccess reads --kong-access.
func ParseAccess(s string) (Access, error) {
	switch a := Access(s); a {
	case Direct, APIServer, Auto:
		return a, nil
	}
	return "", fmt.Errorf("--kong-access %q: want direct, apiserver or auto", s)
}

// Endpoint is one ready endpoint of a Service on the chosen port.
type Endpoint struct {
	Address  string
	Port     int32
	PortName string
	// Pod is the endpoint's target Pod ("" when it has none); the API server proxies to pods.
	Pod string
}

// TLS is true for the TLS ports (their names end in -tls, as KIC's do).
func (e Endpoint) TLS() bool { return strings.HasSuffix(e.PortName, "-tls") }

func (e Endpoint) scheme() string {
	if e.TLS() {
		return "https"
	}
	return "http"
}

// Service is a Kubernetes Service whose endpoints are Kong nodes.
type Service struct {
	Namespace, Name string
	// PortNames are the port names to use, the first one an endpoint slice has wins.
	PortNames []string
}

// ParseService reads NAMESPACE/NAME.
func ParseService(flag, s string, ports []string) (Service, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return Service{}, fmt.Errorf("%s %q: want NAMESPACE/NAME", flag, s)
	}
	return Service{Namespace: ns, Name: name, PortNames: ports}, nil
}

func (s Service) String() string { return s.Namespace + "/" + s.Name }

// Endpoints lists the Service's ready endpoints, each once, on the first port name of
// PortNames its slice has.
func (s Service) Endpoints(ctx context.Context, c kubernetes.Interface) ([]Endpoint, error) {
	list, err := c.DiscoveryV1().EndpointSlices(s.Namespace).List(ctx,
		metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + s.Name})
	if err != nil {
		return nil, fmt.Errorf("service %s: list its EndpointSlices: %w", s, err)
	}
	var out []Endpoint
	seen := map[string]bool{}
	for _, sl := range list.Items {
		port, ok := s.port(sl)
		if !ok {
			continue
		}
		for _, ep := range sl.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready || len(ep.Addresses) == 0 {
				continue
			}
			e := Endpoint{Address: ep.Addresses[0], Port: *port.Port, PortName: *port.Name}
			if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
				e.Pod = ep.TargetRef.Name
			}
			if key := net.JoinHostPort(e.Address, strconv.Itoa(int(e.Port))); !seen[key] {
				seen[key] = true
				out = append(out, e)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("service %s has no ready endpoint on a port named %s", s, strings.Join(s.PortNames, ", "))
	}
	return out, nil
}

func (s Service) port(sl discoveryv1.EndpointSlice) (discoveryv1.EndpointPort, bool) {
	best := -1
	var found discoveryv1.EndpointPort
	for _, p := range sl.Ports {
		if p.Name == nil || p.Port == nil {
			continue
		}
		if i := slices.Index(s.PortNames, *p.Name); i >= 0 && (best < 0 || i < best) {
			best, found = i, p
		}
	}
	return found, best >= 0
}

// Resolver turns endpoints into URLs on one access path.
type Resolver struct {
	Namespace string
	Access    Access
	// Config is the kubeconfig's REST config: its host and credentials reach the pod proxy.
	Config *rest.Config
	// DialTimeout bounds Auto's probe of direct reachability.
	DialTimeout time.Duration
	// EndToEndTLS names the Admin API TLS settings given (--kong-admin-ca, --kong-admin-cert),
	// "" for none. The API server's pod proxy makes the TLS connection to the pod itself and
	// does not verify it, so neither a CA nor a client certificate can reach Kong that way:
	// with such settings the API server path is refused rather than taken without them.
	EndToEndTLS string
}

// Resolve picks the access path (Auto probes whether the first endpoint accepts a TCP
// connection) and returns the endpoints' URLs, the path taken, and, for the API server, the
// transport that carries the kubeconfig's credentials (nil for direct).
func (r Resolver) Resolve(ctx context.Context, eps []Endpoint) ([]string, Access, http.RoundTripper, error) {
	access := r.Access
	if access == Auto {
		access = APIServer
		timeout := r.DialTimeout
		if timeout <= 0 {
			timeout = 2 * time.Second
		}
		d := net.Dialer{Timeout: timeout}
		if conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(eps[0].Address, strconv.Itoa(int(eps[0].Port)))); err == nil {
			conn.Close()
			access = Direct
		}
	}
	urls := make([]string, len(eps))
	if access == Direct {
		for i, e := range eps {
			urls[i] = e.scheme() + "://" + net.JoinHostPort(e.Address, strconv.Itoa(int(e.Port)))
		}
		return urls, Direct, nil, nil
	}
	if r.EndToEndTLS != "" {
		why := "--kong-access=apiserver"
		if r.Access == Auto {
			why = "the endpoints are not reachable directly, and the way left, through the API server,"
		}
		return nil, "", nil, fmt.Errorf("%s cannot honour %s: the API server's pod proxy makes the TLS connection to Kong itself, "+
			"without verifying it, and presents no client certificate; reach the endpoints directly (--kong-access=direct) "+
			"or leave those flags out to accept the API server's hop", why, r.EndToEndTLS)
	}
	if r.Config == nil {
		return nil, "", nil, errors.New("reaching Kong through the API server needs a kubeconfig")
	}
	host := strings.TrimSuffix(r.Config.Host, "/")
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	for i, e := range eps {
		if e.Pod == "" {
			return nil, "", nil, fmt.Errorf("endpoint %s has no target Pod: the API server proxies only to pods", e.Address)
		}
		name := e.Pod + ":" + strconv.Itoa(int(e.Port))
		if e.TLS() {
			name = "https:" + name
		}
		urls[i] = host + "/api/v1/namespaces/" + url.PathEscape(r.Namespace) + "/pods/" + url.PathEscape(name) + "/proxy"
	}
	rt, err := rest.TransportFor(r.Config)
	if err != nil {
		return nil, "", nil, fmt.Errorf("kubeconfig transport: %w", err)
	}
	return urls, APIServer, rt, nil
}

// Nodes are a Service's endpoints as URLs on the access path Resolver picks. It is an
// admin.Endpoints; after AdminURLs, Taken says which path was taken and Transport carries the
// kubeconfig's credentials when it is the API server.
type Nodes struct {
	Service  Service
	Client   kubernetes.Interface
	Resolver Resolver

	Taken     Access
	Transport http.RoundTripper
	Count     int
	// tls is true when the endpoints are TLS ports.
	tls bool
}

// AdminURLs lists the ready endpoints and resolves them.
func (n *Nodes) AdminURLs(ctx context.Context) ([]string, error) {
	eps, err := n.Service.Endpoints(ctx, n.Client)
	if err != nil {
		return nil, err
	}
	urls, taken, rt, err := n.Resolver.Resolve(ctx, eps)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", n.Service, err)
	}
	n.Taken, n.Transport, n.Count = taken, rt, len(urls)
	n.tls = slices.ContainsFunc(eps, Endpoint.TLS)
	return urls, nil
}

// Describe says which path was taken, for the user.
func (n *Nodes) Describe() string {
	how := "directly at their addresses"
	if n.Taken == APIServer {
		how = "through the API server's pod proxy"
		switch cfg := n.Resolver.Config; {
		case cfg != nil && cfg.Insecure:
			how += " (the kubeconfig turns off verification of the API server's certificate)"
		case cfg != nil && strings.HasPrefix(cfg.Host, "http://"):
			how += " (the kubeconfig reaches the API server over plain HTTP)"
		}
		if n.tls {
			how += "; the API server does not verify Kong's certificate on its own hop"
		}
	}
	return fmt.Sprintf("%d ready endpoint(s) of service %s, reached %s (--kong-access=%s)", n.Count, n.Service, how, n.Resolver.Access)
}
