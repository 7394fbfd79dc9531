// Package pki makes the certificates a local Kong cluster needs and that tests feed it: a
// self-signed certificate for a listener or a Kubernetes TLS Secret, or a CA certificate for
// Kong's ca_certificates, or a hybrid-mode cluster certificate, so every certificate the project
// makes comes from one place.
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
	"net"
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
	// ServerAuth adds the serverAuth extended key usage, for TLS listeners.
	ServerAuth bool
	// ClientAuth adds the clientAuth extended key usage, for client certificates (the
	// simulator's Kubernetes admin).
	ClientAuth bool
	// IPAddresses are IP SANs, for servers reached by address (the simulator's kube-apiserver).
	IPAddresses []net.IP
}

// Pair is a certificate and its private key, PEM-encoded (the key as PKCS #8).
type Pair struct {
	CertPEM, KeyPEM []byte
	// DER is the certificate's DER bytes, e.g. for Kong's cert_digest (sha256 of DER).
	DER []byte
}

// SelfSigned makes a self-signed certificate and key.
func SelfSigned(o Options) (Pair, error) {
	tmpl, key, err := template(o)
	if err != nil {
		return Pair{}, err
	}
	return sign(tmpl, tmpl, key, key)
}

// SignedBy makes a certificate and key described by o and signed by ca
// (made with IsCA), e.g. for cluster_mtls = pki with cluster_ca_cert.
func SignedBy(ca Pair, o Options) (Pair, error) {
	caCert, err := x509.ParseCertificate(ca.DER)
	if err != nil {
		return Pair{}, fmt.Errorf("parse CA certificate: %w", err)
	}
	block, _ := pem.Decode(ca.KeyPEM)
	if block == nil {
		return Pair{}, fmt.Errorf("CA key: no PEM block")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return Pair{}, fmt.Errorf("parse CA key: %w", err)
	}
	caKey, ok := parsed.(crypto.Signer)
	if !ok {
		return Pair{}, fmt.Errorf("CA key of type %T cannot sign", parsed)
	}
	tmpl, key, err := template(o)
	if err != nil {
		return Pair{}, err
	}
	return sign(tmpl, caCert, key, caKey)
}

// template turns o into a certificate template and a fresh key.
func template(o Options) (*x509.Certificate, crypto.Signer, error) {
	if o.CommonName == "" {
		o.CommonName = "localhost"
	}
	if len(o.DNSNames) == 0 && !o.IsCA {
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
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, fmt.Errorf("serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.CommonName},
		DNSNames:     o.DNSNames,
		IPAddresses:  o.IPAddresses,
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
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if o.ClientAuth {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	return tmpl, key, nil
}

// ClusterCert makes a hybrid-mode cluster certificate exactly as `kong
// hybrid gen_cert` does (kong/cmd/hybrid.lua): an EC P-384 key, self-signed,
// subject and issuer CN=kong_clustering, valid for 1095 days, with no SAN
// and no extensions. Because it names no host, peers verify it by equality
// (cluster_mtls = shared), never by hostname.
func ClusterCert() (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return Pair{}, fmt.Errorf("generate cluster key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return Pair{}, fmt.Errorf("serial number: %w", err)
	}
	now := time.Now()
	name := pkix.Name{CommonName: "kong_clustering"}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: name, Issuer: name,
		NotBefore: now, NotAfter: now.Add(1095 * 24 * time.Hour)}
	return sign(tmpl, tmpl, key, key)
}

// sign creates tmpl signed by parent's key and encodes it with key.
func sign(tmpl, parent *x509.Certificate, key, parentKey crypto.Signer) (Pair, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
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
