package cli

import (
	"fmt"
	"io"
	"net/http"

	"github.com/kongdb/kubectl-kongdb/pkg/engine"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// engineConfig is the sync engine's configuration for the source and Kong flags: what sync,
// diff and status share. The Admin APIs are found here (given, or discovered from a Service).
func engineConfig(f Factory, src *SourceFlags, k *KongFlags, prune bool, stdin io.Reader,
	transport func(http.RoundTripper) http.RoundTripper) (*engine.Config, error) {
	eps, nodes, err := k.adminEndpoints(f)
	if err != nil {
		return nil, err
	}
	// Deletes are scoped to the namespace read: the current one from a cluster, and from
	// manifests the one -n names (manifests without -n prune every namespace they own).
	scope := engine.Scope{FromManifests: src.fromManifests(), Prune: prune}
	if !src.AllNamespaces && (!src.fromManifests() || src.explicitNamespace) {
		scope.Namespace = src.namespace
	}
	return &engine.Config{
		Source: src.source(f, stdin),
		Kong: engine.Kong{Config: k.Config(), Endpoints: eps, Nodes: nodes, Transport: transport,
			OwnershipTag: k.OwnershipTag, Workspace: k.Workspace, SchemaCacheDir: k.SchemaCacheDir},
		Translate: translateOptions(src, k),
		Scope:     scope,
	}, nil
}

// translateOptions are the translation options of the source and Kong flags; the engine sets
// the Kong version once it knows it.
func translateOptions(src *SourceFlags, k *KongFlags) translate.Options {
	topts := src.translateOptions(k.OwnershipTag)
	topts.Workspace = k.Workspace
	return topts
}

// source is where the flags say the objects come from: manifests or the cluster.
func (s *SourceFlags) source(f Factory, stdin io.Reader) engine.Source {
	filter := source.Options{IngressClass: s.IngressClass, GatewayClassController: s.GatewayClassController}
	if s.fromManifests() {
		return &source.Manifests{Input: source.ManifestInput{Filenames: s.Filenames, Kustomize: s.Kustomize,
			Recursive: s.Recursive, Namespace: s.namespace, Stdin: stdin, Selector: s.Selector}, Options: filter}
	}
	ns := s.namespace
	if s.AllNamespaces {
		ns = ""
	}
	return &source.Cluster{Getter: f.RESTClientGetter(), Input: source.ClusterInput{Namespace: ns, Selector: s.Selector}, Options: filter}
}

// printObservation prints the notes and diagnostics of a plan on w.
func printObservation(w io.Writer, ob *engine.Observation) {
	for _, n := range ob.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	for _, d := range ob.Diagnostics {
		fmt.Fprintln(w, d.String())
	}
}
