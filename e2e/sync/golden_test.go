package sync_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestGoldenCasesConverge syncs every translation golden case into a fresh Kong; a second
// diff must then be empty, except for entities Kong itself refused in the first sync (whose
// failure the report named), which are still missing.
func TestGoldenCasesConverge(t *testing.T) {
	cases, err := filepath.Glob("../../pkg/translate/testdata/*/in.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("golden cases: %v (%d)", err, len(cases))
	}
	for _, in := range cases {
		name := filepath.Base(filepath.Dir(in))
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			r := f.cmd(t, "sync", "-f", in, "-o", "json")
			if r.code != 0 && r.code != 2 {
				t.Fatalf("sync: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			var rep struct {
				Problems []struct{ Status, Action, Kind, Name, Error string } `json:"problems"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("report: %v\n%s", err, r.stdout)
			}
			refused := map[string]bool{}
			for _, p := range rep.Problems {
				t.Logf("first sync: %s %s %s %s: %s", p.Status, p.Action, p.Kind, p.Name, p.Error)
				refused[p.Action+" "+p.Kind+" "+p.Name] = true
			}
			d := f.cmd(t, "diff", "-f", in, "-o", "json")
			if d.code != 0 && d.code != 1 {
				t.Fatalf("diff: exit %d\n%s", d.code, d.stderr)
			}
			var pl struct {
				Ops []struct{ Action, Kind, Name string } `json:"ops"`
			}
			if err := json.Unmarshal([]byte(d.stdout), &pl); err != nil {
				t.Fatalf("plan: %v\n%s", err, d.stdout)
			}
			for _, op := range pl.Ops {
				if !refused[op.Action+" "+op.Kind+" "+op.Name] {
					t.Errorf("second diff still has %s %s %s", op.Action, op.Kind, op.Name)
				}
			}
		})
	}
}
