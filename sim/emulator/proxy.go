package emulator

import (
	"crypto/tls"
	"fmt"
	"net"
)

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
