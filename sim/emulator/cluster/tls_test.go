package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

// loadTLS loads cluster certificate settings as a node does, the
// certificate as a file path and the key and CA as PEM text.
func loadTLS(t *testing.T, role string, pair pki.Pair, ca pki.Pair, extra ...string) *TLS {
	t.Helper()
	certPath := filepath.Join(t.TempDir(), "cluster.crt")
	if err := os.WriteFile(certPath, pair.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	env := append([]string{"KONG_ROLE=" + role, "KONG_CLUSTER_MTLS=pki", "KONG_CLUSTER_CERT=" + certPath,
		"KONG_CLUSTER_CERT_KEY=" + string(pair.KeyPEM), "KONG_CLUSTER_CA_CERT=" + string(ca.CertPEM)}, extra...)
	if role == config.RoleDataPlane {
		env = append(env, "KONG_DATABASE=off")
	}
	c, err := config.Load(writeConf(t), env)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := LoadTLS(c)
	if err != nil {
		t.Fatal(err)
	}
	return certs
}

func writeConf(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kong.conf")
	if err := os.WriteFile(p, []byte("# empty\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// cluster_mtls = pki: both sides present certificates issued by
// cluster_ca_cert, and the data plane checks the control plane's name
// (cluster_server_name); a data plane issued by another CA is refused.
func TestPKIModeTrustsTheClusterCA(t *testing.T) {
	ca, err := pki.SelfSigned(pki.Options{CommonName: "cluster-ca", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := pki.SelfSigned(pki.Options{CommonName: "other-ca", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(ca pki.Pair, cn string) pki.Pair {
		p, err := pki.SignedBy(ca, pki.Options{CommonName: cn})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	st := openStores(t, 1)[0]
	insert(t, st, "services", map[string]any{"name": "s", "host": "example.com"})
	cpCerts := loadTLS(t, config.RoleControlPlane, issue(ca, "cp.kong.test"), ca)
	_, addr := startCP(t, st, cpCerts, quiet)

	good := loadTLS(t, config.RoleDataPlane, issue(ca, "dp.kong.test"), ca, "KONG_CLUSTER_SERVER_NAME=cp.kong.test")
	dp := startDP(t, addr, good, &holder{}, func(o *DataPlaneOptions) { o.TLS = good.ClientConfig(quiet, addr) })
	waitUntil(t, 20*time.Second, "pki data plane configured", func() bool { return dp.Hash() != EmptyHash })

	foreign := loadTLS(t, config.RoleDataPlane, issue(otherCA, "dp.kong.test"), ca, "KONG_CLUSTER_SERVER_NAME=cp.kong.test")
	var log syncLog
	refused := startDP(t, addr, foreign, &holder{}, func(o *DataPlaneOptions) {
		o.TLS, o.NodeID = foreign.ClientConfig(quiet, addr), "9f2a4e6c-0000-4000-8000-000000000002"
		o.Log = slogTo(&log)
	})
	waitUntil(t, 20*time.Second, "refusal logged by the data plane", func() bool {
		return strings.Contains(log.String(), "connection to control plane broken")
	})
	if refused.Hash() != EmptyHash {
		t.Errorf("data plane from another CA was configured (%s)", refused.Hash())
	}
}
