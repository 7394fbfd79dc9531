package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/docker"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// placeholder is the EndpointSlice address examples/ ships (examples/README.md).
const placeholder = `"192.0.2.10"`

// stack is one simulated Kong cluster with the echo backend on its network, and the
// Kubernetes namespace whose objects are synced into it.
type stack struct {
	rt      *docker.Runtime
	cluster *sim.Cluster
	ns      string
	echoIP  string
	// admins are the Admin API URLs sync writes through; proxies every node's proxy URL.
	admins, proxies []string
}

// newStack brings up a cluster of mode (three traditional nodes, or a control plane and two
// data planes) and the echo backend, and applies examples/ into a fresh namespace with kubectl.
func newStack(t *testing.T, mode sim.Mode) *stack {
	t.Helper()
	rt, err := docker.New(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	spec := simtest.Spec(mode)
	net := "kongdb-sim-" + spec.Name + "-db"
	if mode == sim.Hybrid {
		spec.ControlPlanes, spec.DataPlanes = 1, 2
		net = "kongdb-sim-" + spec.Name + "-cp" // where the data planes are
	} else {
		spec.Nodes = 3
	}
	c, _ := simtest.Up(t, rt, spec)
	s := &stack{rt: rt, ns: kube.Namespace(t)}
	s.learn(c)

	echoImage := os.Getenv("KONGDB_SIM_ECHO_IMAGE")
	if echoImage == "" {
		echoImage = "kongdb/echo:latest"
	}
	echo, err := testcontainers.Run(t.Context(), echoImage,
		testcontainers.WithLabels(map[string]string{"io.kongdb.test": "stack"}),
		network.WithNetworkName([]string{"echo"}, net),
		testcontainers.WithWaitStrategy(wait.ForLog("echo listening")))
	testcontainers.CleanupContainer(t, echo) // before the cluster's network goes (cleanups run in reverse)
	if err != nil {
		t.Fatal(err)
	}
	if s.echoIP, err = echo.ContainerIP(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.kubectl(t, 0, "apply", "--server-side", "-f", s.examples(t))
	return s
}

// learn takes the members' addresses from a live view of the cluster. A stopped member has
// none; it keeps its last, so a sync still names it as a user's script would.
func (s *stack) learn(c *sim.Cluster) {
	last := map[string]sim.Node{}
	if s.cluster != nil {
		for _, n := range s.cluster.Nodes {
			last[n.Name] = n
		}
	}
	s.cluster, s.admins, s.proxies = c, nil, nil
	for i, n := range c.Nodes {
		if n.AdminURL == "" && n.ProxyURL == "" {
			n.AdminURL, n.ProxyURL = last[n.Name].AdminURL, last[n.Name].ProxyURL
			c.Nodes[i] = n
		}
		if n.AdminURL != "" {
			s.admins = append(s.admins, n.AdminURL)
		}
		if n.ProxyURL != "" {
			s.proxies = append(s.proxies, n.ProxyURL)
		}
	}
}

// examples copies examples/ for this stack: the backend's real address instead of the
// placeholder, and no namespace, so `kubectl apply -n` puts every object in the stack's own.
func (s *stack) examples(t *testing.T) string {
	t.Helper()
	dir := tempDir(t)
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("examples: %v (%d files)", err, len(files))
	}
	replaced := false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "  namespace: default\n", "")
		if strings.Contains(text, placeholder) {
			text, replaced = strings.ReplaceAll(text, placeholder, `"`+s.echoIP+`"`), true
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !replaced {
		t.Fatalf("no EndpointSlice address %s in examples/", placeholder)
	}
	return dir
}

// tempDir is a directory removed when the test ends. Not t.TempDir: kubectl -f splits its
// argument at commas, which subtest names (and so t.TempDir's paths) may hold.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kongdb-stack-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// result is a finished command.
type result struct {
	stdout, stderr string
	code           int
}

// kubectl runs the real kubectl in the stack's namespace, with only the plugin's folder, the
// folder kubectl is in and the system folders on PATH, so `kubectl kongdb` is found the way a
// user's is. want < 0 accepts any exit code.
func (s *stack) kubectl(t *testing.T, want int, args ...string) result {
	t.Helper()
	return s.kubectlContext(t, t.Context(), want, args...)
}

func (s *stack) kubectlContext(t *testing.T, ctx context.Context, want int, args ...string) result {
	t.Helper()
	r, err := runKubectl(ctx, s.ns, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	if want >= 0 && r.code != want {
		t.Fatalf("kubectl %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// runKubectl runs kubectl in namespace ns; err is set only when it could not run at all.
func runKubectl(ctx context.Context, ns string, args ...string) (result, error) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return result{}, fmt.Errorf("kubectl is not installed: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	// The namespace goes last: kubectl finds a plugin only by the words before the first flag.
	cmd := exec.CommandContext(ctx, kubectl, slices.Concat(args, []string{"-n", ns})...)
	cmd.Env = append(os.Environ(),
		"PATH="+strings.Join([]string{binDir, filepath.Dir(kubectl), "/usr/bin", "/bin"}, string(os.PathListSeparator)),
		"KUBECONFIG="+kube.Kubeconfig)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		return result{}, err
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}, nil
}

// syncArgs is `kongdb sync` of the stack's namespace through every Admin API of the cluster.
func (s *stack) syncArgs() []string {
	args := []string{"kongdb", "sync", "--lock-namespace", s.ns}
	for _, a := range s.admins {
		args = append(args, "--kong-admin-url", a)
	}
	return args
}

// sync runs `kubectl kongdb sync` and expects it to succeed.
func (s *stack) sync(t *testing.T) result {
	t.Helper()
	return s.kubectl(t, 0, s.syncArgs()...)
}

// fault injects or repairs a fault in a member of the cluster.
func (s *stack) fault(t *testing.T, kind sim.FaultKind, member, from string) {
	t.Helper()
	if err := s.rt.Fault(t.Context(), s.cluster.Name, sim.Fault{Kind: kind, Member: member, From: from}); err != nil {
		t.Fatalf("%s %s: %v", kind, member, err)
	}
	// A restarted container may publish its ports anew: read the addresses again.
	c, err := s.rt.Get(t.Context(), s.cluster.Name)
	if err != nil {
		t.Fatal(err)
	}
	s.learn(c)
}

// repairOnFailure undoes a fault when the test ends early, so the next subtest on the
// shared cluster does not fail for this one's reason. Repairing what is fine is harmless.
func (s *stack) repairOnFailure(t *testing.T, kind sim.FaultKind, member string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.rt.Fault(ctx, s.cluster.Name, sim.Fault{Kind: kind, Member: member}); err != nil {
			t.Logf("repair %s %s: %v", kind, member, err)
		}
	})
}

// proxyOf is the proxy URL of a member.
func (s *stack) proxyOf(t *testing.T, member string) string {
	t.Helper()
	n, err := s.cluster.Find(member)
	if err != nil {
		t.Fatal(err)
	}
	return n.ProxyURL
}

// echoed is what the echo backend saw.
type echoed struct {
	Path, Host string
}

// answer is one proxied request's status and, for a 200 from the backend, what it saw.
type answer struct {
	code int
	seen echoed
	err  error
}

var client = &http.Client{Timeout: 5 * time.Second}

// get sends one request through a proxy with a Host and extra headers ("name: value").
func get(proxy, host, path string, headers ...string) answer {
	req, err := http.NewRequest(http.MethodGet, proxy+path, nil)
	if err != nil {
		return answer{err: err}
	}
	req.Host = host
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	a := answer{code: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		a.err = json.NewDecoder(resp.Body).Decode(&a.seen)
	}
	return a
}

// eventually polls cond every 250 ms until it holds, failing the test after two minutes (a
// loaded two-core machine runs several clusters at once).
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	eventuallyEvery(t, 250*time.Millisecond, what, cond)
}

// eventuallyEvery is eventually polling every interval.
func eventuallyEvery(t *testing.T, interval time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s; last: %s", what, last)
		}
		time.Sleep(interval)
	}
}

// serves waits until proxy answers host+path with code (and, for 200, the backend saw wantPath).
func serves(t *testing.T, proxy, host, path string, code int, wantPath string, headers ...string) answer {
	t.Helper()
	var a answer
	eventually(t, proxy+" answers "+host+path+" with "+http.StatusText(code), func() (bool, string) {
		a = get(proxy, host, path, headers...)
		ok := a.err == nil && a.code == code && (code != http.StatusOK || a.seen.Path == wantPath)
		return ok, strings.TrimSpace(strings.Join([]string{http.StatusText(a.code), a.seen.Path, errString(a.err)}, " "))
	})
	return a
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
