package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// Ports inside the containers: Kong's defaults, status_listen moved off
// loopback so it can be published.
const (
	portProxy    = "8000/tcp"
	portProxySSL = "8443/tcp"
	portAdmin    = "8001/tcp"
	portStatus   = "8007/tcp"
	portPG       = "5432/tcp"

	pgUser     = "kong"
	pgDatabase = "kong"
	// readyLine is logged by the official image's temporary server and again by
	// the real one (initdb restarts): waiting for one would race.
	readyLine = "database system is ready to accept connections"
)

// Up brings the cluster up in Kong's order: networks, PostgreSQL, one
// migrations container, nodes or control planes (Admin /status), data
// planes (/status), then waits until the control plane lists every data
// plane in sync. On failure everything created is removed.
func (r *Runtime) Up(ctx context.Context, spec sim.Spec, st *sim.State, progress func(string)) (c *sim.Cluster, err error) {
	defer recovered(&err)
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if spec.Kubernetes {
		return nil, fmt.Errorf("cluster %q: --kubernetes runs on the local runtime only for now (--runtime local)", spec.Name)
	}
	existing, err := r.containers(ctx, spec.Name)
	if err != nil {
		return nil, err
	}
	if len(existing) > 0 {
		return nil, fmt.Errorf("cluster %q already exists (%d containers); run `kongdb sim down %s` first", spec.Name, len(existing), spec.Name)
	}
	for _, img := range []string{spec.PostgresImage, spec.KongImage, spec.DPImage} {
		if img == "" {
			continue
		}
		if err := r.ensureImage(ctx, img, spec.Pull); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			progress("bring-up failed; removing what was created")
			if derr := r.Down(context.WithoutCancel(ctx), spec.Name); derr != nil {
				err = errors.Join(err, derr)
			}
		}
	}()
	labels := func(role sim.Role, member string, index int) map[string]string {
		return sim.Labels(spec.Name, spec.Mode, role, member, index)
	}
	for _, n := range []string{netDB, netCP} {
		if spec.Mode == sim.Traditional && n == netCP {
			continue
		}
		if _, err := r.cli.NetworkCreate(ctx, networkName(spec.Name, n), client.NetworkCreateOptions{
			Driver: "bridge", Labels: labels(sim.RoleDB, "network-"+n, 0),
		}); err != nil {
			return nil, fmt.Errorf("cluster %q: create network %s: %w", spec.Name, n, err)
		}
	}
	if _, err := r.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: volumeName(spec.Name), Labels: labels(sim.RoleDB, "pgdata", 0)}); err != nil {
		return nil, fmt.Errorf("cluster %q: create volume: %w", spec.Name, err)
	}

	progress(fmt.Sprintf("starting PostgreSQL (%s)", spec.PostgresImage))
	_, err = r.run(ctx, spec.PostgresImage, sim.RoleDB, "db", labels(sim.RoleDB, "db", 0),
		append(PostgresOptions(st.Password), withVolume(volumeName(spec.Name), "/var/lib/postgresql/data"))...)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: PostgreSQL: %w", spec.Name, err)
	}
	db := sim.DBConn{Host: "db", Port: 5432, User: pgUser, Password: st.Password, Database: pgDatabase}

	progress("running kong migrations bootstrap")
	if err := r.migrate(ctx, &spec, st, db, labels(sim.RoleMigrations, "migrations", 0)); err != nil {
		return nil, err
	}

	// Members of one role come up together; data planes only after the control planes.
	members := spec.Members()
	for _, role := range []sim.Role{sim.RoleNode, sim.RoleCP, sim.RoleDP} {
		var wg sync.WaitGroup
		errs := make([]error, len(members))
		for i, m := range members {
			if m.Role != role {
				continue
			}
			progress(fmt.Sprintf("starting %s (%s)", m.Name, m.Image))
			wg.Go(func() {
				if _, err := r.run(ctx, m.Image, m.Role, m.Name, labels(m.Role, m.Name, m.Index), memberOptions(&spec, m, db, st)...); err != nil {
					errs[i] = fmt.Errorf("cluster %q: %s: %w", spec.Name, m.Name, err)
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	return sim.Ready(ctx, r, spec, progress)
}

// PostgresOptions configure a PostgreSQL container as the official image
// takes it (POSTGRES_USER/PASSWORD/DB) and wait until it serves: the ready
// line twice, then pg_isready. A simulator's database needs no durability
// against power loss, so fsync is off (a stop is a fast shutdown, which still
// writes everything).
func PostgresOptions(password string) []testcontainers.ContainerCustomizer {
	return []testcontainers.ContainerCustomizer{
		testcontainers.WithEnv(map[string]string{"POSTGRES_USER": pgUser, "POSTGRES_PASSWORD": password, "POSTGRES_DB": pgDatabase,
			"POSTGRES_INITDB_ARGS": "--no-sync"}),
		testcontainers.WithCmd("postgres", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
		testcontainers.WithExposedPorts(portPG),
		testcontainers.WithWaitStrategyAndDeadline(2*time.Minute,
			wait.ForLog(readyLine).WithOccurrence(2),
			wait.ForExec([]string{"pg_isready", "-h", "127.0.0.1", "-U", pgUser, "-d", pgDatabase})),
	}
}

// memberOptions are a Kong member's environment, ports and wait strategy:
// listeners moved off loopback so they can be published, then the user's
// KONG_* settings, which win.
func memberOptions(spec *sim.Spec, m sim.Member, db sim.DBConn, st *sim.State) []testcontainers.ContainerCustomizer {
	env := sim.KongEnv(spec, m, db, cpAlias+":8005", st.Cert)
	var ports []string
	waitPort := portAdmin
	switch m.Role {
	case sim.RoleNode:
		env["KONG_ADMIN_LISTEN"] = "0.0.0.0:8001, 0.0.0.0:8444 ssl"
		ports = []string{portProxy, portProxySSL, portAdmin, portStatus}
	case sim.RoleCP:
		env["KONG_ADMIN_LISTEN"] = "0.0.0.0:8001, 0.0.0.0:8444 ssl"
		env["KONG_CLUSTER_LISTEN"] = "0.0.0.0:8005"
		ports = []string{portAdmin, portStatus}
	case sim.RoleDP:
		// A DP's /status/ready is 503 until it holds a configuration: gate on /status.
		ports, waitPort = []string{portProxy, portProxySSL, portStatus}, portStatus
	}
	env["KONG_STATUS_LISTEN"] = "0.0.0.0:8007"
	maps.Copy(env, spec.KongEnv)
	return []testcontainers.ContainerCustomizer{
		testcontainers.WithEnv(env), testcontainers.WithCmd("kong", "docker-start"), testcontainers.WithExposedPorts(ports...),
		testcontainers.WithWaitStrategyAndDeadline(2*time.Minute, wait.ForHTTP("/status").WithPort(waitPort)),
	}
}

// run starts one container of the cluster on its networks, published on 127.0.0.1.
func (r *Runtime) run(ctx context.Context, image string, role sim.Role, member string, labels map[string]string, opts ...testcontainers.ContainerCustomizer) (*testcontainers.DockerContainer, error) {
	cluster := labels[sim.LabelCluster]
	nets := networksOf(role)
	base := []testcontainers.ContainerCustomizer{
		testcontainers.WithName(containerName(cluster, member)),
		testcontainers.WithLabels(labels),
		testcontainers.CustomizeRequestOption(func(req *testcontainers.GenericContainerRequest) error {
			// The default bridge carries the published ports; the cluster's
			// networks carry the traffic and can be cut.
			req.Networks = []string{"bridge"}
			req.NetworkAliases = map[string][]string{}
			for _, n := range nets {
				name := networkName(cluster, n)
				req.Networks = append(req.Networks, name)
				req.NetworkAliases[name] = aliases(role, member, n)
			}
			return nil
		}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{}
			for _, p := range []string{portProxy, portProxySSL, portAdmin, portStatus, portPG} {
				hc.PortBindings[network.MustParsePort(p)] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1")}}
			}
		}),
	}
	ctr, err := testcontainers.Run(ctx, image, append(base, opts...)...)
	if err != nil && ctr != nil {
		err = fmt.Errorf("%w%s", err, r.tail(ctx, ctr.GetContainerID()))
	}
	return ctr, err
}

// migrate runs `kong migrations bootstrap` once and checks its exit code.
func (r *Runtime) migrate(ctx context.Context, spec *sim.Spec, st *sim.State, db sim.DBConn, labels map[string]string) error {
	m := sim.Member{Name: "migrations", Role: sim.RoleMigrations}
	ctr, err := r.run(ctx, spec.KongImage, sim.RoleMigrations, m.Name, labels,
		testcontainers.WithEnv(sim.KongEnv(spec, m, db, "", st.Cert)),
		testcontainers.WithCmd("kong", "migrations", "bootstrap", "--yes", "--db-timeout", "60"),
		testcontainers.WithWaitStrategyAndDeadline(3*time.Minute, wait.ForExit()))
	if err != nil {
		return fmt.Errorf("cluster %q: kong migrations bootstrap: %w", spec.Name, err)
	}
	state, err := ctr.State(ctx)
	if err != nil {
		return fmt.Errorf("cluster %q: kong migrations bootstrap: %w", spec.Name, err)
	}
	if state.ExitCode != 0 {
		return fmt.Errorf("cluster %q: kong migrations bootstrap exited with %d%s", spec.Name, state.ExitCode, r.tail(ctx, ctr.GetContainerID()))
	}
	_, err = r.cli.ContainerRemove(ctx, ctr.GetContainerID(), client.ContainerRemoveOptions{Force: true})
	return err
}

// tail returns a container's last log lines, to show why it failed.
func (r *Runtime) tail(ctx context.Context, id string) string {
	var buf bytes.Buffer
	if err := r.logs(context.WithoutCancel(ctx), id, false, "40", &buf); err != nil || buf.Len() == 0 {
		return ""
	}
	return "; its last log lines:\n" + buf.String()
}

func withVolume(name, target string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Source: name, Target: target})
	})
}

// ensureImage applies the pull policy; testcontainers-go pulls only absent
// images, so "missing" is its own behaviour and "always" pulls here.
func (r *Runtime) ensureImage(ctx context.Context, image string, pull sim.PullPolicy) error {
	_, err := r.cli.ImageInspect(ctx, image)
	present := err == nil
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image %q: %w", image, err)
	}
	if present && pull != sim.PullAlways {
		return nil
	}
	if pull == sim.PullNever {
		return fmt.Errorf("image %q is not present and --pull is never: %s", image, sim.ImagesHint)
	}
	resp, err := r.cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err == nil {
		_, err = io.Copy(io.Discard, resp)
		_ = resp.Close()
	}
	if err != nil {
		if present {
			return nil // keep the local copy when the registry is unreachable
		}
		return fmt.Errorf("image %q is not present and cannot be pulled (%v): %s", image, err, sim.ImagesHint)
	}
	return nil
}
