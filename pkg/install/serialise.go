package install

import (
	"bytes"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Unstructured converts objs to what is printed and applied: their fields without the empty
// status, null creationTimestamps and empty structs (spec: {}, strategy: {}) the typed structs
// carry, which a manifest has no use for. An emptyDir: {} means something and stays.
func Unstructured(objs []client.Object) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, obj := range objs {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, fmt.Errorf("%T %s: %w", obj, obj.GetName(), err)
		}
		delete(m, "status")
		tidy(m)
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out, nil
}

func tidy(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			tidy(x)
			if m, ok := x.(map[string]any); (ok && len(m) == 0 && k != "emptyDir") || (k == "creationTimestamp" && x == nil) {
				delete(v, k)
			}
		}
	case []any:
		for _, x := range v {
			tidy(x)
		}
	}
}

// YAML is objs as one multi-document YAML stream, as `kubectl apply -f` reads it.
func YAML(objs []client.Object) ([]byte, error) {
	us, err := Unstructured(objs)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for i, u := range us {
		raw, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(raw)
	}
	return b.Bytes(), nil
}

// JSON is objs as one indented v1 List, as `kubectl get -o json` prints several objects.
func JSON(objs []client.Object) ([]byte, error) {
	us, err := Unstructured(objs)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]any, len(us))
	for i, u := range us {
		items[i] = u.Object
	}
	raw, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(raw, '\n'), nil
}
