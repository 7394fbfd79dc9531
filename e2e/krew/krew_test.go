// Package krew_test installs the plugin the way krew users will: krew itself, built from the
// Go module proxy (sigs.k8s.io/krew v0.4.3), validates the repository's krew.yaml with the
// index's own validator and installs the archive `make dist` builds for this platform into a
// temporary KREW_ROOT; kubectl then runs the installed plugin and completes through it.
package krew_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// krewVersion is the krew whose install and validation the plugin is tested with.
const krewVersion = "v0.4.3"

// manifest is as much of krew.yaml as the test reads.
type manifest struct {
	Spec struct {
		Version   string `json:"version"`
		Platforms []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
		} `json:"platforms"`
	} `json:"spec"`
}

func readManifest(t *testing.T, file string) manifest {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

// run runs a program with env added to a bare environment and fails the test unless it exits 0.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// goInstall builds a command of krew's module at krewVersion into bin, outside our module (the
// version suffix makes go ignore go.mod), through the module proxy.
func goInstall(t *testing.T, bin, pkg string) {
	t.Helper()
	run(t, "", []string{"GOBIN=" + bin, "GOFLAGS="}, "go", "install", "sigs.k8s.io/krew/"+pkg+"@"+krewVersion)
}

func TestKrewInstallsThePlugin(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is not installed: %v", err)
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	goInstall(t, bin, "cmd/krew")
	goInstall(t, bin, "cmd/validate-krew-manifest")
	// kubectl finds krew as a plugin by this name.
	if err := os.Rename(filepath.Join(bin, "krew"), filepath.Join(bin, "kubectl-krew")); err != nil {
		t.Fatal(err)
	}

	// The index's own validation of the manifest as committed; it reads the plugin's name from
	// the file name, as the index's layout has it. Its install step downloads the release
	// archives, which do not exist here: the install below uses the archive built from this tree.
	committed := readManifest(t, filepath.Join(repo, "krew.yaml"))
	index := filepath.Join(tmp, "index", "kongdb.yaml")
	if err := os.MkdirAll(filepath.Dir(index), 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(repo, "krew.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("validate-krew-manifest:\n%s", run(t, "", nil, filepath.Join(bin, "validate-krew-manifest"), "-manifest", index, "-skip-install"))

	// The archive and manifest `make dist` builds, for this platform and the release krew.yaml names.
	host := runtime.GOOS + "/" + runtime.GOARCH
	dist := filepath.Join(tmp, "dist")
	built := filepath.Join(dist, "kongdb.yaml")
	run(t, repo, nil, "go", "run", "./hack/dist", "-out", dist, "-manifest", built, "-version", committed.Spec.Version, "-platforms", host)
	run(t, repo, nil, "go", "run", "./hack/dist", "-verify", "-out", dist, "-manifest", built, "-platforms", host)
	m := readManifest(t, built)
	if len(m.Spec.Platforms) != 1 {
		t.Fatalf("hack/dist -platforms %s wrote %d platforms", host, len(m.Spec.Platforms))
	}
	archive := filepath.Join(dist, filepath.Base(m.Spec.Platforms[0].URI))
	if sum := sha256File(t, archive); sum != m.Spec.Platforms[0].Sha256 {
		t.Fatalf("%s: sha256 %s, the built manifest says %s", archive, sum, m.Spec.Platforms[0].Sha256)
	}
	for _, p := range committed.Spec.Platforms {
		if p.Selector.MatchLabels["os"]+"/"+p.Selector.MatchLabels["arch"] != host {
			continue
		}
		if p.URI != m.Spec.Platforms[0].URI {
			t.Errorf("krew.yaml names %s for %s, make dist builds %s", p.URI, host, m.Spec.Platforms[0].URI)
		}
		// The sha256 krew.yaml holds is written by the release target (make dist) for the
		// commit it releases; every later commit changes the binary, so it is reported here,
		// not required.
		t.Logf("krew.yaml's sha256 for %s: %s; this tree's archive: %s (same: %v)", host, p.Sha256, m.Spec.Platforms[0].Sha256, p.Sha256 == m.Spec.Platforms[0].Sha256)
	}

	// krew install, into a KREW_ROOT of this test, with krew's bin folder on PATH as its setup
	// instructions say.
	root := filepath.Join(tmp, "krew-root")
	env := []string{
		"KREW_ROOT=" + root, "KREW_NO_UPGRADE_CHECK=1", "HOME=" + tmp,
		"PATH=" + strings.Join([]string{filepath.Join(root, "bin"), bin, filepath.Dir(kubectl), "/usr/bin", "/bin"}, string(os.PathListSeparator)),
		"KUBECONFIG=" + filepath.Join(tmp, "no-kubeconfig"),
	}
	out := run(t, "", env, "kubectl", "krew", "install", "--manifest="+built, "--archive="+archive)
	t.Logf("kubectl krew install:\n%s", out)
	if !strings.Contains(out, `Installed plugin: kongdb`) {
		t.Errorf("krew install did not report the plugin installed:\n%s", out)
	}
	// krew's record of the install (`krew list` reads the same receipts, but wants an index).
	if _, err := os.Stat(filepath.Join(root, "receipts", "kongdb.yaml")); err != nil {
		t.Errorf("krew kept no receipt of the install: %v", err)
	}

	out = run(t, "", env, "kubectl", "kongdb", "version", "--client")
	t.Logf("kubectl kongdb version --client:\n%s", out)
	if !strings.Contains(out, "Client Version: kongdb "+committed.Spec.Version+" ") {
		t.Errorf("the installed plugin is not the release %s:\n%s", committed.Spec.Version, out)
	}

	// Completion, after the one step the caveats ask for: linking the helper krew unpacked.
	helper := filepath.Join(root, "store", "kongdb", committed.Spec.Version, "kubectl_complete-kongdb")
	if err := os.Symlink(helper, filepath.Join(root, "bin", "kubectl_complete-kongdb")); err != nil {
		t.Fatal(err)
	}
	out = run(t, "", env, "kubectl", "__complete", "kongdb", "s")
	t.Logf("kubectl __complete kongdb s:\n%s", out)
	for _, want := range []string{"sync", "status", "sim"} {
		if !strings.Contains(out, want+"\t") && !strings.Contains(out, want+"\n") {
			t.Errorf("completing `kubectl kongdb s` through krew's install lacks %s:\n%s", want, out)
		}
	}
}

func sha256File(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
