package cluster

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

const emptyHash = "00000000000000000000000000000000"

// hybrid is a control plane on its own database and the settings a data
// plane needs to join it.
type hybrid struct {
	cp      *node
	cpAddr  string
	db      pgtest.Database
	cert    string
	keyPath string
}

func startControlPlane(t *testing.T) *hybrid {
	t.Helper()
	db := pgtest.NewDatabase(t)
	bootstrap(t, db)
	h := &hybrid{cpAddr: freeAddr(t), db: db}
	h.cert, h.keyPath = clusterCert(t)
	h.cp = h.startControlPlaneNode(t, "cp", h.cpAddr)
	return h
}

// startControlPlaneNode starts a control plane of the same cluster (same
// database and certificate) with its cluster listener on addr.
func (h *hybrid) startControlPlaneNode(t *testing.T, name, addr string) *node {
	t.Helper()
	env := append(baseEnv(t), h.db.Env()...)
	env = append(env, "KONG_ROLE=control_plane", "KONG_CLUSTER_LISTEN="+addr,
		"KONG_CLUSTER_CERT="+h.cert, "KONG_CLUSTER_CERT_KEY="+h.keyPath, "KONG_DB_UPDATE_FREQUENCY=0.5")
	return start(t, name, env)
}

// startDataPlane joins a data plane with the given certificate.
func (h *hybrid) startDataPlane(t *testing.T, name, cert, keyPath string) *node {
	t.Helper()
	env := append(baseEnv(t), "KONG_ROLE=data_plane", "KONG_DATABASE=off", "KONG_CLUSTER_CONTROL_PLANE="+h.cpAddr,
		"KONG_CLUSTER_CERT="+cert, "KONG_CLUSTER_CERT_KEY="+keyPath)
	return start(t, name, env)
}

// dataPlanes is the CP's /clustering/data-planes by id.
func (h *hybrid) dataPlanes() (map[string]map[string]any, error) {
	body, err := getJSON(h.cp.AdminURL + "/clustering/data-planes")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]any{}
	list, _ := body["data"].([]any)
	for _, x := range list {
		dp, _ := x.(map[string]any)
		id, _ := dp["id"].(string)
		out[id] = dp
	}
	return out, nil
}

// nodeID is a node's id as its Status API's host reports it: the data
// plane's /status has none, so it is read from the CP's list by hash.
func inSync(h *hybrid, dps ...*node) (string, error) {
	want := ""
	for _, dp := range dps {
		hash, err := configHash(dp)
		if err != nil {
			return "", err
		}
		if hash == emptyHash || (want != "" && hash != want) {
			return "", fmt.Errorf("%s serves %s, want a non-empty hash shared by all (%s)", dp.name, hash, want)
		}
		want = hash
	}
	rows, err := h.dataPlanes()
	if err != nil {
		return "", err
	}
	if len(rows) != len(dps) {
		return "", fmt.Errorf("control plane lists %d data planes, want %d", len(rows), len(dps))
	}
	for id, row := range rows {
		if row["sync_status"] != "normal" || row["config_hash"] != want || row["version"] != "3.9.3" {
			return "", fmt.Errorf("data plane %s: sync_status %v, config_hash %v, version %v; want normal, %s, 3.9.3",
				id, row["sync_status"], row["config_hash"], row["version"], want)
		}
	}
	return want, nil
}

func TestHybridDataPlanesFollowTheControlPlaneAndSurviveIt(t *testing.T) {
	h := startControlPlane(t)
	svc := post(t, h.cp.AdminURL+"/services", map[string]any{"name": "echo", "url": backend(t)})
	post(t, h.cp.AdminURL+"/services/echo/routes", map[string]any{"name": "r1", "paths": []any{"/one"}})
	dp1 := h.startDataPlane(t, "dp1", h.cert, h.keyPath)
	dp2 := h.startDataPlane(t, "dp2", h.cert, h.keyPath)

	var first string
	waitFor(t, 30*time.Second, "both data planes in sync", func() (err error) {
		first, err = inSync(h, dp1, dp2)
		return err
	})
	status, err := getJSON(h.cp.AdminURL + "/clustering/status")
	if err != nil || len(status) != 2 {
		t.Fatalf("/clustering/status = %v, %v; want both data planes", status, err)
	}
	if resp, err := http.Get(h.cp.AdminURL + "/clustering/status"); err != nil || resp.Header.Get("Deprecation") != "true" {
		t.Errorf("/clustering/status without Kong's Deprecation header (%v)", err)
	} else {
		resp.Body.Close()
	}
	for _, dp := range []*node{dp1, dp2} {
		if _, err := getJSON(dp.StatusURL + "/status/ready"); err != nil {
			t.Errorf("%s not ready with a configuration: %v", dp.name, err)
		}
		if err := health(t, dp); err != nil {
			t.Errorf("kong health on %s: %v", dp.name, err)
		}
		if err := proxied(dp, "/one"); err != nil {
			t.Error(err)
		}
	}

	post(t, h.cp.AdminURL+"/routes", map[string]any{"name": "r2", "paths": []any{"/two"},
		"service": map[string]any{"id": svc["id"]}})
	var second string
	waitFor(t, 30*time.Second, "the new route reaches both data planes", func() (err error) {
		if second, err = inSync(h, dp1, dp2); err == nil && second == first {
			err = fmt.Errorf("data planes still serve %s", first)
		}
		return err
	})
	for _, dp := range []*node{dp1, dp2} {
		if err := proxied(dp, "/two"); err != nil {
			t.Error(err)
		}
	}

	h.cp.Kill(t)
	waitFor(t, 60*time.Second, "data planes notice the control plane is gone", func() error {
		for _, dp := range []*node{dp1, dp2} {
			if !strings.Contains(dp.Log.String(), "connection to control plane broken") {
				return fmt.Errorf("%s has not logged the broken connection", dp.name)
			}
		}
		return nil
	})
	for _, dp := range []*node{dp1, dp2} {
		if hash, err := configHash(dp); err != nil || hash != second {
			t.Errorf("%s after the control plane died: hash %s, %v; want %s", dp.name, hash, err, second)
		}
		if err := proxied(dp, "/two"); err != nil {
			t.Errorf("after the control plane died: %v", err)
		}
	}

	dp1.Stop(t)
	dp1.restart(t)
	if hash, err := configHash(dp1); err != nil || hash != second {
		t.Errorf("dp1 restarted without control plane: hash %s, %v; want its persisted %s", hash, err, second)
	}
	if _, err := getJSON(dp1.StatusURL + "/status/ready"); err != nil {
		t.Errorf("dp1 restarted without control plane is not ready: %v", err)
	}
	for _, path := range []string{"/one", "/two"} {
		if err := proxied(dp1, path); err != nil {
			t.Errorf("dp1 restarted without control plane: %v", err)
		}
	}

	// Back on the same address, the control plane is found again by both
	// data planes' retries (every 5–10 s) and hands them what they serve.
	connects := strings.Count(h.cp.Log.String(), "data plane connected")
	h.cp.restart(t)
	waitFor(t, 40*time.Second, "data planes reconnected", func() error {
		if n := strings.Count(h.cp.Log.String(), "data plane connected") - connects; n < 2 {
			return fmt.Errorf("%d of 2 data planes reconnected", n)
		}
		got, err := inSync(h, dp1, dp2)
		if err == nil && got != second {
			err = fmt.Errorf("data planes serve %s after reconnecting, want %s", got, second)
		}
		return err
	})
}

func TestHybridRefusesADataPlaneWithAnotherCertificate(t *testing.T) {
	h := startControlPlane(t)
	post(t, h.cp.AdminURL+"/services", map[string]any{"name": "echo", "url": "http://127.0.0.1:9"})
	foreignCert, foreignKey := clusterCert(t)
	dp := h.startDataPlane(t, "foreign", foreignCert, foreignKey)

	waitFor(t, 30*time.Second, "the refusal logged on both sides", func() error {
		// Each side holds a different cluster certificate: the data plane
		// refuses the control plane's (TLS 1.3 checks the server first) and
		// the control plane logs the aborted handshake.
		if !strings.Contains(h.cp.Log.String(), "TLS handshake error") {
			return fmt.Errorf("control plane has not logged a refused handshake")
		}
		if !strings.Contains(dp.Log.String(), "peer certificate is not the cluster certificate") {
			return fmt.Errorf("data plane has not logged a refusal")
		}
		return nil
	})
	if hash, err := configHash(dp); err != nil || hash != emptyHash {
		t.Errorf("refused data plane serves %s (%v), want the empty hash", hash, err)
	}
	resp, err := http.Get(dp.StatusURL + "/status/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("refused data plane /status/ready = %d, want 503", resp.StatusCode)
	}
	rows, err := h.dataPlanes()
	if err != nil || len(rows) != 0 {
		t.Errorf("control plane lists %v (%v), want no data plane", rows, err)
	}
	if err := health(t, dp); err == nil {
		t.Error("kong health succeeds on a data plane with nothing to serve")
	}
}

// A write through another control plane of the cluster reaches this
// control plane's data plane: the other CP's cluster event, polled here,
// triggers a push.
func TestHybridWriteThroughAnotherControlPlaneReachesTheDataPlanes(t *testing.T) {
	h := startControlPlane(t)
	post(t, h.cp.AdminURL+"/services", map[string]any{"name": "echo", "url": backend(t)})
	dp := h.startDataPlane(t, "dp", h.cert, h.keyPath)
	var before string
	waitFor(t, 30*time.Second, "data plane in sync", func() (err error) {
		before, err = inSync(h, dp)
		return err
	})
	other := h.startControlPlaneNode(t, "cp2", freeAddr(t))
	post(t, other.AdminURL+"/services/echo/routes", map[string]any{"name": "via-cp2", "paths": []any{"/cp2"}})
	waitFor(t, 30*time.Second, "the other control plane's write served by the data plane", func() error {
		if err := proxied(dp, "/cp2"); err != nil {
			return err
		}
		after, err := inSync(h, dp)
		if err == nil && after == before {
			err = fmt.Errorf("data plane still reports %s", before)
		}
		return err
	})
}
