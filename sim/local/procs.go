//go:build unix

package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/emulator"
)

// Kong's ports, on each member's own address.
const (
	portProxy    = 8000
	portProxySSL = 8443
	portAdmin    = 8001
	portStatus   = 8007
	portCluster  = 8005
)

func hostPort(a string, port int) string { return net.JoinHostPort(a, strconv.Itoa(port)) }

// spawn starts a detached process logging to the member's log file.
func (r *Runtime) spawn(st *sim.State, member string, argv, env []string, asRunAs bool) (int, error) {
	f, err := os.OpenFile(logPath(st, member), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if asRunAs {
		cmd.SysProcAttr = r.sysProcAttr(true)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	// Reap it if it ends while we run; once we exit, init does.
	go func() { _ = cmd.Wait() }()
	return cmd.Process.Pid, nil
}

func logPath(st *sim.State, member string) string {
	return filepath.Join(st.Dir, "logs", member+".log")
}

// startMember starts PostgreSQL or an emulator member and waits until it serves.
func (r *Runtime) startMember(ctx context.Context, st *sim.State, member string) error {
	p := st.Processes[member]
	var err error
	if p.Role == sim.RoleKube {
		return r.startKubeMember(ctx, st, member)
	}
	if p.Role == sim.RoleDB {
		argv := []string{filepath.Join(st.PGBinDir, "postgres"), "-D", st.DataDir, "-p", strconv.Itoa(pgPort),
			"-c", "listen_addresses=" + p.Addr, "-c", "unix_socket_directories=" + filepath.Dir(st.DataDir),
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"}
		if p.PID, err = r.spawn(st, member, argv, os.Environ(), true); err != nil {
			return err
		}
		if err := st.Save(); err != nil {
			return err
		}
		if err := waitPG(ctx, st, func() bool { return !alive(p.PID) }); err != nil {
			return fmt.Errorf("%w%s", err, tail(st, member))
		}
		return nil
	}
	m := sim.Member{Name: member, Role: p.Role, Index: p.Index}
	db := sim.DBConn{Host: p.LinkAddr, Port: pgPort, User: pgUser, Password: st.Password, Database: pgDatabase}
	env := kongEnv(st, m, db, hostPort(p.LinkAddr, portCluster))
	kubeAdmin, kubeProxy := kubeListen(st, p)
	env = append(env, "KONG_PREFIX="+filepath.Join(st.Dir, "prefix", member),
		"KONG_STATUS_LISTEN="+hostPort(p.Addr, portStatus),
		fmt.Sprintf("KONG_PROXY_LISTEN=%s, %s ssl%s", hostPort(p.Addr, portProxy), hostPort(p.Addr, portProxySSL), kubeProxy),
		fmt.Sprintf("KONG_ADMIN_LISTEN=%s, %s ssl%s", hostPort(p.Addr, portAdmin), hostPort(p.Addr, 8444), kubeAdmin),
		"KONG_CLUSTER_LISTEN="+hostPort(p.Addr, portCluster))
	for k, v := range st.Spec.KongEnv { // the user's settings win over the listeners too
		env = append(env, k+"="+v)
	}
	if p.PID, err = r.spawn(st, member, append(append([]string{}, r.o.Emulator...), "start"), env, false); err != nil {
		return err
	}
	if err := st.Save(); err != nil {
		return err
	}
	url := "http://" + hostPort(p.Addr, portAdmin) + "/status"
	if p.Role == sim.RoleDP {
		url = "http://" + hostPort(p.Addr, portStatus) + "/status"
	}
	if err := waitHTTP(ctx, url, func() bool { return !alive(p.PID) }); err != nil {
		return fmt.Errorf("%w%s", err, tail(st, member))
	}
	return nil
}

// tail returns the last lines of a member's log, to show why it failed.
func tail(st *sim.State, member string) string {
	raw, err := os.ReadFile(logPath(st, member))
	if err != nil || len(raw) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return "; its last log lines:\n" + strings.Join(lines, "\n")
}

// startLink starts the relay between a member and what it depends on:
// PostgreSQL for nodes and control planes, the first control plane's cluster
// port for data planes.
func (r *Runtime) startLink(st *sim.State, member string) error {
	p := st.Processes[member]
	target := hostPort(st.Processes["db"].Addr, pgPort)
	listen := hostPort(p.LinkAddr, pgPort)
	if p.Role == sim.RoleDP {
		target = hostPort(st.Processes["cp-1"].Addr, portCluster)
		listen = hostPort(p.LinkAddr, portCluster)
	}
	argv := append(append([]string{}, r.o.Link...), "-listen", listen, "-target", target)
	if p.Cut {
		argv = append(argv, "-cut")
	}
	pid, err := r.spawn(st, member+".link", argv, os.Environ(), false)
	if err != nil {
		return err
	}
	p.LinkPID = pid
	if err := st.Save(); err != nil {
		return err
	}
	// The link is ready when it accepts (or, cut, when it runs).
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return fmt.Errorf("link %s exited; see %s", listen, logPath(st, member+".link"))
		}
		if p.Cut {
			return nil
		}
		if c, err := net.DialTimeout("tcp", listen, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("link %s did not listen within 10s", listen)
}

func waitPG(ctx context.Context, st *sim.State, exited func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, dsn(st, "postgres"))
		ccancel()
		if err == nil {
			return conn.Close(ctx)
		}
		if exited() {
			return fmt.Errorf("postgres exited; see %s", logPath(st, "db"))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections within a minute: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// oneProcess reports whether pid names a single process we may signal. A
// state file is data: a PID of 0 means our own process group to kill(2), -1
// every process we may signal, another negative a group, and 1 is init, so
// none of them may ever reach a signal.
func oneProcess(pid int) bool { return pid > 1 }

// alive reports whether pid runs (a zombie does not), as `kong stop` asks
// it; a PID that is not one process (oneProcess) never runs.
func alive(pid int) bool { return oneProcess(pid) && emulator.ProcessAlive(pid) }

// signalPID sends sig to pid, and refuses a PID that is not one process.
func signalPID(pid int, sig syscall.Signal) error {
	if !oneProcess(pid) {
		return fmt.Errorf("refusing to signal pid %d: not a single process", pid)
	}
	return syscall.Kill(pid, sig)
}

// signalWait sends sig and waits until pid is gone, then SIGKILLs it.
func signalWait(pid int, sig syscall.Signal, grace time.Duration) error {
	if !alive(pid) {
		return nil
	}
	if err := signalPID(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	deadline := time.Now().Add(grace)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = signalPID(pid, syscall.SIGKILL)
			deadline = time.Now().Add(5 * time.Second)
			grace = 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// stopAll ends every process of the cluster and removes a data directory
// kept outside the state directory.
func (r *Runtime) stopAll(st *sim.State) error {
	stopKube(st)
	for name, p := range st.Processes {
		if name == "db" {
			continue
		}
		_ = signalWait(p.PID, syscall.SIGKILL, 5*time.Second)
		_ = signalWait(p.LinkPID, syscall.SIGTERM, 5*time.Second)
	}
	if db := st.Processes["db"]; db != nil {
		_ = signalWait(db.PID, syscall.SIGQUIT, 10*time.Second) // immediate shutdown: the data goes too
	}
	if st.DataDir != "" && !strings.HasPrefix(st.DataDir, st.Dir+string(filepath.Separator)) {
		base := filepath.Dir(st.DataDir)
		if !ownTempDir(st, base) {
			return fmt.Errorf("data directory %s is neither under %s nor a temporary directory of this cluster: left in place", st.DataDir, st.Dir)
		}
		return os.RemoveAll(base)
	}
	return nil
}

// ownTempDir reports whether dir is one initDB makes (os.MkdirTemp with the
// cluster's prefix) and nothing else: the state file is data, and a data
// directory recorded as /home/me/pgdata must not make down remove /home/me.
func ownTempDir(st *sim.State, dir string) bool {
	return filepath.Dir(dir) == filepath.Clean(os.TempDir()) &&
		strings.HasPrefix(filepath.Base(dir), tempPrefix(st.Spec.Name))
}

// tempPrefix is the name prefix of the cluster's temporary data directory.
func tempPrefix(cluster string) string { return "kongdb-sim-" + cluster + "-" }

// Get reads the state and checks which processes run.
func (r *Runtime) Get(_ context.Context, name string) (*sim.Cluster, error) {
	st, err := sim.LoadState(name)
	if err != nil {
		return nil, err
	}
	if st.Runtime != r.Name() || len(st.Processes) == 0 {
		return nil, fmt.Errorf("cluster %q has no local processes: %w", name, sim.ErrNotFound)
	}
	state := func(pid int) string {
		if alive(pid) {
			return "running"
		}
		return "exited"
	}
	c := &sim.Cluster{Name: name, Runtime: r.Name(), Mode: st.Spec.Mode, Created: st.Created}
	c.Kube = kubeView(st)
	for member, p := range st.Processes {
		if p.Role == sim.RoleKube {
			continue
		}
		if p.Role == sim.RoleDB {
			c.Postgres = sim.Postgres{Host: p.Addr, Port: pgPort, User: pgUser, Database: pgDatabase, State: state(p.PID)}
			continue
		}
		n := sim.Node{Name: member, Role: p.Role, Index: p.Index, State: state(p.PID), Image: "local", ID: strconv.Itoa(p.PID)}
		if n.Running() {
			if p.Role != sim.RoleDP {
				n.AdminURL = "http://" + hostPort(p.Addr, portAdmin)
			}
			if p.Role != sim.RoleCP {
				n.ProxyURL, n.ProxySSLURL = "http://"+hostPort(p.Addr, portProxy), "https://"+hostPort(p.Addr, portProxySSL)
			}
			n.StatusURL = "http://" + hostPort(p.Addr, portStatus)
		}
		if p.Cut {
			n.CutFrom = []string{"db"}
			if p.Role == sim.RoleDP {
				n.CutFrom = []string{"cp"}
			}
		}
		c.Nodes = append(c.Nodes, n)
	}
	sim.SortNodes(c.Nodes)
	return c, nil
}

// List returns the local clusters recorded under the state root.
func (r *Runtime) List(ctx context.Context) ([]sim.Cluster, error) {
	root, err := sim.StateRoot()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []sim.Cluster
	for _, e := range entries {
		if c, err := r.Get(ctx, e.Name()); err == nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// Down ends every process of the cluster and removes its data.
func (r *Runtime) Down(_ context.Context, name string) error {
	st, err := sim.LoadState(name)
	if err != nil {
		return err
	}
	if err := r.stopAll(st); err != nil {
		return fmt.Errorf("cluster %q: down: %w", name, err)
	}
	st.Processes = nil
	return st.Save()
}

// Fault signals a member's process or its link.
func (r *Runtime) Fault(ctx context.Context, cluster string, f sim.Fault) error {
	st, err := sim.LoadState(cluster)
	if err != nil {
		return err
	}
	if pod, ok := strings.CutPrefix(f.Member, "pod/"); ok {
		if f.Kind != sim.FaultKill {
			return fmt.Errorf("cluster %q: %s %s: pods can only be killed (their node agent restarts them); delete them with kubectl", cluster, f.Kind, f.Member)
		}
		return killPod(st, pod)
	}
	p := st.Processes[f.Member]
	if p == nil {
		return fmt.Errorf("cluster %q has no member %q: %w", cluster, f.Member, sim.ErrNotFound)
	}
	switch f.Kind {
	case sim.FaultStop:
		sig := syscall.SIGTERM
		if p.Role == sim.RoleDB {
			sig = syscall.SIGINT // PostgreSQL's fast shutdown
		}
		err = signalWait(p.PID, sig, 10*time.Second)
	case sim.FaultKill:
		err = signalWait(p.PID, syscall.SIGKILL, 5*time.Second)
	case sim.FaultStart:
		if !alive(p.PID) {
			err = r.startMember(ctx, st, f.Member)
		}
	case sim.FaultPartition, sim.FaultHeal:
		if _, err = f.PartitionTarget(p.Role); f.Kind == sim.FaultPartition && err != nil {
			break
		}
		err = nil
		p.Cut = f.Kind == sim.FaultPartition
		if !alive(p.LinkPID) {
			err = r.startLink(st, f.Member)
		} else if p.Cut {
			err = signalPID(p.LinkPID, sigCut)
		} else {
			err = signalPID(p.LinkPID, sigHeal)
		}
		if err == nil {
			err = st.Save()
		}
	default:
		err = fmt.Errorf("unknown fault %q", f.Kind)
	}
	if err != nil {
		return fmt.Errorf("cluster %q: %s %s: %w", cluster, f.Kind, f.Member, err)
	}
	if st.Spec.Kubernetes && p.Role != sim.RoleKube && p.Role != sim.RoleDB && f.Kind != sim.FaultPartition && f.Kind != sim.FaultHeal {
		if err := relayoutKong(ctx, st); err != nil {
			return fmt.Errorf("cluster %q: %s %s was done, but Kong's EndpointSlices still show it as before: %w", cluster, f.Kind, f.Member, err)
		}
	}
	return nil
}

// Logs copies the member's log file, following it while ctx lives.
func (r *Runtime) Logs(ctx context.Context, cluster, member string, follow bool, w io.Writer) error {
	st, err := sim.LoadState(cluster)
	if err != nil {
		return err
	}
	f, err := os.Open(logPath(st, member))
	if err != nil {
		return fmt.Errorf("cluster %q: logs of %s: %w", cluster, member, err)
	}
	defer f.Close()
	for {
		if _, err := io.Copy(w, f); err != nil {
			return err
		}
		if !follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Psql runs the local psql against the cluster's database.
func (r *Runtime) Psql(ctx context.Context, cluster string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	st, err := sim.LoadState(cluster)
	if err != nil {
		return err
	}
	db := st.Processes["db"]
	if db == nil {
		return fmt.Errorf("cluster %q has no database: %w", cluster, sim.ErrNotFound)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(st.PGBinDir, "psql"),
		append([]string{"-h", db.Addr, "-p", strconv.Itoa(pgPort), "-U", pgUser, "-d", pgDatabase}, args...)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+st.Password)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cluster %q: psql: %w", cluster, err)
	}
	return nil
}
