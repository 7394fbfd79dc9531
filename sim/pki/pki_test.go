package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"
)

func TestSelfSigned(t *testing.T) {
	notAfter := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	tests := []struct {
		name  string
		opts  Options
		check func(t *testing.T, c *x509.Certificate)
	}{
		{"zero value is a localhost leaf", Options{}, func(t *testing.T, c *x509.Certificate) {
			if c.Subject.CommonName != "localhost" || len(c.DNSNames) != 1 || c.DNSNames[0] != "localhost" || c.IsCA {
				t.Errorf("cn %q, dns %v, ca %v", c.Subject.CommonName, c.DNSNames, c.IsCA)
			}
		}},
		{"CA for Kong's ca_certificates", Options{CommonName: "root", IsCA: true}, func(t *testing.T, c *x509.Certificate) {
			if !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage&x509.KeyUsageCertSign == 0 {
				t.Errorf("not a CA: ca %v, constraints %v, usage %v", c.IsCA, c.BasicConstraintsValid, c.KeyUsage)
			}
		}},
		{"RSA with names, expiry and server auth", Options{CommonName: "a.example", DNSNames: []string{"a.example", "b.example"}, RSA: true, NotAfter: notAfter, ServerAuth: true},
			func(t *testing.T, c *x509.Certificate) {
				if _, ok := c.PublicKey.(*rsa.PublicKey); !ok {
					t.Errorf("key is %T, want RSA", c.PublicKey)
				}
				if len(c.DNSNames) != 2 || !c.NotAfter.Equal(notAfter) || len(c.ExtKeyUsage) != 1 {
					t.Errorf("dns %v, notAfter %v, eku %v", c.DNSNames, c.NotAfter, c.ExtKeyUsage)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := SelfSigned(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			pair, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM)
			if err != nil {
				t.Fatalf("certificate and key do not match: %v", err)
			}
			c, err := x509.ParseCertificate(pair.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			if string(c.Raw) != string(p.DER) {
				t.Error("DER is not the certificate's")
			}
			if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
				t.Errorf("not self-signed: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestClusterCertIsWhatKongHybridGenCertMakes(t *testing.T) {
	p, err := ClusterCert()
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(p.DER)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P384() {
		t.Errorf("key is %T, want EC P-384", c.PublicKey)
	}
	if c.Subject.String() != "CN=kong_clustering" || c.Issuer.String() != "CN=kong_clustering" {
		t.Errorf("subject %q issuer %q", c.Subject, c.Issuer)
	}
	if len(c.Extensions) != 0 || len(c.DNSNames) != 0 {
		t.Errorf("extensions %v, SAN %v: want none", c.Extensions, c.DNSNames)
	}
	if days := c.NotAfter.Sub(c.NotBefore).Hours() / 24; days != 1095 {
		t.Errorf("valid for %v days, want 1095", days)
	}
	if _, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM); err != nil {
		t.Errorf("pair does not load: %v", err)
	}
}
