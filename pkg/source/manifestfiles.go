package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// manifestExtensions are the files a directory walk reads, as kubectl's.
var manifestExtensions = []string{".json", ".yaml", ".yml"}

// document is one object of a manifest, as JSON, with its kind and where it was read from.
type document struct {
	gvk    schema.GroupVersionKind
	data   []byte
	source string
}

// readDocuments calls fn with every object of the manifests in, in kubectl's order (stdin,
// then files, directories and URLs as given, then the kustomization), Lists flattened. Files
// are read as streams and every document is handed over as soon as it is parsed, so memory
// does not grow with the size of the input.
func readDocuments(ctx context.Context, in ManifestInput, fn func(document) error) error {
	var files []string
	for _, f := range in.Filenames {
		if f != "-" {
			files = append(files, f)
			continue
		}
		if in.Stdin == nil {
			return errors.New("-f - given but no standard input")
		}
		if err := readStream(in.Stdin, "STDIN", fn); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if strings.HasPrefix(f, "http://") || strings.HasPrefix(f, "https://") {
			err = readURL(ctx, f, fn)
		} else {
			err = readPath(f, in.Recursive, fn)
		}
		if err != nil {
			return err
		}
	}
	if in.Kustomize != "" {
		opts := krusty.MakeDefaultOptions()
		opts.Reorder = krusty.ReorderOptionLegacy // as kubectl -k
		m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), in.Kustomize)
		if err != nil {
			return fmt.Errorf("kustomize %s: %w", in.Kustomize, err)
		}
		out, err := m.AsYaml()
		if err != nil {
			return fmt.Errorf("kustomize %s: %w", in.Kustomize, err)
		}
		return readStream(bytes.NewReader(out), in.Kustomize, fn)
	}
	return nil
}

// readPath reads a file, or the manifest files of a directory (its subdirectories with
// recursive); a path that does not exist is tried as a glob pattern, as kubectl does.
func readPath(path string, recursive bool, fn func(document) error) error {
	roots := []string{path}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		matches, gerr := filepath.Glob(path)
		if gerr != nil || len(matches) == 0 {
			return fmt.Errorf("the path %q does not exist", path)
		}
		roots = matches
	}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && p != root && !recursive:
				return filepath.SkipDir
			case d.IsDir():
				return nil
			case p != root && !slices.Contains(manifestExtensions, filepath.Ext(p)):
				return nil // a file named explicitly is read whatever its extension
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return readStream(f, p, fn)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func readURL(ctx context.Context, url string, fn func(document) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("the URL passed to filename %q is not valid: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("read %s: %s", url, resp.Status)
	}
	return readStream(resp.Body, url, fn)
}

// readStream parses the YAML or JSON documents of r one by one.
func readStream(r io.Reader, source string, fn func(document) error) error {
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	for {
		var data json.RawMessage
		if err := dec.Decode(&data); err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("error parsing %s: %w", source, err)
		}
		data = bytes.TrimSpace(data)
		if len(data) == 0 || bytes.Equal(data, []byte("null")) {
			continue
		}
		if err := visitObject(data, source, fn); err != nil {
			return err
		}
	}
}

// visitObject hands data to fn, or each of its items when it is a List.
func visitObject(data []byte, source string, fn func(document) error) error {
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("unable to decode %q: %w", source, err)
	}
	if head.Kind == "" {
		return fmt.Errorf("unable to decode %q: object has no kind", source)
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		return fmt.Errorf("unable to decode %q: %w", source, err)
	}
	if strings.HasSuffix(head.Kind, "List") && head.Items != nil {
		for _, item := range head.Items {
			if err := visitObject(item, source, fn); err != nil {
				return err
			}
		}
		return nil
	}
	return fn(document{gvk: gv.WithKind(head.Kind), data: data, source: source})
}
