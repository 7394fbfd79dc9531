package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// containers lists the containers of cluster (every cluster when empty), running or not.
func (r *Runtime) containers(ctx context.Context, cluster string) ([]container.Summary, error) {
	label := sim.LabelCluster
	if cluster != "" {
		label += "=" + cluster
	}
	res, err := r.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", label)})
	if err != nil {
		return nil, fmt.Errorf("list containers labelled %s: %w", label, err)
	}
	return res.Items, nil
}

// List returns every cluster that has a container.
func (r *Runtime) List(ctx context.Context) ([]sim.Cluster, error) {
	ctrs, err := r.containers(ctx, "")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range ctrs {
		if n := c.Labels[sim.LabelCluster]; !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var out []sim.Cluster
	for _, n := range names {
		c, err := r.Get(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}

// Get inspects the cluster's containers: state, published ports, networks.
func (r *Runtime) Get(ctx context.Context, name string) (*sim.Cluster, error) {
	ctrs, err := r.containers(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(ctrs) == 0 {
		return nil, fmt.Errorf("cluster %q: no containers labelled %s=%s: %w", name, sim.LabelCluster, name, sim.ErrNotFound)
	}
	c := &sim.Cluster{Name: name, Runtime: r.Name(), Mode: sim.Mode(ctrs[0].Labels[sim.LabelMode]),
		Postgres: sim.Postgres{Host: r.host, User: pgUser, Database: pgDatabase}}
	for _, s := range ctrs {
		role := sim.Role(s.Labels[sim.LabelRole])
		if role == sim.RoleMigrations {
			continue
		}
		insp, err := r.cli.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
		if err != nil {
			return nil, fmt.Errorf("cluster %q: inspect %s: %w", name, s.Labels[sim.LabelNode], err)
		}
		ci := insp.Container
		if created, err := time.Parse(time.RFC3339Nano, ci.Created); err == nil && (c.Created.IsZero() || created.Before(c.Created)) {
			c.Created = created
		}
		state := string(ci.State.Status)
		if role == sim.RoleDB {
			c.Postgres.State = state
			c.Postgres.Port = r.port(ci, portPG)
			continue
		}
		idx, _ := strconv.Atoi(s.Labels[sim.LabelIndex])
		n := sim.Node{Name: s.Labels[sim.LabelNode], Role: role, Index: idx, State: state, Image: ci.Config.Image, ID: ci.ID[:12]}
		url := func(scheme, port string) string {
			if p := r.port(ci, port); p != 0 {
				return fmt.Sprintf("%s://%s:%d", scheme, r.host, p)
			}
			return ""
		}
		n.AdminURL, n.StatusURL = url("http", portAdmin), url("http", portStatus)
		if role != sim.RoleCP {
			n.ProxyURL, n.ProxySSLURL = url("http", portProxy), url("https", portProxySSL)
		}
		for _, net := range networksOf(role) {
			if _, ok := ci.NetworkSettings.Networks[networkName(name, net)]; !ok {
				n.CutFrom = append(n.CutFrom, net)
			}
		}
		c.Nodes = append(c.Nodes, n)
	}
	sim.SortNodes(c.Nodes)
	return c, nil
}

func (r *Runtime) port(ci container.InspectResponse, port string) int {
	if ci.NetworkSettings == nil {
		return 0
	}
	for _, b := range ci.NetworkSettings.Ports[network.MustParsePort(port)] {
		if p, err := strconv.Atoi(b.HostPort); err == nil {
			return p
		}
	}
	return 0
}

// Down removes the cluster's containers (with their volumes), networks and
// the named PostgreSQL volume, by label.
func (r *Runtime) Down(ctx context.Context, name string) error {
	ctrs, err := r.containers(ctx, name)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range ctrs {
		if _, err := r.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", c.Labels[sim.LabelNode], err))
		}
	}
	filter := make(client.Filters).Add("label", sim.LabelCluster+"="+name)
	nets, err := r.cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		errs = append(errs, err)
	} else {
		for _, n := range nets.Items {
			if _, err := r.cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			}
		}
	}
	vols, err := r.cli.VolumeList(ctx, client.VolumeListOptions{Filters: filter})
	if err != nil {
		errs = append(errs, err)
	} else {
		for _, v := range vols.Items {
			if _, err := r.cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cluster %q: down: %w", name, err)
	}
	return nil
}

// member finds a member's container by its name label.
func (r *Runtime) member(ctx context.Context, cluster, member string) (container.Summary, error) {
	ctrs, err := r.containers(ctx, cluster)
	if err != nil {
		return container.Summary{}, err
	}
	if len(ctrs) == 0 {
		return container.Summary{}, fmt.Errorf("cluster %q: %w", cluster, sim.ErrNotFound)
	}
	for _, c := range ctrs {
		if c.Labels[sim.LabelNode] == member {
			return c, nil
		}
	}
	return container.Summary{}, fmt.Errorf("cluster %q has no member %q: %w", cluster, member, sim.ErrNotFound)
}

// Fault stops, starts or kills a member's container, or cuts it off a
// cluster network (partition) and reconnects it (heal).
func (r *Runtime) Fault(ctx context.Context, cluster string, f sim.Fault) error {
	c, err := r.member(ctx, cluster, f.Member)
	if err != nil {
		return err
	}
	role := sim.Role(c.Labels[sim.LabelRole])
	switch f.Kind {
	case sim.FaultStop:
		timeout := 10
		_, err = r.cli.ContainerStop(ctx, c.ID, client.ContainerStopOptions{Timeout: &timeout})
	case sim.FaultKill:
		_, err = r.cli.ContainerKill(ctx, c.ID, client.ContainerKillOptions{Signal: "KILL"})
	case sim.FaultStart:
		if _, err = r.cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err == nil {
			err = r.waitServing(ctx, cluster, f.Member, role)
		}
	case sim.FaultPartition:
		var from string
		if from, err = f.PartitionTarget(role); err == nil {
			_, err = r.cli.NetworkDisconnect(ctx, networkName(cluster, from), client.NetworkDisconnectOptions{Container: c.ID, Force: true})
			if cerrdefs.IsNotFound(err) {
				err = nil // already cut off
			}
		}
	case sim.FaultHeal:
		for _, n := range networksOf(role) {
			if _, ok := c.NetworkSettings.Networks[networkName(cluster, n)]; ok {
				continue
			}
			if _, err = r.cli.NetworkConnect(ctx, networkName(cluster, n), client.NetworkConnectOptions{
				Container: c.ID, EndpointConfig: &network.EndpointSettings{Aliases: aliases(role, f.Member, n)},
			}); err != nil {
				break
			}
		}
	default:
		err = fmt.Errorf("unknown fault %q", f.Kind)
	}
	if err != nil {
		return fmt.Errorf("cluster %q: %s %s: %w", cluster, f.Kind, f.Member, err)
	}
	return nil
}

// waitServing waits, after a start, until the member answers again: Kong on
// /status (its ports may have moved), PostgreSQL on pg_isready.
func (r *Runtime) waitServing(ctx context.Context, cluster, member string, role sim.Role) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		ok, err := r.serving(ctx, cluster, member, role)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not serving after start: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (r *Runtime) serving(ctx context.Context, cluster, member string, role sim.Role) (bool, error) {
	if role == sim.RoleDB {
		code, err := r.exec(ctx, cluster, member, []string{"pg_isready", "-h", "127.0.0.1", "-U", pgUser, "-d", pgDatabase}, nil, io.Discard, io.Discard)
		return err == nil && code == 0, err
	}
	c, err := r.Get(ctx, cluster)
	if err != nil {
		return false, err
	}
	n, err := c.Find(member)
	if err != nil {
		return false, err
	}
	u := n.AdminURL
	if u == "" {
		u = n.StatusURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/status", nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, fmt.Errorf("GET %s/status: %s", u, resp.Status)
}

// Logs copies a member's stdout and stderr to w.
func (r *Runtime) Logs(ctx context.Context, cluster, member string, follow bool, w io.Writer) error {
	c, err := r.member(ctx, cluster, member)
	if err != nil {
		return err
	}
	return r.logs(ctx, c.ID, follow, "all", w)
}

func (r *Runtime) logs(ctx context.Context, id string, follow bool, tail string, w io.Writer) error {
	rc, err := r.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Tail: tail})
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = stdcopy.StdCopy(w, w, rc)
	if ctx.Err() != nil {
		return nil // following ends with the context
	}
	return err
}

// Psql runs psql inside the PostgreSQL container as the cluster's user.
func (r *Runtime) Psql(ctx context.Context, cluster string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := append([]string{"psql", "-U", pgUser, "-d", pgDatabase}, args...)
	code, err := r.exec(ctx, cluster, "db", cmd, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("cluster %q: psql exited with %d", cluster, code)
	}
	return nil
}

// exec runs cmd in a member's container, streaming stdin and its output.
func (r *Runtime) exec(ctx context.Context, cluster, member string, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c, err := r.member(ctx, cluster, member)
	if err != nil {
		return 0, err
	}
	ex, err := r.cli.ExecCreate(ctx, c.ID, client.ExecCreateOptions{Cmd: cmd, AttachStdin: stdin != nil, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return 0, fmt.Errorf("cluster %q: exec in %s: %w", cluster, member, err)
	}
	att, err := r.cli.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		return 0, fmt.Errorf("cluster %q: exec in %s: %w", cluster, member, err)
	}
	defer att.Close()
	if stdin != nil {
		go func() {
			_, _ = io.Copy(att.Conn, stdin)
			_ = att.CloseWrite()
		}()
	}
	if _, err := stdcopy.StdCopy(stdout, stderr, att.Reader); err != nil {
		return 0, err
	}
	insp, err := r.cli.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
	if err != nil {
		return 0, err
	}
	return insp.ExitCode, nil
}
