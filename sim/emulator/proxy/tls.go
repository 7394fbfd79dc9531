package proxy

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

func compileCerts(certRows, sniRows []*row) (certIndex, error) {
	idx := certIndex{exact: map[string]*tls.Certificate{}, suffixes: map[string]*tls.Certificate{},
		prefixes: map[string]*tls.Certificate{}}
	byID := map[string]*tls.Certificate{}
	var errs []error
	for _, r := range certRows {
		id, cert, key := r.str("id"), r.str("cert"), r.str("key")
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		c, err := tls.X509KeyPair([]byte(cert), []byte(key))
		if err != nil {
			// The error names no key material: tls reports only what failed.
			errs = append(errs, fmt.Errorf("certificates %s: cert/key: %w", id, err))
			continue
		}
		byID[id] = &c
		// A declarative file may nest a certificate's SNI names in it.
		for _, name := range r.strs("snis") {
			idx.add(name, &c)
		}
	}
	for _, r := range sniRows {
		name, cert := r.str("name"), r.fk("certificate")
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if c := byID[cert]; c != nil {
			idx.add(name, c)
		}
	}
	return idx, joinErrs(errs)
}

func (idx certIndex) add(name string, c *tls.Certificate) {
	switch {
	case strings.HasPrefix(name, "*."):
		idx.suffixes[name[1:]] = c
	case strings.HasSuffix(name, ".*"):
		idx.prefixes[name[:len(name)-1]] = c
	default:
		idx.exact[name] = c
	}
}

// lookup finds the certificate for an SNI as Kong's certificate phase
// does: the exact name, then the leftmost-wildcard name, then the
// rightmost-wildcard one.
func (c certIndex) lookup(sni string) *tls.Certificate {
	sni = strings.ToLower(sni)
	if cert := c.exact[sni]; cert != nil {
		return cert
	}
	if i := strings.IndexByte(sni, '.'); i > 0 {
		if cert := c.suffixes[sni[i:]]; cert != nil {
			return cert
		}
	}
	if i := strings.LastIndexByte(sni, '.'); i > 0 {
		if cert := c.prefixes[sni[:i+1]]; cert != nil {
			return cert
		}
	}
	return nil
}

// TLSConfig is the proxy listener's TLS configuration: the certificate for
// the client's SNI from the current snapshot, else the default certificate.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := s.snap.Load().certs.lookup(hello.ServerName); c != nil {
				return c, nil
			}
			return s.defaultCert()
		},
	}
}

// defaultCert is Kong's default certificate: the configured one, else a
// self-signed certificate made once.
func (s *Server) defaultCert() (*tls.Certificate, error) {
	s.defOnce.Do(func() {
		if s.defCert != nil {
			return
		}
		p, err := pki.SelfSigned(pki.Options{CommonName: "localhost", Organization: "Kong", ServerAuth: true,
			NotAfter: time.Now().AddDate(10, 0, 0)})
		if err != nil {
			s.defErr = fmt.Errorf("proxy default certificate: %w", err)
			return
		}
		c, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM)
		if err != nil {
			s.defErr = fmt.Errorf("proxy default certificate: %w", err)
			return
		}
		s.defCert = &c
	})
	return s.defCert, s.defErr
}
