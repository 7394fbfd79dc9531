package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kong/go-kong/kong"
)

// Endpoints supplies the Admin API URLs of the Kong nodes to talk to. StaticEndpoints are the
// --kong-admin-url flags; discovery from a Service's EndpointSlices plugs in here too.
type Endpoints interface {
	AdminURLs(ctx context.Context) ([]string, error)
}

// StaticEndpoints are Admin API URLs given by the user.
type StaticEndpoints []string

// AdminURLs returns the URLs as given.
func (s StaticEndpoints) AdminURLs(context.Context) ([]string, error) {
	if len(s) == 0 {
		return nil, errors.New("no Kong Admin API URL: set --kong-admin-url or KONG_ADMIN_URL")
	}
	return s, nil
}

// Topology roles, as Kong's configuration.role reports them.
const (
	RoleTraditional  = "traditional"
	RoleControlPlane = "control_plane"
	RoleDataPlane    = "data_plane"
)

// Info is what a node's root endpoint (/) says about it.
type Info struct {
	URL      string `json:"url"`
	Version  string `json:"version"`
	NodeID   string `json:"node_id"`
	Hostname string `json:"hostname"`
	Role     string `json:"role"`
	Database string `json:"database"`
	// ExpressionsRouter is true when router_flavor is expressions (routes get no path_handling).
	ExpressionsRouter bool `json:"expressions_router,omitempty"`
	// Plugins are the plugins the node enables (plugins.available_on_server), which
	// pkg/preflight checks desired entities against. Enterprise is true for Kong Gateway
	// Enterprise ("3.9.1.0", "3.9.1.0-enterprise-edition"), which alone has consumer groups.
	Plugins    []string `json:"plugins,omitempty"`
	Enterprise bool     `json:"enterprise,omitempty"`
}

// Node is one reachable Kong Admin API.
type Node struct {
	Info
	Client *kong.Client
}

// Cluster is the set of nodes a sync may write through: every live traditional node (they
// share one database), or the control plane(s) of a hybrid cluster.
type Cluster struct {
	// Nodes are the live nodes, in the order the URLs were given.
	Nodes []*Node
	// Unreachable maps each URL that did not answer to why.
	Unreachable map[string]error
	// Warnings are risks of the connection the user must hear of (the token over plain HTTP).
	Warnings []string
}

// Connect probes every Admin API URL concurrently and keeps the live ones. It refuses DB-less
// Kong and data planes with a message that says why, since their Admin API cannot be written.
func Connect(ctx context.Context, cfg Config, eps Endpoints) (*Cluster, error) {
	urls, err := eps.AdminURLs(ctx)
	if err != nil {
		return nil, err
	}
	hc, err := cfg.httpClient()
	if err != nil {
		return nil, err
	}
	warnings := plainTextTokenWarnings(cfg.Token, urls)
	if cfg.Warn != nil {
		for _, w := range warnings { // before the first request carries the token
			cfg.Warn(w)
		}
	}
	nodes := make([]*Node, len(urls))
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			c, err := newKongClient(hc, u, cfg.Workspace)
			if err != nil {
				errs[i] = err
				return
			}
			info, err := probe(ctx, c, u)
			if err != nil {
				errs[i] = err
				return
			}
			nodes[i] = &Node{Info: info, Client: c}
		})
	}
	wg.Wait()
	cl := &Cluster{Unreachable: map[string]error{}, Warnings: warnings}
	for i, n := range nodes {
		if errs[i] != nil {
			var refused *RefusedError
			if errors.As(errs[i], &refused) {
				return nil, refused
			}
			cl.Unreachable[urls[i]] = errs[i]
			continue
		}
		cl.Nodes = append(cl.Nodes, n)
	}
	if len(cl.Nodes) == 0 {
		return nil, fmt.Errorf("no Kong Admin API answered: %w", errors.Join(errs...))
	}
	return cl, nil
}

// IsEnterpriseVersion reports whether a version string from / is Kong Gateway Enterprise's:
// Enterprise versions have a fourth number or say "enterprise" (go-kong's reading).
func IsEnterpriseVersion(v string) bool {
	if strings.Contains(v, "enterprise") {
		return true
	}
	parsed, err := kong.ParseSemanticVersion(v)
	return err == nil && parsed.IsKongGatewayEnterprise()
}

// Enterprise reports whether the cluster's nodes run Kong Gateway Enterprise (the first live
// node says: every node of one database runs one edition).
func (c *Cluster) Enterprise() bool { return len(c.Nodes) > 0 && c.Nodes[0].Enterprise }

// RefusedError says why a node cannot be synced to (DB-less, data plane).
type RefusedError struct {
	URL, Reason string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("kong at %s: %s", e.URL, e.Reason) }

// probe reads / and checks that the node can be written.
func probe(ctx context.Context, c *kong.Client, url string) (Info, error) {
	root, err := c.Root(ctx)
	if err != nil {
		return Info{}, fmt.Errorf("kong at %s: read /: %w", url, ExplainServerError(ctx, c, err))
	}
	info := Info{URL: url}
	info.Version, _ = root["version"].(string)
	info.NodeID, _ = root["node_id"].(string)
	info.Hostname, _ = root["hostname"].(string)
	conf, _ := root["configuration"].(map[string]any)
	info.Role, _ = conf["role"].(string)
	info.Database, _ = conf["database"].(string)
	flavor, _ := conf["router_flavor"].(string)
	info.ExpressionsRouter = flavor == "expressions"
	plugins, _ := root["plugins"].(map[string]any)
	available, _ := plugins["available_on_server"].(map[string]any)
	for name := range available {
		info.Plugins = append(info.Plugins, name)
	}
	slices.Sort(info.Plugins)
	edition, _ := root["edition"].(string)
	info.Enterprise = IsEnterpriseVersion(info.Version) || edition == "enterprise"
	if info.Role == "" {
		info.Role = RoleTraditional
	}
	switch {
	case info.Database == "off":
		return info, &RefusedError{URL: url, Reason: "runs without a database (DB-less, database=off); " +
			"kongdb writes entity by entity into a database-backed Kong, while a DB-less node only takes a whole declarative config on POST /config"}
	case info.Role == RoleDataPlane:
		return info, &RefusedError{URL: url, Reason: "is a hybrid-mode data plane, whose Admin API is read-only; " +
			"point --kong-admin-url at the control plane"}
	case info.Version == "":
		return info, fmt.Errorf("kong at %s: / has no version: is this a Kong Admin API?", url)
	}
	return info, nil
}

// Describe is one line naming the topology, for reports.
func (c *Cluster) Describe() string {
	if len(c.Nodes) == 0 {
		return "no live node"
	}
	roles := map[string]int{}
	for _, n := range c.Nodes {
		roles[n.Role]++
	}
	var parts []string
	for _, r := range []string{RoleTraditional, RoleControlPlane} {
		if roles[r] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", roles[r], strings.ReplaceAll(r, "_", " ")))
		}
	}
	s := fmt.Sprintf("Kong %s, %s node(s) on %s", c.Nodes[0].Version, strings.Join(parts, ", "), c.Nodes[0].Database)
	if n := len(c.Unreachable); n > 0 {
		s += fmt.Sprintf(", %d unreachable", n)
	}
	return s
}
