package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/internal/kongversion"
)

// TestTestedKubernetesIsTheOneTheTestsRun keeps `version`'s claim equal to the kube-apiserver
// hack/kube-assets.sh builds for the end-to-end tests.
func TestTestedKubernetesIsTheOneTheTestsRun(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "..", "hack", "kube-assets.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`K8S_VERSION=\$\{K8S_VERSION:-(v[0-9.]+)\}`).FindSubmatch(script)
	if m == nil || string(m[1]) != TestedKubernetes {
		t.Fatalf("hack/kube-assets.sh builds %q, version says it was tested with %s", m, TestedKubernetes)
	}
}

// TestVersionWithoutClustersPrintsTheClientOnly runs `version` with a kubeconfig that names
// no reachable cluster and no KONG_ADMIN_URL: it prints what the binary knows and succeeds, as
// --client does, instead of failing on the cluster.
func TestVersionWithoutClustersPrintsTheClientOnly(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	// 127.0.0.1:1 refuses at once: a cluster that is not there.
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: gone, context: {cluster: gone}}]
current-context: gone
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KONG_ADMIN_URL", "")
	for _, args := range [][]string{{"version"}, {"version", "--client"}} {
		var out, errOut bytes.Buffer
		code := Main(append([]string{"kongdb", "--kubeconfig", kubeconfig}, args...),
			genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		for _, want := range []string{"Client Version: kongdb ", "Libraries: go-kong ", "Tested With: Kong " + kongversion.Version + ", Kubernetes " + TestedKubernetes} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v lacks %q:\n%s", args, want, out.String())
			}
		}
		if strings.Contains(out.String(), "Server Version") {
			t.Errorf("%v reports a server that is not there:\n%s", args, out.String())
		}
	}
}

func TestVersionJSONNamesEveryVersion(t *testing.T) {
	var out bytes.Buffer
	o := &VersionOptions{Output: "json", IOStreams: genericiooptions.IOStreams{Out: &out}}
	o.Complete(NewFactory(genericclioptions.NewConfigFlags(false), "kongdb"))
	o.server = func(context.Context) *ServerVersions {
		return &ServerVersions{Kubernetes: "v1.37.2", Kong: "3.9.3", KongURL: "http://127.0.0.1:8001"}
	}
	if err := o.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got VersionInfo
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if got.TestedWith.Kong != kongversion.Version || got.TestedWith.Kubernetes != TestedKubernetes || got.Server == nil || got.Server.Kong != "3.9.3" ||
		got.GoVersion == "" || got.Platform == "" {
		t.Errorf("version -o json = %+v", got)
	}
}
