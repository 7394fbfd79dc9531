package cluster

import (
	"fmt"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/proxy"
)

// ProxyApplier compiles each configuration into a proxy snapshot, aside
// from the one serving, and swaps it in; a configuration that does not
// compile leaves the previous one serving, as Kong keeps its old router.
type ProxyApplier struct {
	Server  *proxy.Server
	Options proxy.Options
}

// Apply compiles e and swaps it in.
func (a ProxyApplier) Apply(e Entities) error {
	sn, err := proxy.Compile(e, a.Options)
	if err != nil {
		return fmt.Errorf("compile proxy configuration: %w", err)
	}
	a.Server.Swap(sn)
	return nil
}
