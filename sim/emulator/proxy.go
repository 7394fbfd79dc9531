package emulator

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/cluster"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/proxy"
)

// proxyApplier compiles each configuration the cluster part delivers into
// a proxy snapshot, aside from the one serving, and swaps it in; a
// configuration that does not compile leaves the previous one serving.
type proxyApplier struct {
	srv  *proxy.Server
	opts proxy.Options
}

func (a proxyApplier) Apply(e cluster.Entities) error {
	sn, err := proxy.Compile(e, a.opts)
	if err != nil {
		return fmt.Errorf("compile proxy configuration: %w", err)
	}
	a.srv.Swap(sn)
	return nil
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
