package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

type testCert struct{ cert, key, digest string }

func newTestCert(t *testing.T, isCA bool, notAfter time.Time, ec bool) testCert {
	t.Helper()
	p, err := pki.SelfSigned(pki.Options{CommonName: "test", IsCA: isCA, NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter, RSA: !ec})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(p.DER)
	return testCert{cert: string(p.CertPEM), key: string(p.KeyPEM), digest: hex.EncodeToString(sum[:])}
}

func body(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, string(b))
}

func TestCertificates(t *testing.T) {
	future := time.Now().Add(24 * time.Hour)
	rsaCert := newTestCert(t, false, future, false)
	other := newTestCert(t, false, future, false)
	ecCert := newTestCert(t, false, future, true)
	certs := mustGet(t, "certificates")

	t.Run("a matching pair is stored with sorted snis", func(t *testing.T) {
		out, err := certs.Process(body(t, map[string]any{"cert": rsaCert.cert, "key": rsaCert.key, "snis": []string{"b.com", "a.com"}}), Insert, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if got := canon(t, out["snis"]); got != `["a.com","b.com"]` {
			t.Errorf("snis = %s", got)
		}
		if out["cert_alt"] != nil || out["key_alt"] != nil || out["tags"] != nil {
			t.Errorf("optional fields not null: %v", out)
		}
	})
	t.Run("rsa cert with an ecdsa alternative", func(t *testing.T) {
		_, err := certs.Process(body(t, map[string]any{"cert": rsaCert.cert, "key": rsaCert.key, "cert_alt": ecCert.cert, "key_alt": ecCert.key}), Insert, testNow)
		if err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name string
		in   map[string]any
		want string
	}{
		{"key of another certificate", map[string]any{"cert": rsaCert.cert, "key": other.key},
			`{"@entity":["certificate does not match key"]}`},
		{"duplicated sni", map[string]any{"cert": rsaCert.cert, "key": rsaCert.key, "snis": []string{"a.com", "a.com"}},
			`{"snis":"a.com is duplicated"}`},
		{"alternative of the same key type", map[string]any{"cert": rsaCert.cert, "key": rsaCert.key, "cert_alt": other.cert, "key_alt": other.key},
			`{"@entity":["certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type"]}`},
		{"alternative cert without key", map[string]any{"cert": rsaCert.cert, "key": rsaCert.key, "cert_alt": ecCert.cert},
			`{"@entity":["all or none of these fields must be set: 'cert_alt', 'key_alt'"]}`},
		{"sni with a port", map[string]any{"cert": rsaCert.cert, "key": rsaCert.key, "snis": []string{"a.com:443"}},
			`{"snis":["must not have a port"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := certs.Process(body(t, tc.in), Insert, testNow)
			if got := canon(t, schemaErr(t, err).Fields); got != canon(t, decode(t, tc.want)) {
				t.Errorf("fields = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCACertificates(t *testing.T) {
	ca := newTestCert(t, true, time.Now().Add(24*time.Hour), false)
	leaf := newTestCert(t, false, time.Now().Add(24*time.Hour), false)
	expired := newTestCert(t, true, time.Now().Add(-time.Hour), false)
	cas := mustGet(t, "ca_certificates")

	out, err := cas.Process(body(t, map[string]any{"cert": ca.cert}), Insert, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if out["cert_digest"] != ca.digest {
		t.Errorf("cert_digest = %v, want hex sha256 of the DER %s", out["cert_digest"], ca.digest)
	}
	for _, tc := range []struct {
		name, cert, want string
	}{
		{"not a CA", leaf.cert, `certificate does not appear to be a CA because it is missing the "CA" basic constraint`},
		{"expired", expired.cert, `certificate expired, "Not After" time is in the past`},
		{"two certificates", ca.cert + ca.cert, "please submit only one certificate at a time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cas.Process(body(t, map[string]any{"cert": tc.cert}), Insert, testNow)
			fields := schemaErr(t, err).Fields
			if got := canon(t, fields["@entity"]); got != canon(t, []any{tc.want}) {
				t.Errorf("@entity = %s, want %q", got, tc.want)
			}
		})
	}
}
