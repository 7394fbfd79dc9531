package source

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadManifests feeds arbitrary bytes to the manifest reader and the pre-filter: they may
// return an error but must never panic. The seeds are the package's test manifests, so plain
// `go test` runs them.
func FuzzReadManifests(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(gatewayClasses + httpRoute("r", "app", "{name: gw, namespace: infra, sectionName: http}", `["a.example.com"]`)))
	f.Add([]byte("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: n}\n" +
		"spec: {gatewayClassName: kong, listeners: [{name: l, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: Selector}}}]}\n" +
		"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: n}\nspec: {parentRefs: [{name: g}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadManifests(t.Context(), ManifestInput{Filenames: []string{"-"}, Stdin: bytes.NewReader(data)}, Options{})
	})
}
