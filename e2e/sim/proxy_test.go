package sim_test

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// TestEmulatorImageProxiesThroughADataPlaneContainer is issue 11's image
// test: the emulator image as a control plane and a data plane on a
// user-defined network, and a request through the data plane's proxy to the
// echo backend on that network.
func TestEmulatorImageProxiesThroughADataPlaneContainer(t *testing.T) {
	rt := dockerRuntime(t)
	spec := simtest.Spec(sim.Hybrid)
	spec.ControlPlanes, spec.DataPlanes = 1, 1
	c, _ := simtest.Up(t, rt, spec)

	echoImage := os.Getenv("KONGDB_SIM_ECHO_IMAGE")
	if echoImage == "" {
		echoImage = "kongdb/echo:latest"
	}
	echo, err := testcontainers.Run(t.Context(), echoImage,
		testcontainers.WithLabels(map[string]string{"io.kongdb.test": "proxy"}),
		network.WithNetworkName([]string{"echo"}, "kongdb-sim-"+spec.Name+"-cp"),
		testcontainers.WithWaitStrategy(wait.ForLog("echo listening")))
	testcontainers.CleanupContainer(t, echo) // before the cluster's network goes (cleanups run in reverse)
	if err != nil {
		t.Fatal(err)
	}
	admin := member(t, *c, "cp-1").AdminURL
	for _, req := range []struct{ url, body string }{
		{"/services", `{"name":"echo","url":"http://echo:8080/upstream"}`},
		{"/services/echo/routes", `{"name":"echo","paths":["/through"],"strip_path":true}`},
	} {
		post(t, admin, req.url, req.body)
	}
	proxy := member(t, *c, "dp-1").ProxyURL
	var got struct {
		Method, Path, Host string
		Headers            map[string][]string
	}
	eventually(t, "the data plane proxies /through/x to the echo backend", func() bool {
		resp, err := apiClient.Get(proxy + "/through/x")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&got) == nil
	})
	if got.Method != "GET" || got.Path != "/upstream/x" || got.Host != "echo:8080" || len(got.Headers["X-Forwarded-Prefix"]) != 1 || got.Headers["X-Forwarded-Prefix"][0] != "/through" {
		t.Fatalf("the backend saw %+v", got)
	}
}
