package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/sim"
)

// hybridCluster is a control plane and two data planes in containers whose hostnames are
// their IDs, both processes running.
func hybridCluster() *sim.Cluster {
	return &sim.Cluster{Name: "demo", Mode: sim.Hybrid, Postgres: sim.Postgres{State: "running"}, Nodes: []sim.Node{
		{Name: "cp-1", Role: sim.RoleCP, State: "running", ID: "c0ffee000001", AdminURL: "http://127.0.0.1:8001"},
		{Name: "dp-1", Role: sim.RoleDP, State: "running", ID: "d00d00000001", ProxyURL: "http://127.0.0.1:8000"},
		{Name: "dp-2", Role: sim.RoleDP, State: "running", ID: "d00d00000002", ProxyURL: "http://127.0.0.1:8100"},
	}}
}

// A partitioned data plane's process still runs; sim status must show that its control plane
// lost it (its last ping is older than Kong's ping interval and a half).
func TestSimStatusShowsADataPlaneTheControlPlaneLost(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	c := hybridCluster()
	v := &ControlPlaneView{ControlPlane: "cp-1", ObservedAt: now}
	v.fill(c, []admin.DataPlane{
		{ID: "id-1", Hostname: "d00d00000001", IP: "172.18.0.3", SyncStatus: "normal", ConfigHash: "0a9b8c7d6e5f00112233", LastSeen: now.Add(-75 * time.Second).Unix()},
		{ID: "id-2", Hostname: "d00d00000002", IP: "172.18.0.4", SyncStatus: "normal", ConfigHash: "0a9b8c7d6e5f00112233", LastSeen: now.Add(-3 * time.Second).Unix()},
	})
	var out strings.Builder
	if err := printCluster(&out, c, v, ""); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		"CONTROL PLANE SEES",
		"dp-1 dp running - http://127.0.0.1:8000 lost 1m15s ago, normal",
		"dp-2 dp running - http://127.0.0.1:8100 connected, normal",
		"Data planes as cp-1 lists them",
		"dp-1 d00d00000001 172.18.0.3 lost 1m15s ago normal 0a9b8c7d6e5f id-1",
		"dp-2 d00d00000002 172.18.0.4 connected normal 0a9b8c7d6e5f id-2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("sim status lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSimStatusControlPlaneView(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	seen := now.Add(-time.Second).Unix()
	tests := []struct {
		name  string
		nodes func(c *sim.Cluster)
		rows  []admin.DataPlane
		err   string
		want  map[string]string // member → its cell
	}{
		{name: "a data plane the control plane does not list", rows: []admin.DataPlane{{ID: "a", Hostname: "d00d00000001", SyncStatus: "normal", LastSeen: seen}},
			want: map[string]string{"dp-1": "connected, normal", "dp-2": "not listed"}},
		{name: "local processes share a hostname, so the list below tells", nodes: func(c *sim.Cluster) { c.Nodes[1].ID, c.Nodes[2].ID = "4242", "4343" },
			rows: []admin.DataPlane{{ID: "a", Hostname: "laptop", SyncStatus: "normal", LastSeen: seen}, {ID: "b", Hostname: "laptop", SyncStatus: "normal", LastSeen: seen}},
			want: map[string]string{"dp-1": "see below", "dp-2": "see below"}},
		{name: "a sync status other than normal", rows: []admin.DataPlane{{ID: "a", Hostname: "d00d00000002", SyncStatus: "plugin_set_incompatible", LastSeen: seen}},
			want: map[string]string{"dp-2": "connected, plugin_set_incompatible", "dp-1": "not listed"}},
		{name: "a control plane that does not answer", err: "connection refused", want: map[string]string{"dp-1": "unknown", "dp-2": "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := hybridCluster()
			if tt.nodes != nil {
				tt.nodes(c)
			}
			v := &ControlPlaneView{ControlPlane: "cp-1", ObservedAt: now, Error: tt.err}
			if tt.err == "" {
				v.fill(c, tt.rows)
			}
			for member, want := range tt.want {
				if got := v.memberCell(member); got != want {
					t.Errorf("%s: %q, want %q", member, got, want)
				}
			}
		})
	}
}

// -o json keeps the cluster's fields where they were and adds the control plane's view.
func TestSimStatusJSONAddsTheControlPlaneView(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	c := hybridCluster()
	v := &ControlPlaneView{ControlPlane: "cp-1", ObservedAt: now}
	v.fill(c, []admin.DataPlane{{ID: "id-1", Hostname: "d00d00000001", SyncStatus: "normal", LastSeen: now.Add(-time.Minute).Unix()}})
	var out strings.Builder
	if err := printCluster(&out, c, v, "json"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		sim.Cluster
		ControlPlaneView struct {
			DataPlanes []struct {
				Member    string `json:"member"`
				Connected bool   `json:"connected"`
				Hostname  string `json:"hostname"`
			} `json:"dataPlanes"`
		} `json:"controlPlaneView"`
	}
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if got.Name != "demo" || len(got.Nodes) != 3 {
		t.Errorf("the cluster's fields moved: %+v", got.Cluster)
	}
	if d := got.ControlPlaneView.DataPlanes; len(d) != 1 || d[0].Member != "dp-1" || d[0].Connected || d[0].Hostname != "d00d00000001" {
		t.Errorf("control plane view %+v, want dp-1 lost", d)
	}
}
