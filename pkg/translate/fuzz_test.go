package translate

import (
	"os"
	"path/filepath"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/randfill"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// FuzzTranslateManifests feeds mutated manifests to Translate and the decK writer: whatever
// decodes must translate without panicking. The golden inputs are the seeds, so plain go test
// runs them.
func FuzzTranslateManifests(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "in.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := decodeSnapshot(data)
		if err != nil {
			return // not a manifest: nothing to translate
		}
		translateAndWrite(t, snap)
	})
}

// FuzzTranslateObjects fills every field of every kind of object at random (nil pointers,
// empty and odd strings, missing addresses, unknown enums), with names and namespaces drawn from
// a small set so that references between objects resolve, and translates the result.
func FuzzTranslateObjects(f *testing.F) {
	for _, seed := range []string{"", "a", "ingress", "plugins", "\x00\x01\x02\x03\x04\x05\x06\x07", "consumers with credentials"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		snap := randomSnapshot(data)
		translateAndWrite(t, snap)
	})
}

func translateAndWrite(t *testing.T, snap *source.Snapshot) {
	t.Helper()
	state, diags := Translate(snap, DefaultOptions())
	if state == nil {
		t.Fatal("Translate returned a nil state")
	}
	for _, d := range diags {
		if d.Kind == "" || d.Reason == "" {
			t.Fatalf("diagnostic without kind or reason: %+v", d)
		}
	}
	for _, format := range []kongstate.Format{kongstate.FormatDeck, kongstate.FormatJSON} {
		if err := kongstate.Write(discard{}, state, format, kongstate.WriteOptions{DeckOptions: kongstate.DeckOptions{SelectTags: []string{"t"}}}); err != nil {
			t.Fatalf("write %s: %v", format, err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

var fuzzNames = []string{"a", "b", "kong", "default", ""}

func randomSnapshot(data []byte) *source.Snapshot {
	fill := randfill.NewFromGoFuzz(data).NilChance(0.2).NumElements(0, 3).MaxDepth(8).Funcs(
		func(s *string, c randfill.Continue) {
			// Mostly names that collide, sometimes free text (paths, annotations).
			if c.Intn(3) == 0 {
				*s = c.String(12)
				return
			}
			*s = fuzzNames[c.Intn(len(fuzzNames))]
		},
		func(m *map[string]string, c randfill.Continue) {
			*m = map[string]string{}
			keys := []string{annPlugins, annProtocol, annProtocols, annPath, annRetries, annMethods,
				annHostAliases, annSNIs, annOverride, annUpstreamPolicy, annClientCert, annRewrite,
				annCACertificatesSecrets, annTLSVerify, annHeadersPrefix + "x", annRegexPrefix,
				annServiceUpstream, annForceSSLRedirect, annTags, labelCredential, labelCACert, labelGlobal,
				labelServiceName, annHTTPSRedirectCode, annStripPath, annRequestBuffering}
			for i := c.Intn(5); i > 0; i-- {
				values := []string{"a", "b", "true", "http", "grpcs", "a,b", "default:a", "1", "-5", c.String(8)}
				(*m)[keys[c.Intn(len(keys))]] = values[c.Intn(len(values))]
			}
		},
		func(j *apiextensionsv1.JSON, c randfill.Continue) {
			docs := []string{"", "{}", `{"a":1}`, "null", "[1]", `{"x":{"y":[true]}}`, "not json"}
			j.Raw = []byte(docs[c.Intn(len(docs))])
		},
		func(q *resource.Quantity, c randfill.Continue) { *q = resource.MustParse("1") },
		func(ts *metav1.Time, c randfill.Continue) { ts.Time = metav1.Unix(int64(c.Intn(5)), 0).Time },
		func(is *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*is = intstr.FromInt32(c.Int31n(3) + 79)
			} else {
				*is = intstr.FromString(fuzzNames[c.Intn(len(fuzzNames))])
			}
		},
		func(b *[]byte, c randfill.Continue) {
			vals := []string{"", "x", "true", "3600", `{"a":1}`, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}
			*b = []byte(vals[c.Intn(len(vals))])
		},
		func(p *int32, c randfill.Continue) { *p = c.Int31n(3) + 79 },
	)
	snap := &source.Snapshot{}
	fill.Fill(snap)
	return snap
}
