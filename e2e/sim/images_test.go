package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// inspect returns an image's config; the image must have been built by `make images`.
func inspect(t *testing.T, image string) client.ImageInspectResult {
	t.Helper()
	dockerRuntime(t) // sets up testcontainers-go's environment and checks the engine
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	res, err := cli.ImageInspect(t.Context(), image)
	if err != nil {
		t.Fatalf("image %s: %v (run `make images` first)", image, err)
	}
	return res
}

func TestImagesAreDropInsForTheOfficialOnes(t *testing.T) {
	kong, pg := simtest.Images()
	t.Run("emulator: kong user, Kong's ports, kong docker-start, Kong's commands", func(t *testing.T) {
		cfg := inspect(t, kong).Config
		var ports []string
		for p := range cfg.ExposedPorts {
			ports = append(ports, p)
		}
		slices.Sort(ports)
		want := []string{"8000/tcp", "8001/tcp", "8005/tcp", "8007/tcp", "8443/tcp", "8444/tcp"}
		if cfg.User != "kong" || !slices.Equal(cfg.Cmd, []string{"kong", "docker-start"}) || !slices.Equal(ports, want) {
			t.Fatalf("user %q, cmd %v, ports %v", cfg.User, cfg.Cmd, ports)
		}
		ctr, err := testcontainers.Run(t.Context(), kong, testcontainers.WithCmd("kong", "version"),
			testcontainers.WithLabels(map[string]string{"io.kongdb.test": "images"}), testcontainers.WithWaitStrategy(wait.ForExit()))
		testcontainers.CleanupContainer(t, ctr)
		if err != nil {
			t.Fatal(err)
		}
		logs, err := ctr.Logs(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(logs)
		if strings.TrimSpace(string(out)) != "3.9.3" {
			t.Fatalf("kong version printed %q", out)
		}
	})
	t.Run("postgres: runs as a non-root user", func(t *testing.T) {
		cfg := inspect(t, pg).Config
		if cfg.User == "" || cfg.User == "root" || cfg.User == "0" {
			t.Fatalf("user %q", cfg.User)
		}
	})
	t.Run("echo: answers with the request as JSON", func(t *testing.T) {
		echo := os.Getenv("KONGDB_SIM_ECHO_IMAGE")
		if echo == "" {
			echo = "kongdb/echo:latest"
		}
		ctr, err := testcontainers.Run(t.Context(), echo, testcontainers.WithExposedPorts("8080/tcp"),
			testcontainers.WithLabels(map[string]string{"io.kongdb.test": "images"}),
			testcontainers.WithWaitStrategy(wait.ForHTTP("/").WithPort("8080/tcp")))
		testcontainers.CleanupContainer(t, ctr)
		if err != nil {
			t.Fatal(err)
		}
		endpoint, err := ctr.PortEndpoint(t.Context(), "8080/tcp", "http")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, endpoint+"/some/path?q=1", nil)
		req.Host = "api.example"
		req.Header.Set("X-Probe", "yes")
		resp, err := apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Method, Path, Query, Host string
			Headers                   map[string][]string
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got.Method != "PUT" || got.Path != "/some/path" || got.Query != "q=1" || got.Host != "api.example" || got.Headers["X-Probe"][0] != "yes" {
			t.Fatalf("echo answered %+v", got)
		}
	})
}
