package gencluster_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/internal/gencluster"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

func TestWriteYAMLIsDeterministic(t *testing.T) {
	o := gencluster.Default().Scaled(0.01)
	var a, b bytes.Buffer
	if err := o.WriteYAML(&a); err != nil {
		t.Fatal(err)
	}
	if err := o.WriteYAML(&b); err != nil {
		t.Fatal(err)
	}
	if a.Len() == 0 || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("two writes of the same options differ (%d and %d bytes)", a.Len(), b.Len())
	}
}

// TestCountIsWhatTranslationMakes reads the generated manifest back and translates it: every
// object is read, nothing is left out, and the entities are the ones Count promises.
func TestCountIsWhatTranslationMakes(t *testing.T) {
	for _, o := range []gencluster.Options{
		gencluster.Default().Scaled(0.02),
		{Ingresses: 7, RulesPerIngress: 3, PortsPerService: 2, EndpointsPerSlice: 1, PluginEvery: 3, Consumers: 5, Namespaces: 2},
	} {
		var manifest bytes.Buffer
		if err := o.WriteYAML(&manifest); err != nil {
			t.Fatal(err)
		}
		want := o.Count()
		if got := strings.Count(manifest.String(), "\n---\n") + 1; got != want.Objects {
			t.Errorf("%+v: manifest holds %d documents, Count says %d objects", o, got, want.Objects)
		}
		snap, err := source.ReadManifests(context.Background(), source.ManifestInput{Filenames: []string{"-"}, Stdin: &manifest}, source.Options{})
		if err != nil {
			t.Fatalf("read generated manifest: %v", err)
		}
		state, diags := translate.Translate(snap, translate.DefaultOptions())
		if len(diags) != 0 {
			t.Fatalf("%+v: diagnostics %v", o, diags)
		}
		c := state.Count()
		got := c.Services + c.Routes + c.Upstreams + c.Targets + c.Plugins + c.Consumers + c.Credentials
		if got != want.Entities {
			t.Errorf("%+v: translation made %d entities (%+v), Count says %d", o, got, c, want.Entities)
		}
	}
}

func TestValidateRejectsImpossibleSizes(t *testing.T) {
	for _, o := range []gencluster.Options{
		{Ingresses: -1, RulesPerIngress: 1, PortsPerService: 1, EndpointsPerSlice: 1, Namespaces: 1},
		{Ingresses: 1, RulesPerIngress: 0, PortsPerService: 1, EndpointsPerSlice: 1, Namespaces: 1},
		{Ingresses: 1, RulesPerIngress: 1, PortsPerService: 1, EndpointsPerSlice: 1, Namespaces: 0},
		{Ingresses: 1 << 23, RulesPerIngress: 1, PortsPerService: 1, EndpointsPerSlice: 3, Namespaces: 1},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", o)
		}
		if err := o.WriteYAML(&bytes.Buffer{}); err == nil {
			t.Errorf("WriteYAML(%+v) = nil, want the validation error", o)
		}
	}
}
