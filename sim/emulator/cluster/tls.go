package cluster

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
)

// TLS is a node's cluster certificate settings, loaded once.
type TLS struct {
	// Cert is cluster_cert with cluster_cert_key.
	Cert tls.Certificate
	// Leaf is Cert's parsed certificate.
	Leaf *x509.Certificate
	// PKI is cluster_mtls = pki; CA is cluster_ca_cert then.
	PKI bool
	CA  *x509.CertPool
	// caPEM is cluster_ca_cert's text, appended to the data plane's system
	// roots as Kong appends it to lua_ssl_trusted_certificate.
	caPEM []byte
	// ServerName is cluster_server_name (pki mode).
	ServerName string
}

// LoadTLS reads the cluster_* certificate settings; each accepts a file
// path or the PEM text.
func LoadTLS(c *config.Config) (*TLS, error) {
	certPEM, err := config.ReadPEM("cluster_cert", c.ClusterCert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := config.ReadPEM("cluster_cert_key", c.ClusterCertKey)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("cluster_cert and cluster_cert_key: %w", err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("cluster_cert: %w", err)
	}
	t := &TLS{Cert: cert, Leaf: leaf, PKI: c.ClusterMTLS == "pki", ServerName: c.ClusterServerName}
	if c.ClusterCACert != "" {
		caPEM, err := config.ReadPEM("cluster_ca_cert", c.ClusterCACert)
		if err != nil {
			return nil, err
		}
		t.CA, t.caPEM = x509.NewCertPool(), caPEM
		if !t.CA.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("cluster_ca_cert: no PEM certificate found")
		}
	}
	if t.PKI && t.CA == nil && c.Role == config.RoleControlPlane {
		return nil, errors.New(`cluster_ca_cert must be specified when cluster_mtls = "pki"`)
	}
	return t, nil
}

// errForeignCert is the refusal of a peer whose certificate is not the
// shared cluster certificate.
var errForeignCert = errors.New("peer certificate is not the cluster certificate (cluster_mtls = shared)")

// sameCert verifies a peer by equality with the cluster certificate, as
// Kong's shared mode compares digests: the certificate `kong hybrid
// gen_cert` makes (CN=kong_clustering, no SAN) fails any hostname check,
// so this replaces chain and name verification, not adds to it.
func (t *TLS) sameCert(log *slog.Logger, side string) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 || !bytes.Equal(raw[0], t.Cert.Certificate[0]) {
			log.Error("cluster TLS: connection refused", "side", side, "error", errForeignCert)
			return errForeignCert
		}
		return nil
	}
}

// ServerConfig is the control plane listener's TLS: it requires a client
// certificate, equal to the cluster certificate (shared) or issued by
// cluster_ca_cert (pki).
func (t *TLS) ServerConfig(log *slog.Logger) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{t.Cert}, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}}
	if t.PKI {
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, t.CA
		return cfg
	}
	cfg.ClientAuth = tls.RequireAnyClientCert
	cfg.VerifyPeerCertificate = t.sameCert(log, "control_plane")
	return cfg
}

// ClientConfig is the data plane's TLS towards controlPlane (host:port):
// shared mode trusts exactly the cluster certificate and names the server
// kong_clustering; pki mode verifies against the system roots plus
// cluster_ca_cert, for cluster_server_name or the control plane's host.
func (t *TLS) ClientConfig(log *slog.Logger, controlPlane string) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{t.Cert}, MinVersion: tls.VersionTLS12}
	if !t.PKI {
		cfg.ServerName = "kong_clustering"
		cfg.InsecureSkipVerify = true // replaced by sameCert, see there
		cfg.VerifyPeerCertificate = t.sameCert(log, "data_plane")
		return cfg
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	roots.AppendCertsFromPEM(t.caPEM)
	cfg.RootCAs = roots
	cfg.ServerName = t.ServerName
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(controlPlane)
	}
	return cfg
}
