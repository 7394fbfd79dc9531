package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// printData prints v as indented JSON or as YAML (from its JSON field names), for the -o json|yaml
// of the commands whose data has no format of its own.
func printData(w io.Writer, v any, output string) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		raw, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(raw)
		return err
	}
	return fmt.Errorf("output %q is neither json nor yaml", output)
}
