package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kongdb/kubectl-kongdb/pkg/engine"
	"github.com/kongdb/kubectl-kongdb/pkg/kubestatus"
)

// StatusFlags say whether and how a sync writes status into Kubernetes: sync's one-shot run
// leaves it off by default, the watch loop turns it on.
type StatusFlags struct {
	UpdateStatus         bool
	PublishService       string
	PublishStatusAddress []string
}

// AddFlags registers the flags on fs; update is --update-status's default.
func (s *StatusFlags) AddFlags(fs *pflag.FlagSet, update bool) {
	fs.BoolVar(&s.UpdateStatus, "update-status", update, "If true, write what the sync did into the objects' status: GatewayClass and Gateway "+
		"conditions and addresses, route parents, Ingress load-balancer addresses, Programmed on Kong's CRDs (docs/status.md). "+
		"With --watch it is on unless set to false.")
	fs.StringVar(&s.PublishService, "publish-service", "", "NAMESPACE/NAME of the Kong proxy Service whose LoadBalancer ingress, else ClusterIPs, "+
		"--update-status writes as Gateway and Ingress addresses, as KIC's flag of that name.")
	fs.StringSliceVar(&s.PublishStatusAddress, "publish-status-address", nil, "Addresses (IPs or hostnames) --update-status writes "+
		"as Gateway and Ingress addresses instead of the --publish-service's.")
}

// Validate checks the flags against the source and whether the sync writes at all.
func (s *StatusFlags) Validate(cmd *cobra.Command, src *SourceFlags, dryRun bool) error {
	if s.PublishService != "" {
		if _, err := kubestatus.ParsePublishService(s.PublishService); err != nil {
			return usageErrorf(cmd, "--publish-service: %v", err)
		}
	}
	if !s.UpdateStatus {
		return nil
	}
	switch {
	case src.fromManifests():
		return usageErrorf(cmd, "--update-status writes status into the cluster the objects come from; it cannot be used with -f/-k")
	case dryRun:
		return usageErrorf(cmd, "--update-status writes what a sync did; a --dry-run does nothing to write")
	}
	return nil
}

// writer is the status writer for these flags over the factory's cluster, or nil when off.
func (s *StatusFlags) writer(f Factory, src *SourceFlags) (*kubestatus.Writer, error) {
	if !s.UpdateStatus {
		return nil, nil
	}
	cfg, err := f.RESTClientGetter().ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("--update-status: kubeconfig: %w", err)
	}
	ns := src.namespace
	if src.AllNamespaces {
		ns = ""
	}
	return kubestatus.New(cfg, kubestatus.Options{ControllerName: src.GatewayClassController, PublishService: s.PublishService,
		PublishAddresses: s.PublishStatusAddress, Namespace: ns}), nil
}

// updateStatus writes the sync's status and returns how many objects it wrote (0 and nil
// when --update-status is off). The writer is built once and kept, so the watch loop's
// AfterSync hook can call it after every sync.
func (o *SyncOptions) updateStatus(ctx context.Context, res *engine.Result) (int, error) {
	if !o.Status.UpdateStatus {
		return 0, nil
	}
	if o.statusWriter == nil {
		w, err := o.Status.writer(o.factory, &o.Source)
		if err != nil {
			return 0, err
		}
		o.statusWriter = w
	}
	return o.statusWriter.Update(ctx, res)
}

// writeStatus is updateStatus for a one-shot sync: the count on stderr, a failure as a
// warning, since Kong holds what it should either way.
func (o *SyncOptions) writeStatus(ctx context.Context, res *engine.Result) {
	if !o.Status.UpdateStatus {
		return
	}
	n, err := o.updateStatus(ctx, res)
	fmt.Fprintf(o.ErrOut, "status: %d objects written\n", n)
	if err != nil {
		fmt.Fprintln(o.ErrOut, "warning: update status:", err)
	}
}
