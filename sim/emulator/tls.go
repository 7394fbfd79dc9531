package emulator

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

// listenerCert returns the certificate for an SSL listener: the files or
// PEM values named by the setting (admin_ssl_cert / admin_ssl_cert_key),
// else a self-signed one, as Kong generates under its prefix.
func listenerCert(certSetting, keySetting string, certs, keys []string) (tls.Certificate, error) {
	if len(certs) > 0 && len(keys) > 0 {
		c, err := config.ReadPEM(certSetting, certs[0])
		if err != nil {
			return tls.Certificate{}, err
		}
		k, err := config.ReadPEM(keySetting, keys[0])
		if err != nil {
			return tls.Certificate{}, err
		}
		return tls.X509KeyPair(c, k)
	}
	return selfSigned()
}

func selfSigned() (tls.Certificate, error) {
	p, err := pki.SelfSigned(pki.Options{
		CommonName: "localhost", Organization: "Kong", ServerAuth: true,
		NotAfter: time.Now().AddDate(10, 0, 0),
	})
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("listener certificate: %w", err)
	}
	return tls.X509KeyPair(p.CertPEM, p.KeyPEM)
}
