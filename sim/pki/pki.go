// Package pki makes the certificates a local Kong cluster needs and that tests feed it: a
// self-signed certificate for a listener or a Kubernetes TLS Secret, or a CA certificate for
// Kong's ca_certificates. Part 2 of the simulator adds the hybrid-mode cluster certificates
// here, so every certificate the project makes comes from one place.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// Options describe a self-signed certificate. The zero value is a one-day ECDSA P-256
// certificate for "localhost".
type Options struct {
	CommonName   string
	DNSNames     []string
	Organization string
	// IsCA makes a CA certificate (basicConstraints CA:true, keyCertSign), as Kong requires of
	// ca_certificates.
	IsCA bool
	// NotBefore defaults to an hour ago (clock skew); NotAfter to a day after NotBefore + 1h.
	NotBefore, NotAfter time.Time
	// RSA selects a 2048-bit RSA key instead of ECDSA P-256.
	RSA bool
	// Curve replaces ECDSA P-256 by another curve.
	Curve elliptic.Curve
	// NoDNSNames leaves the subject alternative names out even for a leaf certificate.
	NoDNSNames bool
	// ServerAuth adds the serverAuth extended key usage, for TLS listeners.
	ServerAuth bool
}

// Pair is a certificate and its private key, PEM-encoded (the key as PKCS #8).
type Pair struct {
	CertPEM, KeyPEM []byte
	// DER is the certificate's DER bytes, e.g. for Kong's cert_digest (sha256 of DER).
	DER []byte
}

// SelfSigned makes a self-signed certificate and key.
func SelfSigned(o Options) (Pair, error) {
	if o.CommonName == "" {
		o.CommonName = "localhost"
	}
	if len(o.DNSNames) == 0 && !o.IsCA && !o.NoDNSNames {
		o.DNSNames = []string{o.CommonName}
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = o.NotBefore.Add(25 * time.Hour)
	}
	var key crypto.Signer
	var err error
	if o.RSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		curve := o.Curve
		if curve == nil {
			curve = elliptic.P256()
		}
		key, err = ecdsa.GenerateKey(curve, rand.Reader)
	}
	if err != nil {
		return Pair{}, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return Pair{}, fmt.Errorf("serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.CommonName},
		DNSNames:     o.DNSNames,
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if o.Organization != "" {
		tmpl.Subject.Organization = []string{o.Organization}
	}
	if o.IsCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if o.ServerAuth {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return Pair{}, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Pair{}, fmt.Errorf("marshal key: %w", err)
	}
	return Pair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		DER:     der,
	}, nil
}

// ClusterCert makes the shared hybrid-mode certificate as `kong hybrid gen_cert`
// does (kong/cmd/hybrid.lua): EC P-384, CN=kong_clustering, no subject
// alternative name, valid for three years.
func ClusterCert() (Pair, error) {
	from := time.Now().Add(-time.Hour)
	return SelfSigned(Options{CommonName: "kong_clustering", Curve: elliptic.P384(), NoDNSNames: true,
		NotBefore: from, NotAfter: from.AddDate(3, 0, 0)})
}
