package main

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// update rewrites krew.yaml's text from the root help (go test ./hack/dist -run Says -update);
// its sha256s stay, since only `make dist`, the release target, builds the archives they name.
var update = flag.Bool("update", false, "rewrite krew.yaml's descriptions and platforms from the code")

var repoManifest = filepath.Join("..", "..", "krew.yaml")

func TestRepositoryManifestIsAValidKrewPlugin(t *testing.T) {
	m, err := readManifest(repoManifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.validate(allTargets); err != nil {
		t.Fatalf("krew.yaml: %v", err)
	}
}

// TestRepositoryManifestSaysWhatTheToolSays keeps krew.yaml's descriptions, caveats and
// platform entries equal to what `make dist` would write for its version, so that they change
// with the root help. Fails on the old main, whose krew.yaml described translate only.
func TestRepositoryManifestSaysWhatTheToolSays(t *testing.T) {
	m, err := readManifest(repoManifest)
	if err != nil {
		t.Fatal(err)
	}
	want := newManifest(m.Spec.Version)
	for _, tg := range allTargets {
		sum := ""
		for _, p := range m.Spec.Platforms {
			if p.Selector.MatchLabels["os"] == tg.OS && p.Selector.MatchLabels["arch"] == tg.Arch {
				sum = p.Sha256
			}
		}
		want.Spec.Platforms = append(want.Spec.Platforms, platformEntry(m.Spec.Version, tg, sum))
	}
	if reflect.DeepEqual(m, want) {
		return
	}
	if *update {
		b, err := yaml.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(repoManifest, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, _ := yaml.Marshal(m)
	exp, _ := yaml.Marshal(want)
	t.Errorf("krew.yaml differs from what the code says (go test ./hack/dist -run SaysWhat -update rewrites it):\n--- krew.yaml\n%s\n--- want\n%s", got, exp)
}

// TestPluginBuildsForEveryKrewPlatform cross-compiles the plugin for every platform krew.yaml
// lists, so no commit can name an archive that cannot be built. Fails on the old main:
// windows/amd64 did not compile (syscall.Kill in the emulator and the local runtime).
func TestPluginBuildsForEveryKrewPlatform(t *testing.T) {
	m, err := readManifest(repoManifest)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Spec.Platforms {
		tg := target{p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]}
		t.Run(tg.OS+"_"+tg.Arch, func(t *testing.T) {
			o := options{repo: filepath.Join("..", ".."), pkg: "./cmd/kubectl-kongdb", version: m.Spec.Version}
			if _, err := build(o, tg); err != nil {
				t.Fatalf("go build for %s: %v", tg, err)
			}
		})
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	m := newManifest("1.0") // not v-prefixed
	m.Spec.Platforms = []platform{{
		Selector: selector{MatchLabels: map[string]string{"os": "windows", "arch": "amd64"}},
		URI:      "http://example.com/x.tar.gz", Sha256: "abc", Bin: "kubectl-kongdb",
	}}
	err := m.validate(allTargets)
	if err == nil {
		t.Fatal("validate accepted a broken manifest")
	}
	for _, want := range []string{"spec.version", "https", "sha256", "bin", "files do not install", "linux/arm64 appears 0 times"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestDistBuildsArchivesTheManifestVerifies runs the real pipeline for the host platform only,
// on a tiny main package: cross-building the plugin for six platforms takes many minutes, and
// every target and package goes through the same code.
func TestDistBuildsArchivesTheManifestVerifies(t *testing.T) {
	dir := t.TempDir()
	host := []target{{runtime.GOOS, runtime.GOARCH}}
	o := options{out: dir, manifest: filepath.Join(dir, "krew.yaml"), version: "v9.9.9", repo: filepath.Join("..", ".."),
		pkg: "./hack/dist/testdata/hello", targets: host}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
	m, err := readManifest(o.manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.validate(host); err != nil {
		t.Fatal(err)
	}
	if err := m.verifyArchives(dir); err != nil {
		t.Fatalf("fresh archives do not verify: %v", err)
	}
	archive := filepath.Join(dir, filepath.Base(m.Spec.Platforms[0].URI))
	names, err := tarNames(archive)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kubectl-kongdb", "kubectl_complete-kongdb", "LICENSE"} {
		if !names[want] {
			t.Errorf("archive lacks %s", want)
		}
	}

	// Rebuilding gives the same bytes: the sha256 anyone computes matches the manifest.
	first := m.Spec.Platforms[0].Sha256
	if err := run(o); err != nil {
		t.Fatal(err)
	}
	again, err := readManifest(o.manifest)
	if err != nil {
		t.Fatal(err)
	}
	if again.Spec.Platforms[0].Sha256 != first {
		t.Errorf("rebuild changed the archive's sha256: %s then %s", first, again.Spec.Platforms[0].Sha256)
	}

	// A changed archive, or a missing one, is caught.
	if err := os.WriteFile(archive, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.verifyArchives(dir); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("tampered archive: err = %v, want a sha256 mismatch", err)
	}
	if err := os.Remove(archive); err != nil {
		t.Fatal(err)
	}
	if err := m.verifyArchives(dir); err == nil {
		t.Error("missing archive verified")
	}
}
