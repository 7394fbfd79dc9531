package kubestatus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kongdb/kubectl-kongdb/internal/redact"
	"github.com/kongdb/kubectl-kongdb/pkg/engine"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// Options say whose status this is and where the proxy is reached.
type Options struct {
	// ControllerName is the GatewayClass controllerName served; empty means KIC's.
	ControllerName string
	// PublishService is the proxy's Service as NAMESPACE/NAME: its LoadBalancer ingress, else
	// its ClusterIPs, are the addresses of Gateways and Ingresses.
	PublishService string
	// PublishAddresses, when set, are those addresses instead (IPs or hostnames).
	PublishAddresses []string
	// Namespace is the only namespace the sync read ("" for all).
	Namespace string
	// Reader, when set, serves each object's first read (the watch loop's informer cache, so
	// a sync with nothing new costs the API server nothing); a conflict reads it again live.
	Reader client.Reader
}

// Writer writes the status of one sync's objects through the API server.
type Writer struct {
	cfg  *rest.Config
	opts Options

	once   sync.Once
	client client.Client
	err    error
}

// New returns a Writer over cfg; nothing is contacted until Update.
func New(cfg *rest.Config, opts Options) *Writer {
	if opts.ControllerName == "" {
		opts.ControllerName = source.DefaultGatewayClassController
	}
	return &Writer{cfg: cfg, opts: opts}
}

// ParsePublishService splits NAMESPACE/NAME.
func ParsePublishService(s string) (types.NamespacedName, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return types.NamespacedName{}, fmt.Errorf("publish service %q: want NAMESPACE/NAME", s)
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}

// Update writes the status res calls for and returns how many objects it wrote. Each object
// is read, changed and written back only when its status differs, so a sync that changed
// nothing writes nothing; a write that conflicts with another writer is retried on a fresh
// read. An object gone meanwhile, or a kind the cluster does not serve, is skipped. A dry run
// (no Outcome) writes nothing. Errors of single objects are returned together after the rest
// were tried.
func (w *Writer) Update(ctx context.Context, res *engine.Result) (int, error) {
	if res == nil || res.Observation == nil || res.Snapshot == nil || res.Outcome == nil {
		return 0, nil
	}
	w.once.Do(func() { w.client, w.err = client.New(clientConfig(w.cfg), client.Options{Scheme: source.Scheme()}) })
	if w.err != nil {
		return 0, fmt.Errorf("status: %w", w.err)
	}
	addresses, err := w.addresses(ctx)
	if err != nil {
		return 0, err
	}
	changes := Compute(InputOf(res, w.opts.ControllerName, w.opts.Namespace, addresses))
	now := metav1.Now()
	written := 0
	var errs []error
	for _, c := range changes {
		wrote := false
		var reader client.Reader = w.client
		if w.opts.Reader != nil {
			reader = w.opts.Reader
		}
		read := c.Read
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			var obj client.Object
			if read != nil {
				obj, read = read.DeepCopyObject().(client.Object), nil // as the sync read it, once
			} else {
				obj = c.Object.DeepCopyObject().(client.Object)
				err := reader.Get(ctx, client.ObjectKeyFromObject(c.Object), obj)
				reader = w.client // a retry reads what the API server has now
				if err != nil {
					return err
				}
			}
			if !c.Apply(obj, now) {
				return nil
			}
			if err := w.client.Status().Update(ctx, obj); err != nil {
				return err
			}
			wrote = true
			return nil
		})
		switch {
		case wrote:
			written++
		case err == nil, apierrors.IsNotFound(err), meta.IsNoMatchError(err):
		case ctx.Err() != nil:
			return written, errors.Join(append(errs, ctx.Err())...)
		default:
			errs = append(errs, fmt.Errorf("status of %s: %s", c.Describe(), redact.URLs(err.Error())))
		}
	}
	return written, errors.Join(errs...)
}

// addresses are the proxy's: --publish-status-address, else the publish Service's
// LoadBalancer ingress, else its ClusterIPs (KIC's address finder). None is no error: Gateways
// and Ingresses then keep the addresses they have.
func (w *Writer) addresses(ctx context.Context) ([]string, error) {
	if len(w.opts.PublishAddresses) > 0 {
		return w.opts.PublishAddresses, nil
	}
	if w.opts.PublishService == "" {
		return nil, nil
	}
	key, err := ParsePublishService(w.opts.PublishService)
	if err != nil {
		return nil, err
	}
	var svc corev1.Service
	if err := w.client.Get(ctx, key, &svc); err != nil {
		return nil, fmt.Errorf("status: publish service %s: %w", key, err)
	}
	return serviceAddresses(&svc), nil
}

// serviceAddresses are a Service's LoadBalancer ingress IPs and hostnames when it is of type
// LoadBalancer and has some, else its ClusterIPs.
func serviceAddresses(svc *corev1.Service) []string {
	var out []string
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				out = append(out, in.IP)
			}
			if in.Hostname != "" {
				out = append(out, in.Hostname)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if ip != corev1.ClusterIPNone {
			out = append(out, ip)
		}
	}
	return out
}

// clientConfig is cfg with client-go's default rate limit (5 requests a second) raised when the
// kubeconfig sets none: a first sync over many objects writes one status each.
func clientConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 && c.RateLimiter == nil {
		c.QPS, c.Burst = 50, 100
	}
	return c
}
