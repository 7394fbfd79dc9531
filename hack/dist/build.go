package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

type options struct {
	out, manifest, version, repo string
	// pkg is the main package to build; tests point it at a tiny program so the pipeline
	// (cross-build flags, packing, manifest, verification) runs in seconds.
	pkg     string
	targets []target
}

const (
	module      = "github.com/kongdb/kubectl-kongdb"
	releaseBase = "https://github.com/kongdb/kubectl-kongdb/releases/download"
)

// run builds every target, packs it, and writes the manifest; the manifest is written only when
// every archive was built, so it never names an archive that does not exist.
func run(o options) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	m := newManifest(o.version)
	for _, t := range o.targets {
		entry := platformEntry(o.version, t, "")
		name, bin := path.Base(entry.URI), entry.Bin
		fmt.Fprintf(os.Stderr, "dist: building %s\n", t)
		binary, err := build(o, t)
		if err != nil {
			return fmt.Errorf("build %s: %w", t, err)
		}
		files := map[string][]byte{bin: binary}
		for _, extra := range []struct{ from, to string }{
			{"LICENSE", "LICENSE"},
			{filepath.Join("hack", "completion", "kubectl_complete-kongdb"), "kubectl_complete-kongdb"},
		} {
			b, err := os.ReadFile(filepath.Join(o.repo, extra.from))
			if err != nil {
				return err
			}
			files[extra.to] = b
		}
		archive, err := packTarGz(files, []string{bin, "kubectl_complete-kongdb", "LICENSE"})
		if err != nil {
			return err
		}
		file := filepath.Join(o.out, name)
		if err := os.WriteFile(file, archive, 0o644); err != nil {
			return err
		}
		sum, err := sha256File(file)
		if err != nil {
			return err
		}
		m.Spec.Platforms = append(m.Spec.Platforms, platformEntry(o.version, t, sum))
	}
	if err := m.validate(o.targets); err != nil {
		return fmt.Errorf("generated manifest is invalid: %w", err)
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(o.manifest, b, 0o644)
}

// platformEntry is the manifest's entry for t: the release archive's URL, the binary krew
// links, and the files it unpacks.
func platformEntry(version string, t target, sha256 string) platform {
	bin := "kubectl-kongdb"
	if t.OS == "windows" {
		bin += ".exe"
	}
	name := fmt.Sprintf("kubectl-kongdb_%s_%s_%s.tar.gz", version, t.OS, t.Arch)
	return platform{
		Selector: selector{MatchLabels: map[string]string{"os": t.OS, "arch": t.Arch}},
		URI:      fmt.Sprintf("%s/%s/%s", releaseBase, version, name),
		Sha256:   sha256,
		Bin:      bin,
		Files:    []fileSpec{{From: bin, To: "."}, {From: "kubectl_complete-kongdb", To: "."}, {From: "LICENSE", To: "."}},
	}
}

// newManifest is the manifest of version, before its platforms: the descriptions are the root
// help's own text (cli.Tagline, cli.Purpose), so what krew shows cannot drift from what the
// tool says, and the caveats say what a krew install leaves to the user.
func newManifest(version string) *manifest {
	return &manifest{
		APIVersion: "krew.googlecontainertools.github.com/v1alpha2",
		Kind:       "Plugin",
		Metadata:   metadata{Name: "kongdb"},
		Spec: spec{
			Version:          version,
			Homepage:         "https://github.com/kongdb/kubectl-kongdb",
			ShortDescription: cli.Tagline,
			Description:      cli.Purpose,
			Caveats: fmt.Sprintf(`krew installs the plugin only. It does not:
* link the completion helper: for "kubectl kongdb <TAB>" (kubectl >= 1.26), run
    ln -s ~/.krew/store/kongdb/%s/kubectl_complete-kongdb ~/.krew/bin/
* install what "kubectl kongdb sim" runs clusters with: a Docker engine (kong and
  postgres images), or without Docker PostgreSQL's initdb and postgres on PATH
* install anything into your cluster or Kong: sync writes only to the Kong Admin
  API you name, and needs no controller`, version),
		},
	}
}

// build cross-compiles the plugin reproducibly: no cgo, trimmed paths, no VCS stamp, so the
// same source and Go version give the same bytes.
func build(o options, t target) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "kongdb-dist-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "bin")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", fmt.Sprintf("-s -w -X %s/pkg/cli.Version=%s", module, o.version),
		"-o", out, o.pkg)
	cmd.Dir = o.repo
	cmd.Env = append(os.Environ(), "GOOS="+t.OS, "GOARCH="+t.Arch, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

// packTarGz writes files in the given order with fixed times and owners, so archives are
// byte-for-byte reproducible and their sha256 in the manifest can be checked by anyone.
func packTarGz(files map[string][]byte, order []string) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	epoch := time.Unix(0, 0).UTC()
	for _, name := range order {
		body, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("no file %s to pack", name)
		}
		mode := int64(0o644)
		if name != "LICENSE" {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
