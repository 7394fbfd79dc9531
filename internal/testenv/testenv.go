// Package testenv runs a real Kubernetes API server (kube-apiserver + etcd, through
// controller-runtime's envtest) with Kong's CRDs and the Gateway API CRDs installed, for tests
// that must talk to Kubernetes the way users' clusters answer.
//
// The binaries are built from the Go module proxy by hack/kube-assets.sh (prebuilt envtest
// archives cannot be downloaded here); Get builds them on first use when they are missing.
package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// Env is one running API server.
type Env struct {
	// Config reaches the API server as cluster admin.
	Config *rest.Config
	// Kubeconfig is the path of a kubeconfig file for the same admin user, so tests can take the
	// --kubeconfig path users take.
	Kubeconfig string
	// Client is a controller-runtime client that knows source.Scheme's kinds.
	Client client.Client
	// CRDs are the CustomResourceDefinitions installed at start.
	CRDs []*apiextensionsv1.CustomResourceDefinition

	env *envtest.Environment
	dir string
}

var (
	shared    *Env
	sharedErr error
	once      sync.Once
)

// Main wraps testing.M.Run for a package that uses Get: it stops the shared API server when
// the tests are done. Use it as `func TestMain(m *testing.M) { testenv.Main(m) }`.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testenv: stop:", err)
		}
	}
	os.Exit(code)
}

// Get returns the package's shared API server, starting it on first use. Tests isolate
// themselves with Namespace.
func Get(t testing.TB) *Env {
	t.Helper()
	once.Do(func() { shared, sharedErr = Start(context.Background()) })
	if sharedErr != nil {
		t.Fatalf("start kube-apiserver: %v", sharedErr)
	}
	return shared
}

// Start starts a new API server with the CRDs installed. Callers own Stop.
func Start(ctx context.Context) (*Env, error) {
	assets, err := Assets(ctx)
	if err != nil {
		return nil, err
	}
	crds, err := CRDs(ctx)
	if err != nil {
		return nil, err
	}
	te := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{CRDs: crds, Scheme: source.Scheme()},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := te.Start()
	if err != nil {
		return nil, fmt.Errorf("envtest: %w", err)
	}
	e := &Env{Config: cfg, CRDs: crds, env: te}
	if err := e.finish(); err != nil {
		_ = te.Stop()
		return nil, err
	}
	return e, nil
}

func (e *Env) finish() error {
	user, err := e.env.AddUser(envtest.User{Name: "kongdb-test", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("add admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	e.dir, err = os.MkdirTemp("", "kongdb-testenv-")
	if err != nil {
		return err
	}
	e.Kubeconfig = filepath.Join(e.dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, kubeconfig, 0o600); err != nil {
		return err
	}
	e.Client, err = client.New(e.Config, client.Options{Scheme: source.Scheme()})
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	return nil
}

// Stop stops the API server and removes the kubeconfig.
func (e *Env) Stop() error {
	err := e.env.Stop()
	if e.dir != "" {
		err = errors.Join(err, os.RemoveAll(e.dir))
	}
	return err
}

// Namespace creates a fresh namespace for one test and deletes it when the test ends.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
	if err := e.Client.Create(t.Context(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() { _ = e.Client.Delete(context.Background(), ns) })
	return ns.Name
}

// Apply creates objs in the API server, failing the test on the first error.
func (e *Env) Apply(t testing.TB, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := e.Client.Create(t.Context(), obj); err != nil {
			t.Fatalf("create %T %s/%s: %v", obj, obj.GetNamespace(), obj.GetName(), err)
		}
	}
}

// Assets returns the folder holding kube-apiserver and etcd: $KUBEBUILDER_ASSETS when set,
// else the repository's .cache/kube-assets, built by hack/kube-assets.sh when missing.
func Assets(ctx context.Context) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "hack", "kube-assets.sh"))
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build kube-apiserver and etcd with hack/kube-assets.sh: %w", err)
	}
	return strings.TrimSpace(stdout.String()), nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "hack", "kube-assets.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root (hack/kube-assets.sh) above the working directory")
		}
		dir = parent
	}
}

// ApplyYAML creates every object of a multi-document YAML, the namespaced ones in namespace ns
// (cluster-scoped ones keep none); objects that exist already are left as they are.
func (e *Env) ApplyYAML(t testing.TB, ns, text string) {
	t.Helper()
	dec := yaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			t.Fatalf("decode: %v", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		namespaced, err := e.Client.IsObjectNamespaced(&u)
		if err != nil {
			t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
		}
		if namespaced {
			u.SetNamespace(ns)
		}
		if err := e.Client.Create(t.Context(), &u); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

// Delete deletes one object by its apiVersion, kind, namespace ("" when cluster-scoped) and
// name; a failure fails the test.
func (e *Env) Delete(t testing.TB, ns, apiVersion, kind, name string) {
	t.Helper()
	var u unstructured.Unstructured
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	if err := e.Client.Delete(t.Context(), &u); err != nil {
		t.Fatalf("delete %s %s: %v", kind, name, err)
	}
}

// KubeconfigAs writes a kubeconfig that acts as user (through the admin's impersonation), so
// RBAC limits what it may do, and returns its path.
func (e *Env) KubeconfigAs(t testing.TB, user string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(e.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = user
	}
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, p); err != nil {
		t.Fatal(err)
	}
	return p
}
