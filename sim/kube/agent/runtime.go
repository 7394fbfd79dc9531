package agent

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/kube/echo"
)

// Container is one container as a runtime starts it: everything resolved
// (environment with the downward API, Secrets and ConfigMaps; volumes written
// to the host).
type Container struct {
	// Pod is namespace/name, for messages; Name the container's name.
	Pod, Name string
	Image     string
	Command   []string
	Args      []string
	Env       map[string]string
	// IP is the Pod's address.
	IP string
	// Mounts map paths inside the container to the host directories or files holding them.
	Mounts []Mount
	// Log is the file the container's output goes to (pods/log reads it).
	Log string
}

// Mount is one volume mount: Path inside the container, HostPath on the host.
type Mount struct {
	Path, HostPath string
}

// Process is a started container.
type Process interface {
	// ID is the runtime's id of the container (a process id on the local runtime).
	ID() string
	// Exited reports whether it ended, and its exit code then.
	Exited() (bool, int)
	// Stop ends it: SIGTERM, then SIGKILL after grace.
	Stop(grace time.Duration)
}

// Runtime runs containers of the images it has.
type Runtime interface {
	// Supports says whether image can run here; when not, why (naming what can).
	Supports(image string, env map[string]string) (bool, string)
	// Start runs c.
	Start(ctx context.Context, c Container) (Process, error)
}

// echoImages are the image names that run the simulator's echo server
// (sim/kube/echo): the Gateway API conformance suite's echo-basic, at any tag
// and from either registry the suite has used, and the simulator's own echo
// image.
var echoImages = []string{
	"registry.k8s.io/gateway-api/echo-basic",
	"gcr.io/k8s-staging-gateway-api/echo-basic",
	"gcr.io/k8s-staging-ingressconformance/echoserver",
	"kongdb/echo",
}

// imageRepo is image without its tag or digest.
func imageRepo(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return strings.TrimPrefix(image, "docker.io/")
}

// IsEcho reports whether image is one the echo server stands in for; extra
// are more repositories (the KONGDB_SIM_ECHO_IMAGE in use).
func IsEcho(image string, extra ...string) bool {
	repo := imageRepo(image)
	for _, e := range append(append([]string{}, echoImages...), extra...) {
		if repo == imageRepo(e) {
			return true
		}
	}
	return false
}

// LocalRuntime runs containers as local processes, each bound to its Pod's
// address: the echo images as Echo (the program's echo command). The files a
// container would see at a mount path are at the mount's host path; since a
// process has no filesystem of its own, environment values and arguments that
// name a path under a mount are rewritten to the host path.
type LocalRuntime struct {
	// Echo is the command prefix that runs sim/kube/echo.
	Echo []string
	// EchoImages are more image repositories that run Echo.
	EchoImages []string
}

// Supports accepts the echo images, unless they ask for a mode the echo server lacks.
func (r *LocalRuntime) Supports(image string, env map[string]string) (bool, string) {
	if !IsEcho(image, r.EchoImages...) {
		return false, fmt.Sprintf("image %q is not one the simulator can run; it runs the echo images (%s) as its echo server",
			image, strings.Join(append(append([]string{}, echoImages...), r.EchoImages...), ", "))
	}
	if mode := echo.UnsupportedMode(env); mode != "" {
		return false, fmt.Sprintf("image %q with %s set asks for a mode the simulator's echo server does not implement", image, mode)
	}
	return true, ""
}

// Start runs the container as a process in its own session, output to c.Log.
func (r *LocalRuntime) Start(_ context.Context, c Container) (Process, error) {
	f, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	stdout, stderr := logWriter(f, "stdout"), logWriter(f, "stderr")
	closeLogs := func() {
		_ = stdout.Close()
		_ = stderr.Close()
		_ = f.Close()
	}
	cmd := exec.Command(r.Echo[0], r.Echo[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/", echo.BindEnv + "=" + c.IP}
	for k, v := range c.Env {
		cmd.Env = append(cmd.Env, k+"="+rewriteMounts(v, c.Mounts))
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	detach(cmd)
	if err := cmd.Start(); err != nil {
		closeLogs()
		return nil, fmt.Errorf("pod %s: container %s: start: %w", c.Pod, c.Name, err)
	}
	p := &localProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		closeLogs()
		p.mu.Lock()
		p.code = cmd.ProcessState.ExitCode()
		p.mu.Unlock()
		close(p.done)
	}()
	if err := os.WriteFile(pidFile(filepath.Dir(c.Log), c.Name), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		p.Stop(0)
		return nil, err
	}
	return p, nil
}

// pidFile records a container's process, so `sim down` and a restarted agent
// find processes the agent started.
func pidFile(podDir, container string) string { return filepath.Join(podDir, container+".pid") }

// rewriteMounts maps a path inside the container to the host.
func rewriteMounts(v string, mounts []Mount) string {
	for _, m := range mounts {
		if v == m.Path || strings.HasPrefix(v, strings.TrimSuffix(m.Path, "/")+"/") {
			return m.HostPath + strings.TrimPrefix(v, strings.TrimSuffix(m.Path, "/"))
		}
	}
	return v
}

type localProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	code int
}

func (p *localProcess) ID() string { return "local://" + strconv.Itoa(p.cmd.Process.Pid) }

func (p *localProcess) Exited() (bool, int) {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return true, p.code
	default:
		return false, 0
	}
}

func (p *localProcess) Stop(grace time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// PodNameFile, in each Pod's directory, holds NAMESPACE/NAME, so a fault verb
// finds a Pod's processes by the name users know.
const PodNameFile = "pod"

// KillRecorded ends every container process recorded under podsDir (pid
// files), or only those of the Pod directories named in only: for `sim down`,
// for `sim kill pod/NS/NAME`, and for an agent that starts again (it adopts
// nothing, so what an earlier agent left must go before Pods start anew).
func KillRecorded(podsDir string, only ...string) {
	files, _ := filepath.Glob(filepath.Join(podsDir, "*", "*.pid"))
	if len(only) > 0 {
		files = nil
		for _, d := range only {
			more, _ := filepath.Glob(filepath.Join(podsDir, d, "*.pid"))
			files = append(files, more...)
		}
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(raw)))
		// Only a process that is still one of our containers: a pid may have been reused.
		if env, eerr := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid)); err == nil && perr == nil && eerr == nil &&
			strings.Contains(string(env), echo.BindEnv+"=") {
			killPID(pid)
		}
		_ = os.Remove(f)
	}
}
