package conformance

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

func TestSmokeServiceCRUD(t *testing.T) {
	adminPort, tlsPort := freePort(t), freePort(t)
	e := startEmulatorOn(t, pgtest.NewDatabase(t), adminPort,
		fmt.Sprintf("KONG_ADMIN_LISTEN=127.0.0.1:%d, 127.0.0.1:%d http2 ssl", adminPort, tlsPort))
	do := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, e.AdminURL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("%s %s: bad JSON %q", method, path, raw)
			}
		}
		t.Logf("%s %s -> %d %s", method, path, resp.StatusCode, raw)
		return resp.StatusCode, m
	}
	if code, _ := do("POST", "/services", `{"name":"s1","host":"example.com"}`); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if code, _ := do("POST", "/services", `{"name":"s1","host":"example.com"}`); code != 409 {
		t.Fatalf("duplicate: %d", code)
	}
	if code, _ := do("POST", "/services/s1/routes", `{"paths":["/x"]}`); code != 201 {
		t.Fatalf("route: %d", code)
	}
	if code, _ := do("DELETE", "/services/s1", ``); code != 400 {
		t.Fatalf("delete referenced: %d", code)
	}
	if code, body := do("GET", "/services", ``); code != 200 || len(body["data"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, body)
	}
	resp, err := http.Get(e.StatusURL + "/status/ready")
	if err != nil {
		t.Fatalf("status listener: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /status/ready on the status listener: %d", resp.StatusCode)
	}
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err = insecure.Get(fmt.Sprintf("https://127.0.0.1:%d/services", tlsPort))
	if err != nil {
		t.Fatalf("TLS admin listener: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Server") != "kong/3.9.3" {
		t.Fatalf("GET /services over TLS: %d %q", resp.StatusCode, resp.Header.Get("Server"))
	}
	health := exec.Command(emulatorBinary(t), "health")
	health.Env = e.Env
	if out, err := health.CombinedOutput(); err != nil || !strings.Contains(string(out), "Kong is healthy") {
		t.Fatalf("kong health: %v: %s", err, out)
	}
	stop := exec.Command(emulatorBinary(t), "stop")
	stop.Env = e.Env
	if out, err := stop.CombinedOutput(); err != nil || !strings.Contains(string(out), "Kong stopped") {
		t.Fatalf("kong stop: %v: %s", err, out)
	}
	health = exec.Command(emulatorBinary(t), "health")
	health.Env = e.Env
	if out, err := health.CombinedOutput(); err == nil {
		t.Fatalf("kong health after kong stop succeeded: %s", out)
	}
}
