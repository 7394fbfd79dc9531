package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// The CRDs come from the very modules whose Go types we compile against, so the schema the API
// server validates with always matches the types pkg/source decodes into.
const (
	kongConfigModule = "github.com/kong/kubernetes-configuration"
	gatewayAPIModule = "sigs.k8s.io/gateway-api"
)

// CRDs reads Kong's CRDs (config/crd/ingress-controller of kubernetes-configuration) and the
// Gateway API CRDs. Gateway API ships a standard and an experimental channel of the same CRDs;
// the experimental one is a superset, so where both define a CRD the experimental one is kept —
// like a cluster that installed standard and then experimental.
func CRDs(ctx context.Context) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	kongDir, err := moduleDir(ctx, kongConfigModule)
	if err != nil {
		return nil, err
	}
	gwDir, err := moduleDir(ctx, gatewayAPIModule)
	if err != nil {
		return nil, err
	}
	byName := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, dir := range []string{
		filepath.Join(kongDir, "config", "crd", "ingress-controller"),
		filepath.Join(gwDir, "config", "crd", "standard"),
		filepath.Join(gwDir, "config", "crd", "experimental"),
	} {
		crds, err := readCRDDir(dir)
		if err != nil {
			return nil, err
		}
		for _, crd := range crds {
			byName[crd.Name] = crd
		}
	}
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(byName))
	for _, crd := range byName {
		out = append(out, crd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func readCRDDir(dir string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRD files in %s", dir)
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		dec := yaml.NewYAMLOrJSONDecoder(f, 4096)
		for {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := dec.Decode(&crd); err != nil {
				if err.Error() == "EOF" {
					break
				}
				f.Close()
				return nil, fmt.Errorf("read %s: %w", file, err)
			}
			// kustomization.yaml, ValidatingAdmissionPolicies and empty documents are not CRDs.
			if crd.Kind == "CustomResourceDefinition" && crd.Spec.Group != "" {
				crds = append(crds, &crd)
			}
		}
		f.Close()
	}
	return crds, nil
}

// moduleDir finds a dependency's folder in the module cache, downloading it if needed.
func moduleDir(ctx context.Context, module string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		return "", fmt.Errorf("locate module %s: %w", module, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		// Listed in go.mod but not downloaded yet.
		if err := exec.CommandContext(ctx, "go", "mod", "download", module).Run(); err != nil {
			return "", fmt.Errorf("download module %s: %w", module, err)
		}
		return moduleDir(ctx, module)
	}
	return dir, nil
}
