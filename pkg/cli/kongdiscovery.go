package cli

import (
	"strings"

	"k8s.io/client-go/kubernetes"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/discovery"
)

// discover returns the nodes of a Service flag (NAMESPACE/NAME) with the given port names,
// reached as --kong-access says, with the kubeconfig's client and credentials.
func (k *KongFlags) discover(f Factory, flag, svc string, ports []string) (*discovery.Nodes, error) {
	s, err := discovery.ParseService(flag, svc, ports)
	if err != nil {
		return nil, err
	}
	access, err := discovery.ParseAccess(k.Access)
	if err != nil {
		return nil, err
	}
	cfg, err := f.RESTClientGetter().ToRESTConfig()
	if err != nil {
		return nil, err
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	var endToEnd []string
	if k.CACert != "" {
		endToEnd = append(endToEnd, "--kong-admin-ca")
	}
	if k.ClientCert != "" {
		endToEnd = append(endToEnd, "--kong-admin-cert/--kong-admin-key")
	}
	return &discovery.Nodes{Service: s, Client: c, Resolver: discovery.Resolver{Namespace: s.Namespace, Access: access, Config: cfg,
		EndToEndTLS: strings.Join(endToEnd, " and ")}}, nil
}

// adminEndpoints are the Admin APIs: the URLs given, or a Service's endpoints (then nodes is
// set, and says after the connection which path was taken).
func (k *KongFlags) adminEndpoints(f Factory) (admin.Endpoints, *discovery.Nodes, error) {
	if k.AdminService == "" {
		return admin.StaticEndpoints(k.URLs), nil, nil
	}
	nodes, err := k.discover(f, "--kong-admin-service", k.AdminService, discovery.AdminPortNames)
	return nodes, nodes, err
}
