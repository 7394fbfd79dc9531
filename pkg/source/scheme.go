package source

import (
	"sync"

	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	kongv1alpha1 "github.com/kong/kubernetes-configuration/api/configuration/v1alpha1"
	kongv1beta1 "github.com/kong/kubernetes-configuration/api/configuration/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1alpha2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
	gatewayv1alpha3 "sigs.k8s.io/gateway-api/apis/v1alpha3"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// Scheme returns the scheme of every kind kongdb reads: Kubernetes' built-in types, Kong's CRDs
// and the Gateway API. translate reads objects' kinds from it, and tests decode manifests and
// create objects with it. It is built once, on first use, and shared: callers must not add to it.
func Scheme() *runtime.Scheme { return scheme() }

var scheme = sync.OnceValue(newScheme)

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme,
		kongv1.AddToScheme,
		kongv1alpha1.AddToScheme,
		kongv1beta1.AddToScheme,
		gatewayv1.Install,
		gatewayv1alpha2.Install,
		gatewayv1alpha3.Install,
		gatewayv1beta1.Install,
	} {
		utilruntime.Must(add(s))
	}
	return s
}
