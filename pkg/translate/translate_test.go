package translate

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

func deckOf(t *testing.T, s *kongstate.State) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := kongstate.Write(&b, s, kongstate.FormatDeck, kongstate.WriteOptions{ShowSecrets: true}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestTranslateLeavesSnapshotUntouchedAndIsDeterministic(t *testing.T) {
	ins, err := filepath.Glob(filepath.Join("testdata", "*", "in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		t.Run(filepath.Base(filepath.Dir(in)), func(t *testing.T) {
			snap := readSnapshot(t, in)
			before := readSnapshot(t, in)
			first, d1 := Translate(snap, DefaultOptions())
			second, d2 := Translate(snap, DefaultOptions())
			if !reflect.DeepEqual(snap, before) {
				t.Error("Translate modified its input snapshot")
			}
			if !bytes.Equal(deckOf(t, first), deckOf(t, second)) {
				t.Error("two translations of the same snapshot differ")
			}
			if !reflect.DeepEqual(d1, d2) {
				t.Error("two translations gave different diagnostics")
			}
		})
	}
}

func TestTranslateEmptyAndNilSnapshots(t *testing.T) {
	for name, snap := range map[string]*source.Snapshot{"nil": nil, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			state, diags := Translate(snap, DefaultOptions())
			if len(diags) != 0 {
				t.Errorf("diagnostics for nothing: %v", diags)
			}
			if c := state.Count(); c != (kongstate.Counts{}) {
				t.Errorf("entities from nothing: %+v", c)
			}
		})
	}
}

func TestOwnershipTagOnEveryEntity(t *testing.T) {
	opts := DefaultOptions()
	opts.OwnershipTag = "managed-by-ingress-controller"
	state, _ := Translate(readSnapshot(t, filepath.Join("testdata", "plugins", "in.yaml")), opts)
	var b bytes.Buffer
	if err := kongstate.Write(&b, state, kongstate.FormatJSON, kongstate.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Every "tags" list of every entity must end with the ownership tag.
	lists := strings.Split(b.String(), `"tags": [`)[1:]
	if len(lists) == 0 {
		t.Fatal("no tagged entities in the output")
	}
	for _, l := range lists {
		end := strings.Index(l, "]")
		if !strings.HasSuffix(strings.TrimSpace(l[:end]), `"managed-by-ingress-controller"`) {
			t.Errorf("tag list without the ownership tag last: [%s]", l[:end])
		}
	}
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Severity: SeverityError, Kind: "Ingress", Namespace: "ns", Name: "a", Field: "spec", Reason: "bad"}, "error: Ingress ns/a spec: bad"},
		{Diagnostic{Severity: SeverityWarning, Kind: "KongVault", Name: "v", Reason: "dup"}, "warning: KongVault v: dup"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	ds := Diagnostics{{Severity: SeverityWarning}, {Severity: SeverityError}}
	if !ds.HasErrors() || len(ds.Errors()) != 1 {
		t.Errorf("HasErrors/Errors wrong for %v", ds)
	}
	if (Diagnostics{{Severity: SeverityWarning}}).HasErrors() {
		t.Error("warnings counted as errors")
	}
	b, a := Diagnostic{Kind: "B", Name: "x", Reason: "r"}, Diagnostic{Kind: "A", Name: "x", Reason: "r"}
	if got := (Diagnostics{b, a, b}).normalize(); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("normalize = %v, want [A B] without the repeat", got)
	}
}
