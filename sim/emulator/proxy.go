package emulator

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/proxy"
)

// proxyOptions derives the proxy's settings from Kong's: trusted_ips, and
// ssl_cert/ssl_cert_key as the default certificate of HTTPS listeners.
func proxyOptions(c *config.Config) (proxy.Options, error) {
	o := proxy.Options{Version: Version, RouterFlavor: c.RouterFlavor}
	trusted, _ := c.Values["trusted_ips"].([]string)
	ips, err := proxy.ParseTrustedIPs(trusted)
	if err != nil {
		return o, err
	}
	o.TrustedIPs = ips
	certs, _ := c.Values["ssl_cert"].([]string)
	keys, _ := c.Values["ssl_cert_key"].([]string)
	if len(certs) > 0 && len(keys) > 0 {
		cert, err := listenerCert("ssl_cert", "ssl_cert_key", certs, keys)
		if err != nil {
			return o, err
		}
		o.DefaultCertificate = &cert
	}
	return o, nil
}

// listenProxy opens proxy_listen: plain entries as they are, ssl entries
// with the certificate the current snapshot selects by SNI.
func (n *Node) listenProxy() error {
	for _, l := range n.Config.ProxyListen {
		ln, err := net.Listen("tcp", l.Addr())
		if err != nil {
			n.Close()
			return fmt.Errorf("proxy_listen %s: %w", l.Listener, err)
		}
		if l.SSL {
			ln = tls.NewListener(ln, n.Proxy.TLSConfig())
		}
		n.servers = append(n.servers, served{ln, n.Proxy, "proxy"})
	}
	return nil
}
