package translate

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata from the current output")

// TestGolden translates every testdata/<case>/in.yaml and compares the decK output with
// out.deck.yaml (secrets shown: the goldens check translation, not printing) and the diagnostics
// with diagnostics.txt. A case may carry options.yaml
// (fields of Options overriding DefaultOptions). Expected outputs were reasoned from KIC 3.5's
// translator, not just regenerated; -update rewrites them for review.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases found under testdata")
	}
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			opts := caseOptions(t, dir)
			state, diags := Translate(readSnapshot(t, in), opts)

			var deck bytes.Buffer
			if err := kongstate.Write(&deck, state, kongstate.FormatDeck, kongstate.WriteOptions{DeckOptions: deckOptions(opts), ShowSecrets: true}); err != nil {
				t.Fatalf("write deck: %v", err)
			}
			var diagText strings.Builder
			for _, d := range diags {
				diagText.WriteString(d.String())
				diagText.WriteByte('\n')
			}
			compareGolden(t, filepath.Join(dir, "out.deck.yaml"), deck.Bytes())
			compareGolden(t, filepath.Join(dir, "diagnostics.txt"), []byte(diagText.String()))
		})
	}
}

func deckOptions(o Options) kongstate.DeckOptions {
	var d kongstate.DeckOptions
	if o.OwnershipTag != "" {
		d.SelectTags = []string{o.OwnershipTag}
	}
	return d
}

func caseOptions(t *testing.T, dir string) Options {
	t.Helper()
	opts := DefaultOptions()
	data, err := os.ReadFile(filepath.Join(dir, "options.yaml"))
	if os.IsNotExist(err) {
		return opts
	}
	if err != nil {
		t.Fatalf("read options: %v", err)
	}
	if err := yaml.UnmarshalStrict(data, &opts); err != nil {
		t.Fatalf("parse options.yaml: %v", err)
	}
	return opts
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s (run with -update to create it): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (-want +got):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff is a minimal line diff, enough to see what changed in a golden file.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	i, j := 0, 0
	for i < len(w) || j < len(g) {
		switch {
		case i < len(w) && j < len(g) && w[i] == g[j]:
			i++
			j++
		case j < len(g) && (i >= len(w) || !contains(w[i:], g[j])):
			b.WriteString("+ " + g[j] + "\n")
			j++
		default:
			b.WriteString("- " + w[i] + "\n")
			i++
		}
	}
	return b.String()
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
