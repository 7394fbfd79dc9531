// Package sim describes a simulated Kong cluster on PostgreSQL — its topology
// (Spec), the runtimes that bring it up (Runtime: containers or local
// processes), the labels and state that let any later process find it, and
// the faults a test or a user can inject. It knows no Docker details; the
// runtimes live in sim/docker and sim/local.
package sim

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Mode is the cluster topology.
type Mode string

// The topologies Kong runs on PostgreSQL.
const (
	// Traditional: every node has the database and the Admin API.
	Traditional Mode = "traditional"
	// Hybrid: control planes own the database; data planes get the configuration over port 8005.
	Hybrid Mode = "hybrid"
)

// Role is what a member of the cluster does; it is also the value of LabelRole.
type Role string

// The roles, in the order a cluster comes up.
const (
	RoleDB         Role = "db"
	RoleMigrations Role = "migrations"
	RoleNode       Role = "node"
	RoleCP         Role = "cp"
	RoleDP         Role = "dp"
	// RoleKube is a member of the simulator's Kubernetes (sim up --kubernetes): etcd,
	// kube-apiserver, kube-controller-manager and the node agent.
	RoleKube Role = "kube"
)

// Labels carried by every container, network and volume of a cluster, so that
// every later command, from any process, finds the cluster's parts.
const (
	LabelCluster = "io.kongdb.sim/cluster"
	LabelRole    = "io.kongdb.sim/role"
	LabelIndex   = "io.kongdb.sim/index"
	// LabelNode is the member's name as users type it (node-1, cp-1, dp-2, db).
	LabelNode = "io.kongdb.sim/node"
	// LabelMode records the topology, so listing needs no state file.
	LabelMode = "io.kongdb.sim/mode"
)

// PullPolicy says when a runtime pulls images.
type PullPolicy string

// Pull policies, as docker run --pull names them.
const (
	PullAlways  PullPolicy = "always"
	PullMissing PullPolicy = "missing"
	PullNever   PullPolicy = "never"
)

// Default images: the official ones. `make images` builds local stand-ins and
// the KONGDB_SIM_* variables select them.
const (
	DefaultKongImage     = "kong:3.9"
	DefaultPostgresImage = "postgres:16-alpine"
	// ImagesHint is the fix named whenever an image is missing.
	ImagesHint = "build the local images with `make images` and select them with the KONGDB_SIM_KONG_IMAGE and KONGDB_SIM_POSTGRES_IMAGE variables it prints"
)

// Spec is the cluster a user asks for.
type Spec struct {
	Name string `json:"name"`
	Mode Mode   `json:"mode"`
	// Nodes is the number of traditional nodes.
	Nodes int `json:"nodes,omitempty"`
	// ControlPlanes and DataPlanes size a hybrid cluster.
	ControlPlanes int `json:"controlPlanes,omitempty"`
	DataPlanes    int `json:"dataPlanes,omitempty"`

	KongImage string `json:"kongImage"`
	// DPImage runs data planes on another image, for mixed versions; empty means KongImage.
	DPImage       string     `json:"dpImage,omitempty"`
	PostgresImage string     `json:"postgresImage"`
	Pull          PullPolicy `json:"pull"`
	// KongEnv is added to every Kong container's environment, after the simulator's own settings.
	KongEnv map[string]string `json:"kongEnv,omitempty"`
	// Kubernetes adds a Kubernetes control plane and a node agent, with the Kong cluster laid
	// out in it as KIC's Helm chart would (sim/kube).
	Kubernetes bool `json:"kubernetes,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ValidateName rejects a cluster name that is not 1-40 lowercase letters,
// digits or dashes. The name becomes a directory under StateRoot and a
// label value, so every verb checks it: "../.." would otherwise make `sim
// down` remove directories outside the state root.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("cluster name %q is invalid: use 1-40 lowercase letters, digits or dashes", name)
	}
	return nil
}

// Validate reports the first invalid field, by its flag name.
func (s *Spec) Validate() error {
	if err := ValidateName(s.Name); err != nil {
		return err
	}
	switch s.Mode {
	case Traditional:
		if s.Nodes < 1 {
			return fmt.Errorf("cluster %q: --nodes must be at least 1, got %d", s.Name, s.Nodes)
		}
	case Hybrid:
		if s.ControlPlanes < 1 {
			return fmt.Errorf("cluster %q: --control-planes must be at least 1, got %d", s.Name, s.ControlPlanes)
		}
		if s.DataPlanes < 0 {
			return fmt.Errorf("cluster %q: --data-planes must not be negative, got %d", s.Name, s.DataPlanes)
		}
	default:
		return fmt.Errorf("cluster %q: --mode must be traditional or hybrid, got %q", s.Name, s.Mode)
	}
	switch s.Pull {
	case PullAlways, PullMissing, PullNever:
	default:
		return fmt.Errorf("cluster %q: --pull must be always, missing or never, got %q", s.Name, s.Pull)
	}
	if s.KongImage == "" || s.PostgresImage == "" {
		return fmt.Errorf("cluster %q: --kong-image and --postgres-image must not be empty", s.Name)
	}
	for k := range s.KongEnv {
		if !strings.HasPrefix(k, "KONG_") {
			return fmt.Errorf("cluster %q: --kong-env %s: only KONG_* variables configure Kong", s.Name, k)
		}
	}
	return nil
}

// Member is one process of the cluster as the spec plans it.
type Member struct {
	Name  string
	Role  Role
	Index int
	Image string
}

// Members lists the Kong processes of the spec in bring-up order (nodes or
// control planes, then data planes).
func (s *Spec) Members() []Member {
	var ms []Member
	add := func(role Role, n int, image string) {
		for i := 1; i <= n; i++ {
			ms = append(ms, Member{Name: fmt.Sprintf("%s-%d", role, i), Role: role, Index: i, Image: image})
		}
	}
	if s.Mode == Traditional {
		add(RoleNode, s.Nodes, s.KongImage)
		return ms
	}
	dpImage := s.DPImage
	if dpImage == "" {
		dpImage = s.KongImage
	}
	add(RoleCP, s.ControlPlanes, s.KongImage)
	add(RoleDP, s.DataPlanes, dpImage)
	return ms
}

// Labels are the labels of one member of cluster name.
func Labels(name string, mode Mode, role Role, node string, index int) map[string]string {
	return map[string]string{
		LabelCluster: name, LabelMode: string(mode), LabelRole: string(role),
		LabelNode: node, LabelIndex: fmt.Sprint(index),
	}
}

// ParseEnv turns KEY=VAL lines (from --kong-env or an --env-file) into a map;
// blank lines and # comments are skipped, as docker's --env-file does.
func ParseEnv(lines []string, into map[string]string, source string) error {
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return fmt.Errorf("%s line %d: %q is not KEY=VALUE", source, i+1, line)
		}
		into[k] = v
	}
	return nil
}

// KongEnv is the environment of a Kong member: Kong's settings for its role,
// then the user's KONG_* variables, which win. db names the PostgreSQL
// endpoint, cp the control plane's cluster endpoint.
func KongEnv(spec *Spec, m Member, db DBConn, cp string, cert ClusterCert) map[string]string {
	env := map[string]string{
		"KONG_PROXY_ACCESS_LOG": "/dev/stdout", "KONG_ADMIN_ACCESS_LOG": "/dev/stdout",
		"KONG_PROXY_ERROR_LOG": "/dev/stderr", "KONG_ADMIN_ERROR_LOG": "/dev/stderr",
	}
	dbEnv := func() {
		env["KONG_DATABASE"] = "postgres"
		env["KONG_PG_HOST"], env["KONG_PG_PORT"] = db.Host, fmt.Sprint(db.Port)
		env["KONG_PG_USER"], env["KONG_PG_PASSWORD"], env["KONG_PG_DATABASE"] = db.User, db.Password, db.Database
	}
	clusterEnv := func() {
		env["KONG_CLUSTER_CERT"], env["KONG_CLUSTER_CERT_KEY"] = string(cert.CertPEM), string(cert.KeyPEM)
	}
	switch m.Role {
	case RoleNode, RoleMigrations:
		dbEnv()
	case RoleCP:
		dbEnv()
		clusterEnv()
		env["KONG_ROLE"] = "control_plane"
	case RoleDP:
		clusterEnv()
		env["KONG_ROLE"], env["KONG_DATABASE"] = "data_plane", "off"
		env["KONG_CLUSTER_CONTROL_PLANE"] = cp
		// Older Kongs need the shared certificate among the trusted ones; 3.x adds it itself.
		env["KONG_LUA_SSL_TRUSTED_CERTIFICATE"] = "system," + string(cert.CertPEM)
	}
	maps.Copy(env, spec.KongEnv)
	return env
}

// DBConn is how Kong members reach PostgreSQL.
type DBConn struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
}

// ClusterCert is the hybrid-mode shared certificate and key, PEM-encoded.
type ClusterCert struct {
	CertPEM, KeyPEM []byte
}

// SortNodes orders members as they come up: db, nodes, control planes, data planes, each by index.
func SortNodes(nodes []Node) {
	order := map[Role]int{RoleDB: 0, RoleMigrations: 1, RoleNode: 2, RoleCP: 3, RoleDP: 4, RoleKube: 5}
	slices.SortFunc(nodes, func(a, b Node) int {
		if d := order[a.Role] - order[b.Role]; d != 0 {
			return d
		}
		return a.Index - b.Index
	})
}

// ErrNotFound is returned when no cluster or member has the given name.
var ErrNotFound = errors.New("not found")

// ErrRuntimeUnavailable is returned by a runtime that cannot work on this
// machine (no Docker engine, no PostgreSQL binaries); --runtime auto then
// tries the next one.
var ErrRuntimeUnavailable = errors.New("runtime unavailable")
