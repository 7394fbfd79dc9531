package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/sim"
)

// A data plane's process can run while its control plane has lost it (a partition, a broken
// certificate): `sim status` shows each data plane as the control plane lists it on
// /clustering/data-planes, next to the state of its process.

// pingGrace is how long after its last ping a data plane still counts as connected: 1.5 ×
// Kong's 30 s ping interval, the wait after which either side drops the connection.
const pingGrace = 45 * time.Second

// ControlPlaneView is how a hybrid cluster's first running control plane lists its data planes.
type ControlPlaneView struct {
	// ControlPlane is the member that was asked.
	ControlPlane string `json:"controlPlane"`
	// Error is why it could not be asked; DataPlanes is then empty.
	Error      string            `json:"error,omitempty"`
	DataPlanes []ListedDataPlane `json:"dataPlanes,omitempty"`
	ObservedAt time.Time         `json:"observedAt"`
	// rows are the listed data planes by the member they belong to, where the hostname tells.
	rows map[string]*ListedDataPlane
}

// ListedDataPlane is one row of the control plane's list, with what it means.
type ListedDataPlane struct {
	admin.DataPlane
	// Member is the cluster member the row belongs to, when its hostname tells (a container's
	// hostname is its ID; local processes share the machine's hostname and so stay unnamed).
	Member string `json:"member,omitempty"`
	// Connected is true when the data plane pinged within pingGrace of the observation.
	Connected bool `json:"connected"`
}

// readControlPlaneView asks the first running control plane of a hybrid cluster for its data
// planes; nil for a traditional cluster. A control plane that does not answer is reported in
// the view, not as an error: status still shows the members.
func readControlPlaneView(ctx context.Context, c *sim.Cluster) *ControlPlaneView {
	if c.Mode != sim.Hybrid {
		return nil
	}
	v := &ControlPlaneView{ObservedAt: time.Now()}
	for _, n := range c.Nodes {
		if n.Role == sim.RoleCP && n.Running() && n.AdminURL != "" {
			v.ControlPlane = n.Name
			client, err := kong.NewClient(kong.String(n.AdminURL), &http.Client{Timeout: 5 * time.Second})
			if err != nil {
				v.Error = err.Error()
				return v
			}
			rows, err := admin.DataPlanes(ctx, client)
			if err != nil {
				v.Error = fmt.Sprintf("%s/clustering/data-planes: %v", n.AdminURL, err)
				return v
			}
			v.fill(c, rows)
			return v
		}
	}
	v.Error = "no control plane runs"
	return v
}

// fill records the rows, judges each one's connection and names its member where a data
// plane member's ID is the row's hostname (one container per hostname).
func (v *ControlPlaneView) fill(c *sim.Cluster, rows []admin.DataPlane) {
	byHost := map[string][]string{}
	for _, n := range c.Nodes {
		if n.Role == sim.RoleDP && n.ID != "" {
			byHost[n.ID] = append(byHost[n.ID], n.Name)
		}
	}
	v.rows = map[string]*ListedDataPlane{}
	for _, r := range rows {
		l := ListedDataPlane{DataPlane: r, Connected: v.ObservedAt.Sub(time.Unix(r.LastSeen, 0)) <= pingGrace}
		if names := byHost[r.Hostname]; len(names) == 1 {
			l.Member = names[0]
		}
		v.DataPlanes = append(v.DataPlanes, l)
	}
	for i := range v.DataPlanes {
		if m := v.DataPlanes[i].Member; m != "" {
			v.rows[m] = &v.DataPlanes[i]
		}
	}
}

// memberCell is what the control plane says of one data plane member, for its row in the
// member table: "connected, normal", "lost 1m0s ago, normal", "not listed", or "" when the
// rows cannot be told apart (see the list below the table).
func (v *ControlPlaneView) memberCell(name string) string {
	switch {
	case v.Error != "":
		return "unknown"
	case len(v.rows) == 0 && len(v.DataPlanes) > 0:
		return "see below"
	}
	r, ok := v.rows[name]
	if !ok {
		return "not listed"
	}
	return r.state(v.ObservedAt)
}

// state is "connected, <sync status>" or "lost <age> ago, <sync status>".
func (r ListedDataPlane) state(now time.Time) string {
	if r.Connected {
		return "connected, " + r.SyncStatus
	}
	return fmt.Sprintf("lost %s ago, %s", now.Sub(time.Unix(r.LastSeen, 0)).Round(time.Second), r.SyncStatus)
}

// print writes the control plane's list under the member table.
func (v *ControlPlaneView) print(w io.Writer) error {
	if v.Error != "" {
		_, err := fmt.Fprintf(w, "\nData planes as the control plane lists them: unknown: %s\n", v.Error)
		return err
	}
	fmt.Fprintf(w, "\nData planes as %s lists them (/clustering/data-planes; connected: a ping within %s):\n", v.ControlPlane, pingGrace)
	if len(v.DataPlanes) == 0 {
		_, err := fmt.Fprintln(w, "none")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tHOSTNAME\tIP\tCONNECTION\tSYNC\tCONFIG HASH\tID")
	for _, r := range v.DataPlanes {
		conn := "connected"
		if !r.Connected {
			conn = strings.TrimSuffix(r.state(v.ObservedAt), ", "+r.SyncStatus)
		}
		member := r.Member
		if member == "" {
			member = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", member, r.Hostname, r.IP, conn, r.SyncStatus, status.ShortHash(r.ConfigHash), r.ID)
	}
	return tw.Flush()
}
