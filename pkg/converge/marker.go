// Package converge holds the sync marker and the wait for it: a route that every Kong node
// answers itself, through a request-termination plugin whose body is the record of the last
// sync that wrote anything (when, from what, with which result, its generation). Written last,
// after everything else, it is the barrier sync --wait polls for (Waiter): every node's proxy
// answers its generation, and in hybrid mode every data plane the control plane lists is in
// sync on a new config hash. The wait's per-node times go back into the record (Converged),
// where the status view reads them through the Admin API.
// The route matches only requests for Host, a reserved name nobody sends by accident, and the
// record holds no URL's user information or query string.
package converge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/internal/redact"
	"github.com/kongdb/kubectl-kongdb/pkg/admin"
)

// Host is the only host the marker's route answers: .invalid is reserved (RFC 2606) and never
// resolves, so the world's requests to a proxy never reach the marker by accident; --wait and
// status send it as the Host of their requests.
const Host = "kongdb-sync-marker.invalid"

// MarkerTag marks the marker's entities. They never carry an ownership tag, so no sync reads
// them as entities of its own, nor deletes them.
const MarkerTag = "kongdb-sync-marker"

// markerSpace is the UUIDv5 namespace of the marker's IDs: one route and one plugin per
// ownership tag (and workspace), found again by every sync.
var markerSpace = uuid.MustParse("a1c3f0e2-6d7b-5b8e-9c4d-6b6f6e676462")

// Record is what the marker answers: the last sync that wrote to Kong.
type Record struct {
	Generation int64     `json:"generation"`
	Time       time.Time `json:"time"`
	Source     string    `json:"source"`
	// From says who synced: user, host and tool version.
	From string `json:"from,omitempty"`
	// Result is "succeeded" or "partial".
	Result  string   `json:"result"`
	Created int      `json:"created"`
	Updated int      `json:"updated"`
	Deleted int      `json:"deleted"`
	Failed  int      `json:"failed"`
	Nodes   []string `json:"nodes,omitempty"`
	// Seconds is how long the sync took, from its start to the marker's write.
	Seconds float64 `json:"seconds,omitempty"`
	// Convergence is each node's result of sync --wait for this generation.
	Convergence []Node `json:"convergence,omitempty"`
}

// withoutSecrets is r with every URL it holds stripped of user information and query: the
// record is readable by whoever reads Kong's configuration.
func (r Record) withoutSecrets() Record {
	r.Source, r.From = redact.URLs(r.Source), redact.URLs(r.From)
	r.Nodes = redact.All(slices.Clone(r.Nodes))
	r.Convergence = slices.Clone(r.Convergence)
	for i := range r.Convergence {
		r.Convergence[i].Node = redact.URLs(r.Convergence[i].Node)
		r.Convergence[i].Detail = redact.URLs(r.Convergence[i].Detail)
	}
	return r
}

// Marker is the sync marker of one ownership tag.
type Marker struct {
	OwnershipTag, Workspace string
}

func (m Marker) id(what string) string {
	return uuid.NewSHA1(markerSpace, []byte(m.Workspace+"/"+m.OwnershipTag+"/"+what)).String()
}

// Path is where a node's proxy answers the marker.
func (m Marker) Path() string {
	return "/.kongdb/sync-marker/" + strings.NewReplacer("/", "-", ":", "-").Replace(m.OwnershipTag)
}

// Request is the GET that asks proxy (a node's proxy URL) for the marker.
func (m Marker) Request(ctx context.Context, proxy string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(proxy, "/")+m.Path(), nil)
	if err != nil {
		return nil, err
	}
	req.Host = Host
	return req, nil
}

// Read returns the last record, or nil when no sync wrote one.
func (m Marker) Read(ctx context.Context, c *kong.Client) (*Record, error) {
	var p kong.Plugin
	err := admin.Do(ctx, c, http.MethodGet, "/plugins/"+m.id("plugin"), nil, nil, &p)
	if admin.IsStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the sync marker: %w", err)
	}
	body, _ := p.Config["body"].(string)
	var r Record
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, fmt.Errorf("the sync marker's body is not a record: %w", err)
	}
	return &r, nil
}

// Converged stores how the nodes served r's generation into the record, keeping its
// generation, so the status view can show it.
func (m Marker) Converged(ctx context.Context, c *kong.Client, r Record, nodes []Node) error {
	r.Convergence = nodes
	if err := m.put(ctx, c, r); err != nil {
		return fmt.Errorf("store convergence in the sync marker: %w", err)
	}
	return nil
}

// Write stores r as the next generation (the previous one plus one) and returns it: the route
// first, then the plugin that answers the record.
func (m Marker) Write(ctx context.Context, c *kong.Client, r Record) (*Record, error) {
	prev, err := m.Read(ctx, c)
	if err != nil {
		return nil, err
	}
	r.Generation = 1
	if prev != nil {
		r.Generation = prev.Generation + 1
	}
	if err := m.put(ctx, c, r); err != nil {
		return nil, err
	}
	return &r, nil
}

// put writes the marker's route, then the plugin that answers r.
func (m Marker) put(ctx context.Context, c *kong.Client, r Record) error {
	body, err := json.Marshal(r.withoutSecrets())
	if err != nil {
		return err
	}
	tags := []string{MarkerTag, "kongdb-marker-for:" + m.OwnershipTag}
	route := map[string]any{"id": m.id("route"), "name": "kongdb-sync-marker-" + m.id("route")[:8],
		"paths": []string{m.Path()}, "hosts": []string{Host}, "protocols": []string{"http", "https"}, "tags": tags}
	if err := admin.Do(ctx, c, http.MethodPut, "/routes/"+m.id("route"), nil, route, nil); err != nil {
		return fmt.Errorf("write the sync marker's route: %w", err)
	}
	plugin := map[string]any{"id": m.id("plugin"), "name": "request-termination", "route": map[string]any{"id": m.id("route")},
		"config": map[string]any{"status_code": 200, "content_type": "application/json", "body": string(body)}, "tags": tags}
	if err := admin.Do(ctx, c, http.MethodPut, "/plugins/"+m.id("plugin"), nil, plugin, nil); err != nil {
		return fmt.Errorf("write the sync marker's plugin: %w", err)
	}
	return nil
}
