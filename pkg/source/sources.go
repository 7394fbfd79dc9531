package source

import (
	"context"
	"strings"

	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// Manifests reads objects from files, directories, URLs, stdin or a kustomization: a sync's
// source when -f/-k is given.
type Manifests struct {
	Input   ManifestInput
	Options Options
}

// Read reads and pre-filters the manifests.
func (m *Manifests) Read(ctx context.Context) (*Snapshot, error) {
	return ReadManifests(ctx, m.Input, m.Options)
}

// Describe names the manifests for reports.
func (m *Manifests) Describe() string {
	if m.Input.Kustomize != "" {
		return "kustomization " + m.Input.Kustomize
	}
	return "manifests " + strings.Join(m.Input.Filenames, ",")
}

// Cluster reads objects from a live cluster through the kubeconfig flags.
type Cluster struct {
	Getter  genericclioptions.RESTClientGetter
	Input   ClusterInput
	Options Options
}

// Read lists and pre-filters the cluster's objects.
func (c *Cluster) Read(ctx context.Context) (*Snapshot, error) {
	return ReadCluster(ctx, c.Getter, c.Input, c.Options)
}

// Describe names the cluster's scope for reports.
func (c *Cluster) Describe() string {
	if c.Input.Namespace == "" {
		return "the cluster (all namespaces)"
	}
	return "the cluster (namespace " + c.Input.Namespace + ")"
}
