package install_test

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/kongdb/kubectl-kongdb/pkg/install"
	"github.com/kongdb/kubectl-kongdb/sim/docker"
)

// TestImageRunsAsTheDeploymentDoes: the image `make images` builds is the one install's
// Deployment names for this build (kongdb/kubectl-kongdb:dev), and it runs the plugin as the
// Deployment runs it: its arguments are kongdb's command line, as uid 65532, on a read-only root
// file system with every capability dropped.
func TestImageRunsAsTheDeploymentDoes(t *testing.T) {
	rt, err := docker.New(t.Context()) // sets up testcontainers-go's environment and checks the engine
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	image := install.ImageRepository + ":" + install.DevTag
	ctr, err := testcontainers.Run(t.Context(), image,
		testcontainers.WithCmd("install", "--kong-admin-url", "http://kong-admin.kong:8001"),
		testcontainers.WithLabels(map[string]string{"io.kongdb.test": "images"}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.ReadonlyRootfs = true
			hc.CapDrop = []string{"ALL"}
			hc.SecurityOpt = []string{"no-new-privileges"}
		}),
		testcontainers.WithWaitStrategy(wait.ForExit()))
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("run %s (built by `make images`): %v", image, err)
	}
	info, err := ctr.Inspect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.User != "65532:65532" || info.State.ExitCode != 0 {
		t.Errorf("user %q, exit %d", info.Config.User, info.State.ExitCode)
	}
	logs, err := ctr.Logs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(logs)
	if !strings.Contains(string(out), "image: "+install.ImageRepository+":"+install.DevTag+"\n") {
		t.Errorf("the image's install names another image than itself:\n%s", out)
	}
}

// runImage runs the Deployment's container as the kubelet would, but on the host's network:
// the image, args as the Deployment gives them (the kubeconfig mounted read-only where
// KUBECONFIG points), uid 65532, a read-only root with /tmp and the schema cache as tmpfs (the
// Deployment's emptyDirs), no capabilities. It returns the container, stopped at the test's end.
func runImage(t *testing.T, args []string, kubeconfig, podName string) testcontainers.Container {
	t.Helper()
	rt, err := docker.New(t.Context()) // sets up testcontainers-go's environment and checks the engine
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	// The container's user must read it; the test's temporary folder is the test's own.
	if err := os.Chmod(kubeconfig, 0o644); err != nil {
		t.Fatal(err)
	}
	ctr, err := testcontainers.Run(t.Context(), install.ImageRepository+":"+install.DevTag,
		testcontainers.WithCmd(args...),
		testcontainers.WithEnv(map[string]string{"POD_NAME": podName, "KUBECONFIG": "/etc/kongdb/kubeconfig"}),
		testcontainers.WithLabels(map[string]string{"io.kongdb.test": "images"}),
		testcontainers.WithTmpfs(map[string]string{"/tmp": "mode=1777", install.CacheDir: "mode=1777"}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
			hc.ReadonlyRootfs = true
			hc.CapDrop = []string{"ALL"}
			hc.SecurityOpt = []string{"no-new-privileges"}
			hc.Binds = append(hc.Binds, kubeconfig+":/etc/kongdb/kubeconfig:ro")
		}))
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("run %s:%s (built by `make images`): %v", install.ImageRepository, install.DevTag, err)
	}
	return ctr
}

// containerLog is everything the container wrote so far.
func containerLog(t *testing.T, ctr testcontainers.Container) string {
	t.Helper()
	logs, err := ctr.Logs(t.Context())
	if err != nil {
		return err.Error()
	}
	defer logs.Close()
	out, _ := io.ReadAll(logs)
	return string(out)
}
