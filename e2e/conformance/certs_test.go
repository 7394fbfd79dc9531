package conformance

import (
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

// testCert generates a fresh certificate and its key as PEM; isCA makes a
// CA certificate (basicConstraints CA:true), as ca_certificates requires.
func testCert(t testing.TB, cn string, isCA bool) (certPEM, keyPEM string) {
	t.Helper()
	p, err := pki.SelfSigned(pki.Options{CommonName: cn, IsCA: isCA})
	if err != nil {
		t.Fatal(err)
	}
	return string(p.CertPEM), string(p.KeyPEM)
}
