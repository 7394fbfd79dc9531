//go:build unix

// Package local is the simulator's runtime without Docker: PostgreSQL from
// the local binaries and emulator nodes as child processes, each on its own
// 127.x.y.z address with Kong's ports. Processes outlive the command (their
// own sessions); the cluster's state records them. Faults are signals, and a
// partition cuts the member's link: every member reaches PostgreSQL (or a
// data plane its control plane) through a small relay process of its own.
package local

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// Runtime runs clusters as local processes.
type Runtime struct {
	o     Options
	runAs string // "postgres" when we are root: PostgreSQL refuses to run as root
}

var _ sim.Runtime = (*Runtime)(nil)

// Name is "local".
func (r *Runtime) Name() string { return "local" }

// New finds PostgreSQL's programs; without them the error wraps sim.ErrRuntimeUnavailable.
func New(o Options) (*Runtime, error) {
	if len(o.Emulator) == 0 || len(o.Link) == 0 {
		return nil, errors.New("local runtime: the emulator and link commands must be given")
	}
	dir, err := findPGBin(o.PGBinDir)
	if err != nil {
		return nil, err
	}
	o.PGBinDir = dir
	r := &Runtime{o: o}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("%w: running as root, PostgreSQL needs a user named postgres to run as: %v", sim.ErrRuntimeUnavailable, err)
		}
		r.runAs = "postgres"
	}
	return r, nil
}

func findPGBin(dir string) (string, error) {
	has := func(d string) bool {
		for _, p := range []string{"initdb", "postgres", "psql"} {
			if _, err := os.Stat(filepath.Join(d, p)); err != nil {
				return false
			}
		}
		return true
	}
	if dir != "" {
		if !has(dir) {
			return "", fmt.Errorf("%w: --pg-bin-dir %s does not hold initdb, postgres and psql", sim.ErrRuntimeUnavailable, dir)
		}
		return dir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(matches) - 1; i >= 0; i-- {
		if has(matches[i]) {
			return matches[i], nil
		}
	}
	return "", fmt.Errorf("%w: PostgreSQL's initdb, postgres and psql are not on PATH; install PostgreSQL or give --pg-bin-dir", sim.ErrRuntimeUnavailable)
}

// addr is member slot's loopback address in the cluster's own /24,
// 127.77.<subnet>.<slot>. Slots: 1 PostgreSQL, 10+i nodes and control
// planes, 100+i data planes, 200+ the links.
func addr(subnet, slot int) string {
	return fmt.Sprintf("127.77.%d.%d", subnet, slot)
}

// freeSubnet picks the cluster's /24: the one its name hashes to, or the
// next one whose PostgreSQL and first node addresses nobody listens on, so
// clusters that other processes (other test binaries, other shells) brought
// up never share an address with this one.
func freeSubnet(name string) (int, error) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	start := int(h.Sum32() % 250)
	for i := range 250 {
		subnet := (start+i)%250 + 1
		if listenable(addr(subnet, 1), pgPort) && listenable(addr(subnet, 10), portAdmin) {
			return subnet, nil
		}
	}
	return 0, errors.New("every 127.77.x.0/24 has a listener: take clusters down with `kongdb sim down --all`")
}

func listenable(ip string, port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
}

func slotOf(role sim.Role, index int) int {
	switch role {
	case sim.RoleDB:
		return 1
	case sim.RoleDP:
		return 100 + index
	}
	return 10 + index
}

const (
	pgUser     = "kong"
	pgDatabase = "kong"
	pgPort     = 5432
)

// Up starts PostgreSQL, runs the migrations once, then the members and their links.
func (r *Runtime) Up(ctx context.Context, spec sim.Spec, st *sim.State, progress func(string)) (c *sim.Cluster, err error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if old, err := r.Get(ctx, spec.Name); err == nil && (old.Postgres.State == "running" || anyRunning(old)) {
		return nil, fmt.Errorf("cluster %q already exists; run `kongdb sim down %s` first", spec.Name, spec.Name)
	}
	st.PGBinDir, st.Processes = r.o.PGBinDir, map[string]*sim.Process{}
	defer func() {
		if err != nil {
			progress("bring-up failed; stopping what was started")
			if derr := r.stopAll(st); derr != nil {
				err = errors.Join(err, derr)
			}
		}
	}()
	if err := os.MkdirAll(filepath.Join(st.Dir, "logs"), 0o700); err != nil {
		return nil, err
	}
	progress("starting PostgreSQL from " + r.o.PGBinDir)
	if err := r.initDB(ctx, st); err != nil {
		return nil, fmt.Errorf("cluster %q: PostgreSQL: %w", spec.Name, err)
	}
	subnet, err := freeSubnet(spec.Name)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", spec.Name, err)
	}
	st.Processes["db"] = &sim.Process{Role: sim.RoleDB, Addr: addr(subnet, 1)}
	if spec.Kubernetes {
		if err := r.prepareKube(st, subnet); err != nil {
			return nil, err
		}
	}
	if err := r.startMember(ctx, st, "db"); err != nil {
		return nil, fmt.Errorf("cluster %q: PostgreSQL: %w", spec.Name, err)
	}
	if err := r.createDatabase(ctx, st); err != nil {
		return nil, fmt.Errorf("cluster %q: PostgreSQL: %w", spec.Name, err)
	}
	progress("running kong migrations bootstrap")
	if err := r.migrate(ctx, st); err != nil {
		return nil, fmt.Errorf("cluster %q: kong migrations bootstrap: %w", spec.Name, err)
	}
	for i, m := range spec.Members() {
		progress(fmt.Sprintf("starting %s", m.Name))
		p := &sim.Process{Role: m.Role, Index: m.Index, Addr: addr(subnet, slotOf(m.Role, m.Index)), LinkAddr: addr(subnet, 200+i)}
		st.Processes[m.Name] = p
		if err := r.startLink(st, m.Name); err != nil {
			return nil, fmt.Errorf("cluster %q: %s: %w", spec.Name, m.Name, err)
		}
		if err := r.startMember(ctx, st, m.Name); err != nil {
			return nil, fmt.Errorf("cluster %q: %s: %w", spec.Name, m.Name, err)
		}
	}
	if spec.Kubernetes {
		if err := r.upKube(ctx, st, subnet, progress); err != nil {
			return nil, err
		}
	}
	return sim.Ready(ctx, r, spec, progress)
}

func anyRunning(c *sim.Cluster) bool {
	for _, n := range c.Nodes {
		if n.Running() {
			return true
		}
	}
	return false
}

// initDB creates the data directory: under the state directory, or, when
// PostgreSQL runs as another user, in a temporary directory that user owns.
func (r *Runtime) initDB(ctx context.Context, st *sim.State) error {
	base := st.Dir
	if r.runAs != "" {
		dir, err := os.MkdirTemp("", tempPrefix(st.Spec.Name))
		if err != nil {
			return err
		}
		if err := r.chown(dir); err != nil {
			return err
		}
		base = dir
	}
	st.DataDir = filepath.Join(base, "pgdata")
	if err := os.RemoveAll(st.DataDir); err != nil { // left by an earlier cluster of this name
		return err
	}
	pwfile := filepath.Join(base, "pwfile")
	if err := os.WriteFile(pwfile, []byte(st.Password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	if err := r.chown(pwfile); err != nil {
		return err
	}
	if err := st.Save(); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(r.o.PGBinDir, "initdb"), "-D", st.DataDir, "-U", pgUser, "--pwfile="+pwfile,
		"--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	cmd.SysProcAttr = r.sysProcAttr(false)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	return nil
}

func (r *Runtime) chown(path string) error {
	if r.runAs == "" {
		return nil
	}
	u, err := user.Lookup(r.runAs)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

// sysProcAttr runs PostgreSQL's programs as runAs; detached processes get a
// session of their own so they outlive this one.
func (r *Runtime) sysProcAttr(detach bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setsid: detach}
	if r.runAs != "" {
		u, err := user.Lookup(r.runAs)
		if err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			a.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		}
	}
	return a
}

func (r *Runtime) createDatabase(ctx context.Context, st *sim.State) error {
	conn, err := pgx.Connect(ctx, dsn(st, "postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgDatabase)
	return err
}

func dsn(st *sim.State, db string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", pgUser, st.Password,
		net.JoinHostPort(st.Processes["db"].Addr, strconv.Itoa(pgPort)), db)
}

// migrate runs `kong migrations bootstrap` once and checks its exit code.
func (r *Runtime) migrate(ctx context.Context, st *sim.State) error {
	m := sim.Member{Name: "migrations", Role: sim.RoleMigrations}
	db := st.Processes["db"]
	cmd := exec.CommandContext(ctx, r.o.Emulator[0], append(r.o.Emulator[1:], "migrations", "bootstrap", "--yes")...)
	cmd.Env = kongEnv(st, m, sim.DBConn{Host: db.Addr, Port: pgPort, User: pgUser, Password: st.Password, Database: pgDatabase}, "")
	cmd.Env = append(cmd.Env, "KONG_PREFIX="+filepath.Join(st.Dir, "prefix", "migrations"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w; its output:\n%s", err, out)
	}
	return nil
}

// kongEnv is the environment of an emulator process: this process's
// environment without KONG_* (the cluster's settings only), then the member's.
func kongEnv(st *sim.State, m sim.Member, db sim.DBConn, cp string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KONG_") {
			env = append(env, kv)
		}
	}
	for k, v := range sim.KongEnv(&st.Spec, m, db, cp, st.Cert) {
		env = append(env, k+"="+v)
	}
	return env
}

// waitHTTP polls url until it answers 200.
func waitHTTP(ctx context.Context, url string, exited func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if exited() {
			return errors.New("the process exited before it served")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("GET %s did not answer 200 within a minute: %v", url, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
