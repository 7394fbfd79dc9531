package kube

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

// Files under Plan.Dir.
const (
	caCert      = "ca.crt"
	caKey       = "ca.key"
	servingCert = "apiserver.crt"
	servingKey  = "apiserver.key"
	adminCert   = "admin.crt"
	adminKey    = "admin.key"
	saKey       = "sa.key"
	saPub       = "sa.pub"
)

// certLife is how long the simulator's certificates last: a cluster may stay up for weeks.
const certLife = 365 * 24 * time.Hour

// Prepare writes what the control plane needs before it starts: a CA, the API
// server's serving certificate (for its address), the cluster admin's client
// certificate (group system:masters), the service-account signing key, and a
// kubeconfig that reaches the API server as that admin. Every file is 0600.
func (p Plan) Prepare() error {
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return fmt.Errorf("kubernetes: create %s: %w", p.Dir, err)
	}
	now := time.Now().Add(-time.Hour)
	ca, err := pki.SelfSigned(pki.Options{CommonName: "kongdb-sim-ca", IsCA: true, NotBefore: now, NotAfter: now.Add(certLife)})
	if err != nil {
		return fmt.Errorf("kubernetes: CA: %w", err)
	}
	ip := net.ParseIP(p.APIServerAddr)
	if ip == nil {
		return fmt.Errorf("kubernetes: API server address %q is not an IP", p.APIServerAddr)
	}
	serving, err := pki.SignedBy(ca, pki.Options{CommonName: "kube-apiserver", ServerAuth: true, NotBefore: now, NotAfter: now.Add(certLife),
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{ip, net.ParseIP("10.96.0.1")}})
	if err != nil {
		return fmt.Errorf("kubernetes: API server certificate: %w", err)
	}
	admin, err := pki.SignedBy(ca, pki.Options{CommonName: "kongdb-admin", Organization: "system:masters", ClientAuth: true,
		NotBefore: now, NotAfter: now.Add(certLife)})
	if err != nil {
		return fmt.Errorf("kubernetes: admin certificate: %w", err)
	}
	sa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("kubernetes: service-account key: %w", err)
	}
	saDER, err := x509.MarshalPKCS8PrivateKey(sa)
	if err != nil {
		return err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		caCert: ca.CertPEM, caKey: ca.KeyPEM, servingCert: serving.CertPEM, servingKey: serving.KeyPEM,
		adminCert: admin.CertPEM, adminKey: admin.KeyPEM,
		saKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: saDER}),
		saPub: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}),
	}
	files["kubeconfig"] = kubeconfig(p.Server(), "kongdb-sim-"+p.Cluster, ca.CertPEM, admin.CertPEM, admin.KeyPEM)
	for name, data := range files {
		if err := os.WriteFile(p.path(name), data, 0o600); err != nil {
			return fmt.Errorf("kubernetes: write %s: %w", name, err)
		}
	}
	return nil
}

// kubeconfig is a kubeconfig with one cluster, user and context, all named
// after the cluster, credentials inline so the file alone is enough.
func kubeconfig(server, name string, ca, cert, key []byte) []byte {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[1]s-admin
  user:
    client-certificate-data: %[4]s
    client-key-data: %[5]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s-admin
current-context: %[1]s
`, name, server, b64(ca), b64(cert), b64(key))
}
