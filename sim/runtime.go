package sim

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Runtime brings clusters up and down and injects faults. Every method but Up
// finds the cluster by name from scratch (labels, state), so a cluster
// outlives the process that made it.
type Runtime interface {
	// Name is the runtime's --runtime value.
	Name() string
	// Up creates the cluster and returns once every member is ready; on
	// failure it removes what it created. progress receives one line per step.
	Up(ctx context.Context, spec Spec, st *State, progress func(string)) (*Cluster, error)
	// List returns every cluster of this runtime.
	List(ctx context.Context) ([]Cluster, error)
	// Get returns the cluster's live view; ErrNotFound when it has no member.
	Get(ctx context.Context, name string) (*Cluster, error)
	// Down removes every member, network and volume of the cluster.
	Down(ctx context.Context, name string) error
	// Logs writes a member's output to w, following it while ctx lives when follow is set.
	Logs(ctx context.Context, cluster, member string, follow bool, w io.Writer) error
	// Fault injects or repairs one fault.
	Fault(ctx context.Context, cluster string, f Fault) error
	// Psql runs psql against the cluster's database with the given arguments.
	Psql(ctx context.Context, cluster string, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// FaultKind is a fault verb.
type FaultKind string

// The fault verbs of `kongdb sim`.
const (
	FaultStop      FaultKind = "stop"
	FaultStart     FaultKind = "start"
	FaultKill      FaultKind = "kill"
	FaultPartition FaultKind = "partition"
	FaultHeal      FaultKind = "heal"
)

// Fault is one fault to inject into (or repair in) a member; member "db"
// is PostgreSQL (`sim db down` is a stop of "db").
type Fault struct {
	Kind   FaultKind
	Member string
	// From is what a partition cuts the member off: "db" or "cp"; empty means
	// what the member depends on (db for nodes and control planes, cp for data planes).
	From string
}

// PartitionTarget resolves Fault.From for a member's role.
func (f Fault) PartitionTarget(role Role) (string, error) {
	from := f.From
	if from == "" {
		from = "db"
		if role == RoleDP {
			from = "cp"
		}
	}
	switch {
	case from == "db" && (role == RoleNode || role == RoleCP):
	case from == "cp" && role == RoleDP:
	default:
		return "", fmt.Errorf("member %q (%s) cannot be partitioned from %q: nodes and control planes from db, data planes from cp", f.Member, role, from)
	}
	return from, nil
}

// Cluster is the live view of a cluster.
type Cluster struct {
	Name     string    `json:"name"`
	Runtime  string    `json:"runtime"`
	Mode     Mode      `json:"mode"`
	Created  time.Time `json:"created,omitzero"`
	Postgres Postgres  `json:"postgres"`
	Nodes    []Node    `json:"nodes"`
	// Kube is the cluster's Kubernetes, when it was brought up with one.
	Kube *Kube `json:"kubernetes,omitempty"`
}

// Kube is the simulator's Kubernetes as it runs now: where its API server is,
// the kubeconfig file that reaches it as cluster admin, and its members
// (etcd, kube-apiserver, kube-controller-manager, node-agent) with their state.
type Kube struct {
	Server     string `json:"server"`
	Kubeconfig string `json:"kubeconfig"`
	Members    []Node `json:"members"`
}

// Postgres is the cluster's database as seen from the host. The password is
// kept in the state only; DSN adds it for `sim env`.
type Postgres struct {
	Host     string `json:"host"`
	Port     int    `json:"port,omitempty"`
	User     string `json:"user"`
	Database string `json:"database"`
	State    string `json:"state"`
}

// DSN is the libpq URL of the database with password.
func (p Postgres) DSN(password string) string {
	return fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", p.User, password, p.Host, p.Port, p.Database)
}

// Node is one Kong member as it runs now.
type Node struct {
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	Index int    `json:"index"`
	// State is running, exited, paused, created...
	State   string `json:"state"`
	Image   string `json:"image,omitempty"`
	Version string `json:"version,omitempty"`
	// ID is the container id or the process id.
	ID          string `json:"id"`
	AdminURL    string `json:"adminURL,omitempty"`
	ProxyURL    string `json:"proxyURL,omitempty"`
	ProxySSLURL string `json:"proxySSLURL,omitempty"`
	StatusURL   string `json:"statusURL,omitempty"`
	// CutFrom lists what a partition has cut the member off ("db", "cp").
	CutFrom []string `json:"cutFrom,omitempty"`
}

// Running reports whether the member's process runs.
func (n Node) Running() bool { return n.State == "running" }

// Find returns the member named name.
func (c *Cluster) Find(name string) (Node, error) {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n, nil
		}
	}
	return Node{}, fmt.Errorf("cluster %q has no member %q: %w", c.Name, name, ErrNotFound)
}
