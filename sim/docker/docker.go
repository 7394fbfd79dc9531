// Package docker is the simulator's container runtime, on testcontainers-go:
// PostgreSQL, a one-shot migrations container and Kong containers on
// per-cluster networks, every resource labelled so later processes find it,
// ports published on 127.0.0.1 only, and Ryuk off so clusters outlive the
// command that made them.
package docker

import (
	"context"
	"fmt"
	"io"
	stdlog "log"
	"net/url"
	"os"
	"time"

	"github.com/moby/moby/client"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// Runtime runs clusters as containers.
type Runtime struct {
	cli *client.Client
	// host is where published ports are reached from this process.
	host string
}

var _ sim.Runtime = (*Runtime)(nil)

// Name is "docker".
func (r *Runtime) Name() string { return "docker" }

// New connects to the Docker engine named by DOCKER_HOST (or the default
// socket) and checks that it answers; otherwise the error wraps
// sim.ErrRuntimeUnavailable and says how to fix it. It sets
// TESTCONTAINERS_RYUK_DISABLED (clusters must outlive the process; tests clean
// up themselves) and, for a local socket, TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
// unless the user set them, before testcontainers-go reads its configuration.
func New(ctx context.Context) (*Runtime, error) {
	dockerHost := os.Getenv("DOCKER_HOST")
	shown := dockerHost
	if dockerHost == "" {
		shown = "unix:///var/run/docker.sock (DOCKER_HOST is not set)"
		if _, err := os.Stat("/var/run/docker.sock"); err != nil {
			return nil, unavailable(shown, err)
		}
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, unavailable(shown, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = cli.Close()
		return nil, unavailable(shown, err)
	}
	setDefault("TESTCONTAINERS_RYUK_DISABLED", "true")
	// Progress is reported by the caller; testcontainers-go's own lines would interleave with it.
	tclog.SetDefault(stdlog.New(io.Discard, "", 0))
	host := "127.0.0.1"
	if u, err := url.Parse(dockerHost); err == nil && (u.Scheme == "tcp" || u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" {
		host = u.Hostname()
	} else {
		// A local socket: published ports are on this machine, even when this
		// process runs in a container, where testcontainers-go would guess the gateway.
		setDefault("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	if h := os.Getenv("TESTCONTAINERS_HOST_OVERRIDE"); h != "" {
		host = h
	}
	return &Runtime{cli: cli, host: host}, nil
}

func setDefault(key, value string) {
	if _, ok := os.LookupEnv(key); !ok {
		_ = os.Setenv(key, value)
	}
}

func unavailable(host string, err error) error {
	return fmt.Errorf("%w: cannot reach the Docker engine at %s: %v\n"+
		"fix: start the Docker engine, or set DOCKER_HOST to its socket (for example unix:///var/run/docker.sock), "+
		"or use --runtime local to run PostgreSQL and the emulator as local processes", sim.ErrRuntimeUnavailable, host, err)
}

// Close releases the engine connection.
func (r *Runtime) Close() error { return r.cli.Close() }

// Names of a cluster's resources.
func containerName(cluster, member string) string { return "kongdb-sim-" + cluster + "-" + member }
func networkName(cluster, net string) string      { return "kongdb-sim-" + cluster + "-" + net }
func volumeName(cluster string) string            { return "kongdb-sim-" + cluster + "-pgdata" }

// The two networks of a cluster: "db" joins PostgreSQL with nodes and control
// planes, "cp" joins control planes with data planes, so a partition can cut a
// member off one side and not the other. Every container's ports are
// published through Docker's default bridge, which has no DNS: cut off a
// network, a member can no longer resolve its peers there.
const (
	netDB = "db"
	netCP = "cp"
)

func networksOf(role sim.Role) []string {
	switch role {
	case sim.RoleDB, sim.RoleNode, sim.RoleMigrations:
		return []string{netDB}
	case sim.RoleCP:
		return []string{netDB, netCP}
	case sim.RoleDP:
		return []string{netCP}
	}
	return nil
}

// aliases are a member's DNS names on net: its own name, "db" for
// PostgreSQL, and "kong-cp" shared by every control plane so data planes
// reach whichever answers.
func aliases(role sim.Role, member, net string) []string {
	as := []string{member}
	if role == sim.RoleCP && net == netCP {
		as = append(as, cpAlias)
	}
	return as
}

const cpAlias = "kong-cp"

// recovered turns a testcontainers-go panic (it panics when it finds no
// Docker host) into an error.
func recovered(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%w: testcontainers-go: %v", sim.ErrRuntimeUnavailable, p)
	}
}
