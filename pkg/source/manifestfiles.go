package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// manifestExtensions are the files a directory walk reads, as kubectl's.
var manifestExtensions = []string{".json", ".yaml", ".yml"}

// document is one object of a manifest, as JSON, with its kind and where it was read from.
type document struct {
	gvk    schema.GroupVersionKind
	data   []byte
	source string
	// decoded is what the reader's decode function made of data.
	decoded any
	err     error
}

// docReader reads manifests: decode runs on many documents at once (it must not touch shared
// state), then fn gets every document with what decode made of it, one at a time, in order.
type docReader struct {
	decode func(document) (any, error)
	fn     func(document) error
}

// readDocuments calls fn with every object of the manifests in, in kubectl's order (stdin,
// then files, directories and URLs as given, then the kustomization), Lists flattened. Files
// are read as streams and every document is handed over as soon as it is parsed, so memory
// does not grow with the size of the input.
func readDocuments(ctx context.Context, in ManifestInput, dr docReader) error {
	var files []string
	for _, f := range in.Filenames {
		if f != "-" {
			files = append(files, f)
			continue
		}
		if in.Stdin == nil {
			return errors.New("-f - given but no standard input")
		}
		if err := dr.readStream(in.Stdin, "STDIN"); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if strings.HasPrefix(f, "http://") || strings.HasPrefix(f, "https://") {
			err = dr.readURL(ctx, f, in)
		} else {
			err = dr.readPath(f, in.Recursive)
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
		return dr.readStream(bytes.NewReader(out), in.Kustomize)
	}
	return nil
}

// readPath reads a file, or the manifest files of a directory (its subdirectories with
// recursive); a path that does not exist is tried as a glob pattern, as kubectl does.
func (dr docReader) readPath(path string, recursive bool) error {
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
			return dr.readStream(f, p)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readURL reads the manifests at url within in's time and size bounds; a body over the size
// bound is an error, never a silently shortened manifest (which would delete what the cut
// part holds).
func (dr docReader) readURL(ctx context.Context, url string, in ManifestInput) error {
	timeout, limit := in.URLTimeout, in.MaxURLBytes
	if timeout <= 0 {
		timeout = DefaultURLTimeout
	}
	if limit <= 0 {
		limit = DefaultMaxURLBytes
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("the URL passed to filename %q is not valid: %w", url, err)
	}
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("read %s: %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("read %s: the answer is %d bytes, over the limit of %d", url, resp.ContentLength, limit)
	}
	return dr.readStream(&cappedReader{r: resp.Body, left: limit, url: url}, url)
}

// cappedReader fails once more than left bytes have been read.
type cappedReader struct {
	r    io.Reader
	left int64
	url  string
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, fmt.Errorf("read %s: the answer is over the size limit", c.url)
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("read %s: the answer is over the size limit", c.url)
	}
	return n, err
}

// readStream parses the YAML or JSON documents of r. YAML documents, whose parsing is most of
// the cost of reading manifests, are converted to JSON in parallel, a batch at a time, and
// handed to fn in their order.
func (dr docReader) readStream(r io.Reader, source string) error {
	stream, _, isJSON := utilyaml.GuessJSONStream(r, 4096)
	if isJSON {
		dec := utilyaml.NewYAMLOrJSONDecoder(stream, 4096)
		for {
			var data json.RawMessage
			if err := dec.Decode(&data); err != nil {
				if err == io.EOF {
					return nil
				}
				return fmt.Errorf("error parsing %s: %w", source, err)
			}
			docs, err := dr.split(data, source)
			if err != nil {
				return err
			}
			if err := dr.hand(docs); err != nil {
				return err
			}
		}
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(stream))
	for done := false; !done; {
		var batch [][]byte
		for len(batch) < readBatch {
			doc, err := reader.Read()
			if err == io.EOF {
				done = true
				break
			}
			if err != nil {
				return fmt.Errorf("error parsing %s: %w", source, err)
			}
			batch = append(batch, doc)
		}
		docs := make([][]document, len(batch))
		errs := make([]error, len(batch))
		parallel(len(batch), func(i int) {
			// What utilyaml's YAMLToJSONDecoder does with each document.
			var data json.RawMessage
			if err := yaml.Unmarshal(batch[i], &data); err != nil {
				errs[i] = fmt.Errorf("error parsing %s: %w", source, err)
				return
			}
			docs[i], errs[i] = dr.split(data, source)
		})
		for i := range batch {
			if errs[i] != nil {
				return errs[i]
			}
			if err := dr.hand(docs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// readBatch is how many documents are parsed in parallel before they are handed on: enough
// to keep every core busy, few enough that memory stays flat.
const readBatch = 256

// parallel runs f(0..n-1) on every core.
func parallel(n int, f func(int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// split decodes the object in data, or each item when it is a List.
func (dr docReader) split(data []byte, source string) ([]document, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil, nil
	}
	var docs []document
	err := flatten(data, source, func(d document) error {
		d.decoded, d.err = dr.decode(d)
		docs = append(docs, d)
		return nil
	})
	return docs, err
}

func (dr docReader) hand(docs []document) error {
	for _, d := range docs {
		if err := dr.fn(d); err != nil {
			return err
		}
	}
	return nil
}

// flatten hands data to fn, or each of its items when it is a List.
func flatten(data []byte, source string, fn func(document) error) error {
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
			if err := flatten(item, source, fn); err != nil {
				return err
			}
		}
		return nil
	}
	return fn(document{gvk: gv.WithKind(head.Kind), data: data, source: source})
}
