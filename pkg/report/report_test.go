package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

func samplePlan() *plan.Plan {
	ops := []*plan.Op{
		{Index: 0, Action: plan.Create, Kind: plan.KindService, Name: "default.echo.80", Body: map[string]any{"name": "default.echo.80", "host": "echo"}},
		{Index: 1, Action: plan.Update, Kind: plan.KindPlugin, Name: "rate-limiting/default.echo.80",
			Object: &plan.Object{Kind: "KongPlugin", Namespace: "default", Name: "rl"},
			Body:   map[string]any{"name": "rate-limiting", "config": map[string]any{"minute": 5.0}},
			Old:    map[string]any{"name": "rate-limiting", "config": map[string]any{"minute": 10.0}}},
		{Index: 2, Action: plan.Delete, Kind: plan.KindRoute, Name: "old", Old: map[string]any{"name": "old"}},
	}
	return &plan.Plan{Ops: ops, Managed: 7, Unchanged: 4}
}

func TestReportNamesFailuresWithTheirObjects(t *testing.T) {
	p := samplePlan()
	out := &apply.Outcome{Nodes: []string{"http://kong-0:8001"}, Requests: 3, Results: []apply.Result{
		{Op: p.Ops[0], Status: apply.Done},
		{Op: p.Ops[1], Status: apply.Failed, Error: `Kong answered 400: {"message":"schema violation"}`},
		{Op: p.Ops[2], Status: apply.Done},
	}}
	r := New(p, out)
	var b bytes.Buffer
	if err := r.Write(&b, "table"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"KIND", "service  1", "failed: update plugin rate-limiting/default.echo.80 (KongPlugin default/rl)",
		"schema violation", "3 write requests through http://kong-0:8001"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := r.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Problems) != 1 || back.Problems[0].Object != "KongPlugin default/rl" {
		t.Fatalf("json report: %v %+v", err, back.Problems)
	}
	if !r.Failed() {
		t.Fatal("a report with a failure does not say so")
	}
}

func TestWriteDiff(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDiff(&b, samplePlan(), false); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"--- /dev/null\n+++ b/service/default.echo.80", "-  minute: 10\n+  minute: 5",
		"--- a/route/old\n+++ /dev/null", "# update plugin rate-limiting/default.echo.80 (KongPlugin default/rl)"} {
		if !strings.Contains(s, want) {
			t.Errorf("diff lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "\x1b[") {
		t.Fatal("colour without asking")
	}
	b.Reset()
	_ = WriteDiff(&b, samplePlan(), true)
	if !strings.Contains(b.String(), green+"+") || !strings.Contains(b.String(), red+"-") {
		t.Fatal("no colour when asked")
	}
}
