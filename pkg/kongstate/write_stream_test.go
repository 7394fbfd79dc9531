package kongstate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/kong/go-kong/kong"
	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/internal/gencluster"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// wholeDocument is the encoder Write replaced, kept as the oracle of the streamed one: the
// redacted copy of the whole state, ToDeck, then one sigs.k8s.io/yaml.Marshal or json.Encoder
// call over the entire document.
func wholeDocument(t testing.TB, s *kongstate.State, format kongstate.Format, opts kongstate.WriteOptions) []byte {
	t.Helper()
	if !opts.ShowSecrets {
		s = s.Redacted()
	}
	var (
		out []byte
		err error
	)
	switch format {
	case kongstate.FormatDeck:
		out, err = yaml.Marshal(kongstate.ToDeck(s, opts.DeckOptions))
	case kongstate.FormatYAML:
		out, err = yaml.Marshal(s)
	case kongstate.FormatJSON:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err = enc.Encode(s)
		out = b.Bytes()
	}
	if err != nil {
		t.Fatalf("whole-document %s: %v", format, err)
	}
	return out
}

// assertStreamedEqualsWhole writes s in every format, secrets shown and hidden, and compares
// the bytes with the whole-document encoder's.
func assertStreamedEqualsWhole(t *testing.T, s *kongstate.State, deckOpts kongstate.DeckOptions) {
	t.Helper()
	for _, format := range []kongstate.Format{kongstate.FormatDeck, kongstate.FormatYAML, kongstate.FormatJSON} {
		for _, show := range []bool{false, true} {
			opts := kongstate.WriteOptions{DeckOptions: deckOpts, ShowSecrets: show}
			var got bytes.Buffer
			if err := kongstate.Write(&got, s, format, opts); err != nil {
				t.Fatalf("Write %s (show secrets %v): %v", format, show, err)
			}
			want := wholeDocument(t, s, format, opts)
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s (show secrets %v): streamed output differs from the whole-document encoder at byte %d:\n%s",
					format, show, firstDifference(got.Bytes(), want), contextAt(got.Bytes(), want))
			}
		}
	}
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func contextAt(got, want []byte) string {
	i := firstDifference(got, want)
	cut := func(b []byte) string { return string(b[max(0, i-200):min(len(b), i+200)]) }
	return "got:\n" + cut(got) + "\nwant:\n" + cut(want)
}

func translateManifests(t *testing.T, in source.ManifestInput) *kongstate.State {
	t.Helper()
	snap, err := source.ReadManifests(context.Background(), in, source.Options{})
	if err != nil {
		t.Fatalf("read manifests: %v", err)
	}
	state, _ := translate.Translate(snap, translate.DefaultOptions())
	return state
}

func TestStreamedOutputMatchesWholeDocumentOnTheBenchmarkCluster(t *testing.T) {
	var manifest bytes.Buffer
	if err := gencluster.Default().Scaled(0.05).WriteYAML(&manifest); err != nil {
		t.Fatal(err)
	}
	state := translateManifests(t, source.ManifestInput{Filenames: []string{"-"}, Stdin: &manifest})
	if len(state.Services) == 0 || len(state.Consumers) == 0 {
		t.Fatalf("generated cluster translated to %+v", state.Count())
	}
	assertStreamedEqualsWhole(t, state, kongstate.DeckOptions{SelectTags: []string{"managed-by-ingress-controller"}})
}

// The translate golden inputs hold every kind of entity: certificates (multi-line PEM),
// expression routes, plugin configs of all shapes, credentials of every type.
func TestStreamedOutputMatchesWholeDocumentOnTheTranslateGoldens(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("..", "translate", "testdata", "*", "in.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(filepath.Dir(in)), func(t *testing.T) {
			state := translateManifests(t, source.ManifestInput{Filenames: []string{in}})
			assertStreamedEqualsWhole(t, state, kongstate.DeckOptions{SelectTags: []string{"owner"}})
			assertStreamedEqualsWhole(t, state, kongstate.DeckOptions{ExpressionRoutes: true})
		})
	}
}

func TestStreamedOutputMatchesWholeDocumentOnEmptyStates(t *testing.T) {
	assertStreamedEqualsWhole(t, nil, kongstate.DeckOptions{SelectTags: []string{"t"}})
	assertStreamedEqualsWhole(t, &kongstate.State{}, kongstate.DeckOptions{})
	assertStreamedEqualsWhole(t, &kongstate.State{}, kongstate.DeckOptions{SelectTags: []string{"t"}})
}

// trickyValues are strings, numbers and keys whose YAML form go-yaml decides with care:
// words it reads as booleans or null, numbers, timestamps, base-60 floats, indicators,
// quotes, escapes, long lines it folds, multi-line text, non-ASCII.
var trickyValues = []string{
	"", "y", "Yes", "NO", "on", "Off", "true", "null", "~", "3.0", "80", "0x1F", "0b101", "0b2", "1_000",
	"1e3", "1.5e+21", ".inf", "-.inf", ".5", "+1", "-1", "-", "--", "---", "...", "2024-01-02", "2024-1-2T10:00:00Z",
	"1:20", "1:20.5", "10.0.0.1:8080", "a:b", "a:", "a: b", "a #b", "a#b", "#a", "*.example.com", "&x", "!x",
	"%x", "@x", "x@y", "`x`", "'q'", `"q"`, "a'b", `a"b`, `a\b`, "a,b", "[a]", "{a}", "a?b", "?a", "|a", ">a",
	"a b", " a", "a ", "a  b", "tab\there", "line\nbreak", "trailing\n", "\nleading", "ünï", "emoji 🙂",
	"<redacted>", "<", "<<", "<<x", "a<b", "a>b", "a && b", "(http.path ^= \"/api\") && (http.host == \"x\")",
	"a very long value with spaces that goes past the eighty column line width of go-yaml's emitter for sure",
	"averylongvaluewithoutanyspacesthatgoespasttheeightycolumnlinewidthofgoyamlsemitterforsure0123456789",
	"/", "/api", "~/api$", "_under", "x=y", "a+b", "0", "00", "007", "-0", "9223372036854775808", "18446744073709551616",
}

var trickyNumbers = []any{0, -1, 1.5, 1e21, 1e-7, 123456789012345678, 9007199254740993.0, math.Copysign(0, -1), 100.0}

func TestStreamedOutputMatchesWholeDocumentOnTrickyScalars(t *testing.T) {
	config := kong.Configuration{}
	nested := map[string]any{}
	var list []any
	for i, v := range trickyValues {
		// Keys start with a distinct letter run: go-yaml's key order is not transitive for
		// some keys that differ first in digits, and then depends on map iteration order
		// (TestKeyOrderMatchesGoYAML compares such keys pairwise).
		key := letters(i) + "-" + v
		config[key] = v
		nested[key] = map[string]any{"v": v, "l": []any{v, []any{v}}}
		list = append(list, v, i)
	}
	for i, n := range trickyNumbers {
		config["n"+string(rune('a'+i))] = n
		list = append(list, n)
	}
	config["nested"] = nested
	config["list"] = list
	config["empty_map"] = map[string]any{}
	config["empty_list"] = []any{}
	config["null"] = nil
	s := &kongstate.State{
		Services: []*kongstate.Service{{
			Service: kong.Service{Name: kong.String("svc"), Host: kong.String("yes"), Port: kong.Int(80)},
			Routes: []*kongstate.Route{{Route: kong.Route{
				Name: kong.String("r"), Paths: kong.StringSlice(trickyValues...), Hosts: kong.StringSlice(trickyValues...),
			}, Plugins: []*kong.Plugin{{Name: kong.String("p"), Config: config}}}},
		}},
		Plugins: []*kong.Plugin{{Name: kong.String("global"), Config: config}},
	}
	for _, v := range trickyValues {
		s.Consumers = append(s.Consumers, &kongstate.Consumer{
			Consumer: kong.Consumer{Username: kong.String(v + "-user"), CustomID: kong.String(v)},
			KeyAuths: []*kong.KeyAuth{{Key: kong.String(v)}},
		})
	}
	assertStreamedEqualsWhole(t, s, kongstate.DeckOptions{SelectTags: trickyValues[:5]})
}

func letters(i int) string {
	s := string(rune('a' + i%26))
	for i /= 26; i > 0; i /= 26 {
		s = string(rune('a'+i%26)) + s
	}
	return s
}

// FuzzStreamedYAML checks any string as a key and as a value at several depths.
func FuzzStreamedYAML(f *testing.F) {
	for _, v := range trickyValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s := &kongstate.State{Plugins: []*kong.Plugin{{
			Name:   kong.String(v),
			Config: kong.Configuration{v: v, "deep": map[string]any{v: []any{v, map[string]any{"x": v}}}},
			Tags:   kong.StringSlice(v),
		}}}
		assertStreamedEqualsWhole(t, s, kongstate.DeckOptions{})
	})
}
