package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// The krew manifest's schema, as far as krew's own validation reads it
// (krew.googlecontainertools.github.com/v1alpha2, kind Plugin).
type manifest struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   metadata `json:"metadata"`
	Spec       spec     `json:"spec"`
}

type metadata struct {
	Name string `json:"name"`
}

type spec struct {
	Version          string     `json:"version"`
	Homepage         string     `json:"homepage,omitempty"`
	ShortDescription string     `json:"shortDescription"`
	Description      string     `json:"description,omitempty"`
	Caveats          string     `json:"caveats,omitempty"`
	Platforms        []platform `json:"platforms"`
}

type platform struct {
	Selector selector   `json:"selector"`
	URI      string     `json:"uri"`
	Sha256   string     `json:"sha256"`
	Bin      string     `json:"bin"`
	Files    []fileSpec `json:"files"`
}

type selector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type fileSpec struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// target is one os/arch the plugin ships for.
type target struct{ OS, Arch string }

func (t target) String() string { return t.OS + "/" + t.Arch }

// allTargets are the platforms krew users install on.
var allTargets = []target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	versionRE = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	shaRE     = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func readManifest(file string) (*manifest, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := yaml.UnmarshalStrict(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &m, nil
}

// validate checks m the way krew does before it installs anything, and that every target in
// want has exactly one platform entry.
func (m *manifest) validate(want []target) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" {
		bad("apiVersion %q is not krew.googlecontainertools.github.com/v1alpha2", m.APIVersion)
	}
	if m.Kind != "Plugin" {
		bad("kind %q is not Plugin", m.Kind)
	}
	if !nameRE.MatchString(m.Metadata.Name) {
		bad("metadata.name %q is not a valid plugin name", m.Metadata.Name)
	}
	if !versionRE.MatchString(m.Spec.Version) {
		bad("spec.version %q is not a v-prefixed semantic version", m.Spec.Version)
	}
	if strings.TrimSpace(m.Spec.ShortDescription) == "" {
		bad("spec.shortDescription is empty")
	}
	seen := map[target]int{}
	for i, p := range m.Spec.Platforms {
		t := target{p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]}
		seen[t]++
		where := fmt.Sprintf("spec.platforms[%d] (%s)", i, t)
		if t.OS == "" || t.Arch == "" {
			bad("%s: selector.matchLabels needs os and arch", where)
		}
		if !strings.HasPrefix(p.URI, "https://") || !(strings.HasSuffix(p.URI, ".tar.gz") || strings.HasSuffix(p.URI, ".zip")) {
			bad("%s: uri %q must be an https .tar.gz or .zip", where, p.URI)
		}
		if !shaRE.MatchString(p.Sha256) {
			bad("%s: sha256 %q is not 64 lowercase hex digits", where, p.Sha256)
		}
		if p.Bin == "" || (t.OS == "windows") != strings.HasSuffix(p.Bin, ".exe") {
			bad("%s: bin %q (windows binaries end in .exe, others do not)", where, p.Bin)
		}
		if !hasFile(p.Files, p.Bin) {
			bad("%s: files do not install bin %q", where, p.Bin)
		}
	}
	for _, t := range want {
		if seen[t] != 1 {
			bad("platform %s appears %d times, want once", t, seen[t])
		}
	}
	return errors.Join(errs...)
}

func hasFile(files []fileSpec, bin string) bool {
	for _, f := range files {
		if path.Base(f.From) == bin || f.From == "*" {
			return true
		}
	}
	return false
}

// verifyArchives checks that every platform's archive is in dir, has the manifest's sha256 and
// holds the binary krew will link.
func (m *manifest) verifyArchives(dir string) error {
	var errs []error
	for _, p := range m.Spec.Platforms {
		file := filepath.Join(dir, path.Base(p.URI))
		sum, err := sha256File(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("archive for %s/%s: %w", p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"], err))
			continue
		}
		if sum != p.Sha256 {
			errs = append(errs, fmt.Errorf("%s: sha256 %s, manifest says %s", file, sum, p.Sha256))
		}
		names, err := tarNames(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", file, err))
		} else if !names[p.Bin] {
			errs = append(errs, fmt.Errorf("%s does not contain %s", file, p.Bin))
		}
	}
	return errors.Join(errs...)
}

func sha256File(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func tarNames(file string) (map[string]bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	names := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		names[h.Name] = true
	}
}
