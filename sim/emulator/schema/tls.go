package schema

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"time"
)

// parseCert decodes the first PEM certificate, as resty.openssl.x509.new.
func parseCert(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("PEM_read_bio_X509_AUX() failed")
	}
	return x509.ParseCertificate(block.Bytes)
}

// parseKey decodes a PEM private (or public) key.
func parseKey(s string) (any, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("pkey.new:load_key: failed to load key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("pkey.new:load_key: failed to load key")
}

func validateCertificate(s string) string {
	if _, err := parseCert(s); err != nil {
		return "invalid certificate: " + err.Error()
	}
	return ""
}

func validateKey(s string) string {
	if _, err := parseKey(s); err != nil {
		return "invalid key: " + err.Error()
	}
	return ""
}

type publicKeyer interface{ Public() crypto.PublicKey }

type equaler interface{ Equal(crypto.PublicKey) bool }

// certMatchesKey reports whether the private key belongs to the
// certificate's public key.
func certMatchesKey(certPEM, keyPEM string) bool {
	cert, err := parseCert(certPEM)
	if err != nil {
		return false
	}
	k, err := parseKey(keyPEM)
	if err != nil {
		return false
	}
	priv, ok := k.(publicKeyer)
	if !ok {
		return false
	}
	pub, ok := priv.Public().(equaler)
	return ok && pub.Equal(cert.PublicKey)
}

func certKeyType(certPEM string) x509.PublicKeyAlgorithm {
	cert, err := parseCert(certPEM)
	if err != nil {
		return x509.UnknownPublicKeyAlgorithm
	}
	return cert.PublicKeyAlgorithm
}

const certTag = "-----BEGIN CERTIFICATE-----"

// checkCACert is ca_certificates' entity check; now is the validation time.
func checkCACert(cert string, now time.Time) string {
	if first := strings.Index(cert, certTag); first >= 0 && strings.Contains(cert[first+len(certTag):], certTag) {
		return "please submit only one certificate at a time"
	}
	c, err := parseCert(cert)
	if err != nil {
		return "invalid certificate: " + err.Error()
	}
	if c.NotAfter.Before(now) {
		return `certificate expired, "Not After" time is in the past`
	}
	if !c.BasicConstraintsValid || !c.IsCA {
		return `certificate does not appear to be a CA because it is missing the "CA" basic constraint`
	}
	return ""
}

// certDigest is the hex SHA-256 of the certificate's DER, Kong's
// cert_digest.
func certDigest(cert string) string {
	c, err := parseCert(cert)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
