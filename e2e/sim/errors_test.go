package sim_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/docker"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestDockerDownLeavesNothingLabelled(t *testing.T) {
	rt := dockerRuntime(t)
	spec := simtest.Spec(sim.Traditional)
	spec.Nodes = 2
	simtest.Up(t, rt, spec)
	if _, errOut, code := kongdb(t, "sim", "--runtime", "docker", "down", spec.Name); code != 0 || !contains(errOut, "cluster "+spec.Name+" removed") {
		t.Fatalf("sim down: exit %d: %s", code, errOut)
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx := t.Context()
	filter := make(client.Filters).Add("label", sim.LabelCluster+"="+spec.Name)
	ctrs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		t.Fatal(err)
	}
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		t.Fatal(err)
	}
	vols, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: filter})
	if err != nil {
		t.Fatal(err)
	}
	if len(ctrs.Items)+len(nets.Items)+len(vols.Items) != 0 {
		t.Fatalf("left behind: %d containers, %d networks, %d volumes", len(ctrs.Items), len(nets.Items), len(vols.Items))
	}
	if _, err := sim.LoadState(spec.Name); !errors.Is(err, sim.ErrNotFound) {
		t.Fatalf("state left behind: %v", err)
	}
	if _, errOut, code := kongdb(t, "sim", "--runtime", "docker", "status", spec.Name); code == 0 || !contains(errOut, "no containers labelled io.kongdb.sim/cluster="+spec.Name) {
		t.Fatalf("status after down: exit %d: %s", code, errOut)
	}
}

func TestDockerUnreachableGivesAClearError(t *testing.T) {
	dead := "unix://" + filepath.Join(t.TempDir(), "no-docker.sock")
	t.Setenv("DOCKER_HOST", dead)
	_, err := docker.New(context.Background())
	if !errors.Is(err, sim.ErrRuntimeUnavailable) {
		t.Fatalf("docker.New: %v, want ErrRuntimeUnavailable", err)
	}
	for _, args := range [][]string{{"sim", "--runtime", "docker", "ls"}, {"sim", "up", "-d", "--runtime", "docker"}, {"sim", "--runtime", "docker", "status"}} {
		out, errOut, code := kongdb(t, args...)
		if code != 1 || out != "" {
			t.Errorf("%v: exit %d, stdout %q", args, code, out)
		}
		for _, want := range []string{"cannot reach the Docker engine at " + dead, "DOCKER_HOST", "fix:"} {
			if !contains(errOut, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, errOut)
			}
		}
		if contains(errOut, "panic") || contains(errOut, "goroutine") {
			t.Errorf("%v: stack trace in stderr:\n%s", args, errOut)
		}
	}
}

func TestDockerAbsentImageWithPullNeverNamesMakeImages(t *testing.T) {
	rt := dockerRuntime(t)
	spec := simtest.Spec(sim.Traditional)
	spec.Nodes = 1
	spec.KongImage = "kongdb/not-built:0"
	st, err := sim.PrepareState(spec, rt.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.RemoveState(spec.Name) })
	_, err = rt.Up(t.Context(), spec, st, func(string) {})
	if err == nil || !contains(err.Error(), `image "kongdb/not-built:0" is not present and --pull is never`) || !contains(err.Error(), "make images") {
		t.Fatalf("got %v", err)
	}
	if cs, err := rt.List(t.Context()); err != nil || slicesHasName(cs, spec.Name) {
		t.Fatalf("a failed up left cluster %s behind (%v)", spec.Name, err)
	}
}

func slicesHasName(cs []sim.Cluster, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}
