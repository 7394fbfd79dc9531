package cli

import (
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// Factory is what commands get instead of globals: the kubeconfig flags (the same
// ConfigFlags path kubectl takes) and the name the user invoked us by.
type Factory interface {
	// RESTClientGetter turns --kubeconfig, --context, -n ... into clients.
	RESTClientGetter() genericclioptions.RESTClientGetter
	// ConfigFlags exposes the raw flags, e.g. to read --namespace or build a resource.Builder.
	ConfigFlags() *genericclioptions.ConfigFlags
	// CommandName is "kubectl kongdb" or "kongdb", for help text and hints.
	CommandName() string
}

type factory struct {
	configFlags *genericclioptions.ConfigFlags
	name        string
}

func (f *factory) RESTClientGetter() genericclioptions.RESTClientGetter { return f.configFlags }
func (f *factory) ConfigFlags() *genericclioptions.ConfigFlags          { return f.configFlags }
func (f *factory) CommandName() string                                  { return f.name }

// NewFactory returns the Factory commands use, over the given kubeconfig flags. Tests build one
// with a --kubeconfig of their own to take exactly the path users take.
func NewFactory(configFlags *genericclioptions.ConfigFlags, name string) Factory {
	return &factory{configFlags: configFlags, name: name}
}
