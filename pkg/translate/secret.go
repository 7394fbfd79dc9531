package translate

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kong/go-kong/kong"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// certificateDraft is a certificate before merging (KIC's certWrapper): identical cert+key
// pairs from several Secrets become one Kong certificate.
type certificateDraft struct {
	identifier string // cert + key PEM
	cert       kong.Certificate
	snis       []string
	created    metav1.Time
}

// fillCertificates is KIC's getCerts + mergeCerts: each TLS Secret a route object asked for
// becomes a certificate whose ID is the Secret's UID and whose SNIs are the hosts asked for;
// Gateway listener certificates follow; identical key pairs merge (the oldest Secret's UID
// wins) and an SNI belongs to the first certificate that claims it. Services' client
// certificates are re-pointed at the merged ID.
func (t *translator) fillCertificates(rs *ruleSet, services []*kongService) {
	var ingressCerts []*certificateDraft
	for _, key := range rs.snis.order {
		e := rs.snis.entries[key]
		secret := t.idx.secrets[key]
		if secret == nil {
			for _, p := range e.parents {
				t.fail(p, "", "failed to fetch the TLS secret %s: not found", key)
			}
			continue
		}
		cert, pkey, err := certFromSecret(secret)
		if err != nil {
			t.fail(secret, "data", "failed to construct certificate from secret: %v", err)
			for _, p := range e.parents {
				t.fail(p, "", "failed to construct certificate from secret %s: %v", key, err)
			}
			continue
		}
		ingressCerts = append(ingressCerts, &certificateDraft{
			identifier: cert + pkey,
			cert: kong.Certificate{
				ID:   kong.String(t.certificateID(secret)),
				Cert: kong.String(cert),
				Key:  kong.String(pkey),
				Tags: t.tags(secret),
			},
			snis:    e.hosts,
			created: secret.CreationTimestamp,
		})
	}
	certs, mergedID := t.mergeCertificates(ingressCerts, t.gatewayCertificates())
	t.state.Certificates = certs
	for _, s := range services {
		if s.ClientCertificate != nil && s.ClientCertificate.ID != nil {
			s.ClientCertificate = &kong.Certificate{ID: kong.String(mergedID[*s.ClientCertificate.ID])}
		}
	}
}

// certificateID is the ID of the certificate a TLS Secret becomes: KIC's (the Secret's UID),
// or, for a Secret without a UID (read from a manifest), one derived from its namespace and
// name (kongstate.ObjectID), never an empty one, which Kong would refuse on the certificate's
// SNIs and client_certificate references.
func (t *translator) certificateID(s *corev1.Secret) string {
	return kongstate.ObjectID(string(s.UID), t.opts.Workspace, "Secret", s.Namespace, s.Name)
}

// certFromSecret returns the trimmed tls.crt and tls.key of a Secret after checking they form a
// key pair.
func certFromSecret(s *corev1.Secret) (cert, key string, err error) {
	c, okc := s.Data[corev1.TLSCertKey]
	k, okk := s.Data[corev1.TLSPrivateKeyKey]
	if !okc || !okk {
		return "", "", fmt.Errorf("no keypair could be found in secret '%s/%s'", s.Namespace, s.Name)
	}
	c, k = bytes.TrimSpace(c), bytes.TrimSpace(k)
	if _, err := tls.X509KeyPair(c, k); err != nil {
		return "", "", fmt.Errorf("parsing TLS key-pair in secret '%s/%s': %w", s.Namespace, s.Name, err)
	}
	return string(c), string(k), nil
}

func (t *translator) mergeCertificates(lists ...[]*certificateDraft) ([]*kongstate.Certificate, map[string]string) {
	snisSeen := map[string]string{}
	byIdentifier := map[string]*certificateDraft{}
	var order []string
	idSets := map[string][]string{} // identifier → IDs of all Secrets with that pair
	for _, list := range lists {
		for _, cw := range list {
			cur, ok := byIdentifier[cw.identifier]
			if !ok {
				c := *cw
				c.cert.SNIs = nil
				cur = &c
				byIdentifier[cw.identifier] = cur
				order = append(order, cw.identifier)
			} else if cur.created.After(cw.created.Time) ||
				(cur.created.Equal(&cw.created) && deref(cur.cert.ID) > deref(cw.cert.ID)) {
				cur.cert.ID = cw.cert.ID
				cur.created = cw.created
			}
			for _, sni := range cw.snis {
				if seen, ok := snisSeen[sni]; !ok {
					snisSeen[sni] = deref(cur.cert.ID)
					cur.cert.SNIs = append(cur.cert.SNIs, kong.String(sni))
				} else if seen != deref(cur.cert.ID) {
					t.warnSNIConflict(sni, seen, deref(cur.cert.ID))
				}
			}
			idSets[cw.identifier] = append(idSets[cw.identifier], deref(cw.cert.ID))
		}
	}
	merged := map[string]string{}
	out := make([]*kongstate.Certificate, 0, len(order))
	for _, id := range order {
		cw := byIdentifier[id]
		slices.SortStableFunc(cw.cert.SNIs, func(a, b *string) int { return strings.Compare(*a, *b) })
		out = append(out, &kongstate.Certificate{Certificate: cw.cert})
		for _, secretID := range idSets[id] {
			merged[secretID] = deref(cw.cert.ID)
		}
	}
	return out, merged
}

func (t *translator) warnSNIConflict(sni, served, requested string) {
	for _, s := range t.snap.Secrets {
		if s != nil && t.certificateID(s) == requested {
			t.warn(s, "data", "SNI %q is already served by certificate %s; a host can be served by only one certificate", sni, served)
			return
		}
	}
}

// fillCACertificates is KIC's getCACerts: Secrets and ConfigMaps labelled konghq.com/ca-cert=true
// become CA certificates whose ID is their data "id"; of duplicate IDs the oldest object wins
// (then by namespace, then name); the PEM must be one CA certificate (data "cert" or "ca.crt"),
// not expired at Options.Now.
func (t *translator) fillCACertificates() {
	type caData struct {
		obj  object
		data map[string]string
	}
	var all []caData
	for _, s := range t.snap.Secrets {
		if s != nil && s.Labels[labelCACert] == "true" {
			data := make(map[string]string, len(s.Data))
			for k, v := range s.Data {
				data[k] = string(v)
			}
			all = append(all, caData{obj: s, data: data})
		}
	}
	for _, cm := range t.snap.ConfigMaps {
		if cm != nil && cm.Labels[labelCACert] == "true" {
			all = append(all, caData{obj: cm, data: cm.Data})
		}
	}
	slices.SortStableFunc(all, func(a, b caData) int { return compareAge(a.obj, b.obj) })
	winners := map[string]caData{}
	var ids []string
	for _, c := range all {
		id, ok := c.data["id"]
		if !ok {
			t.fail(c.obj, "data.id", "invalid secret CA certificate: missing 'id' field in data")
			continue
		}
		if _, seen := winners[id]; seen {
			// all is ordered oldest first: the one already seen wins.
			t.fail(c.obj, "data.id", "invalid secret CA certificate: duplicate 'id' field in multiple objects")
			continue
		}
		winners[id] = c
		ids = append(ids, id)
	}
	for _, id := range ids {
		w := winners[id]
		pemData, ok := w.data["cert"]
		if !ok {
			pemData, ok = w.data["ca.crt"]
		}
		if !ok {
			t.fail(w.obj, "data", `invalid secret CA certificate %s/%s, neither "cert" nor "ca.crt" key exist`, w.obj.GetNamespace(), w.obj.GetName())
			continue
		}
		cert, err := t.caCertificate([]byte(pemData))
		if err != nil {
			t.fail(w.obj, "data.cert", "invalid secret CA certificate: %v", err)
			continue
		}
		t.state.CACertificates = append(t.state.CACertificates, &kong.CACertificate{
			ID:   kong.String(id),
			Cert: kong.String(cert),
			Tags: t.tags(w.obj),
		})
	}
}

// compareAge orders objects oldest first, then by namespace, then by name (KIC's pickWinner).
func compareAge(a, b object) int {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	switch {
	case ta.Before(&tb):
		return -1
	case tb.Before(&ta):
		return 1
	}
	return strings.Compare(nsName(a.GetNamespace(), a.GetName()), nsName(b.GetNamespace(), b.GetName()))
}

// caCertificate checks that data is exactly one PEM CA certificate and re-encodes it.
func (t *translator) caCertificate(data []byte) (string, error) {
	rest := bytes.TrimSpace(data)
	var blocks [][]byte
	for len(rest) > 0 {
		block, r := pem.Decode(rest)
		if block == nil {
			return "", errors.New("invalid PEM block")
		}
		if block.Type != "CERTIFICATE" {
			return "", errors.New("invalid PEM block type")
		}
		blocks = append(blocks, block.Bytes)
		rest = bytes.TrimSpace(r)
	}
	switch {
	case len(blocks) == 0:
		return "", errors.New("invalid PEM block")
	case len(blocks) > 1:
		return "", errors.New("multiple PEM certificates found")
	}
	c, err := x509.ParseCertificate(blocks[0])
	if err != nil {
		return "", errors.New("failed to parse certificate")
	}
	if !c.IsCA {
		return "", errors.New("certificate is missing the 'CA' basic constraint")
	}
	if !t.opts.Now.IsZero() && t.opts.Now.After(c.NotAfter) {
		return "", errors.New("expired")
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: blocks[0]})), nil
}
