package status

import (
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

func TestDriftOfCountsEachChange(t *testing.T) {
	p := &plan.Plan{
		Ops: []*plan.Op{
			{Action: plan.Create, Kind: plan.KindRoute, Name: "default.a", Body: map[string]any{"paths": []any{"/a"}}},
			{Action: plan.Create, Kind: plan.KindRoute, Name: "default.b", Conflict: "route default.b exists untagged"},
			{Action: plan.Update, Kind: plan.KindService, Name: "default.svc",
				Body: map[string]any{"host": "svc.default.svc", "port": 80.0},
				Old:  map[string]any{"host": "svc.default.svc", "port": 8080.0}},
		},
		Withheld: []*plan.Op{{Action: plan.Delete, Kind: plan.KindRoute, Name: "old", Old: map[string]any{"paths": []any{"/old"}}}},
	}
	d := driftOf(p, map[plan.Kind]int{plan.KindRoute: 2, plan.KindService: 1}, map[plan.Kind]int{plan.KindRoute: 1, plan.KindService: 1})
	total := d.Total()
	if total.Missing != 1 || total.Conflicting != 1 || total.Changed != 1 || total.Extra != 1 || total.Desired != 3 || total.Actual != 2 {
		t.Errorf("total = %+v, want 1 missing, 1 conflicting, 1 changed, 1 extra of 3 desired and 2 actual", total)
	}
	if len(d.Types) != 2 || d.Types[0].Type != "service" || d.Types[1].Type != "route" {
		t.Errorf("types = %+v, want service then route (dependency order), nothing else", d.Types)
	}
	var svc *EntityDrift
	for i := range d.Entities {
		if d.Entities[i].Name == "default.svc" {
			svc = &d.Entities[i]
		}
	}
	if svc == nil || svc.Change != ChangeChanged || len(svc.Fields) != 1 || svc.Fields[0].Path != "port" ||
		*svc.Fields[0].Desired != "80" || *svc.Fields[0].Actual != "8080" {
		t.Errorf("service drift = %+v, want only port 80 against 8080", svc)
	}
}

func TestFieldDiffsNested(t *testing.T) {
	got := fieldDiffs(map[string]any{"config": map[string]any{"minute": 5.0, "hour": nil}}, map[string]any{"config": map[string]any{"minute": 10.0, "hour": nil}})
	if len(got) != 1 || got[0].Path != "config.minute" || *got[0].Desired != "5" || *got[0].Actual != "10" {
		t.Errorf("diffs = %+v, want only config.minute 5 against 10", got)
	}
}

func TestFieldDiffsOneSidedAndEqual(t *testing.T) {
	got := fieldDiffs(map[string]any{"a": 1.0, "b": "x"}, map[string]any{"b": "x", "c": true})
	if len(got) != 2 || got[0].Path != "a" || got[0].Actual != nil || *got[0].Desired != "1" ||
		got[1].Path != "c" || got[1].Desired != nil || *got[1].Actual != "true" {
		t.Errorf("diffs = %+v, want a only desired and c only actual, b equal and left out", got)
	}
}

func TestCPHash(t *testing.T) {
	rows := []admin.DataPlane{{ConfigHash: "b"}, {ConfigHash: "a"}, {ConfigHash: "b"}}
	if got := cpHash("", rows); got != "b" {
		t.Errorf("majority hash = %q, want b", got)
	}
	if got := cpHash("", rows[:2]); got != "a" {
		t.Errorf("tie with equal last pings = %q, want the smaller hash a", got)
	}
	// Two DPs, one cut off the CP: it keeps the old hash and stops pinging, while the other
	// pinged as soon as it applied the new configuration.
	partitioned := []admin.DataPlane{{ConfigHash: "a", LastSeen: 100}, {ConfigHash: "b", LastSeen: 130}}
	if got := cpHash("", partitioned); got != "b" {
		t.Errorf("tie = %q, want b, the hash of the DP seen last", got)
	}
	partitioned[0].LastSeen = 160
	if got := cpHash("", partitioned); got != "a" {
		t.Errorf("tie = %q, want a, now the hash of the DP seen last", got)
	}
	if got := cpHash("c", rows); got != "c" {
		t.Errorf("reported hash = %q, want the CP's own c", got)
	}
}

func TestDataPlanesOfLagAcrossRefreshes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lagging := map[string]time.Time{}
	rows := []admin.DataPlane{
		{ID: "1", ConfigHash: "h", SyncStatus: "normal", LastSeen: t0.Unix()},
		{ID: "2", ConfigHash: "old", SyncStatus: "normal"},
		{ID: "3", ConfigHash: "h", SyncStatus: "kong_version_incompatible"},
	}
	rows[0].CertDetails.ExpiryTimestamp = t0.Add(24 * time.Hour).Unix()
	dps := dataPlanesOf(rows, "h", t0, lagging)
	if !dps[0].Converged || !dps[0].MatchesCP || dps[0].LaggingSince != nil || !dps[0].LastSeen.Equal(t0) ||
		dps[0].CertExpiry == nil || !dps[0].CertExpiry.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("dp 1 = %+v, want converged with its cert expiry", dps[0])
	}
	if dps[1].Converged || dps[1].LaggingSince == nil || !dps[1].LaggingSince.Equal(t0) {
		t.Errorf("dp 2 = %+v, want lagging since t0", dps[1])
	}
	if dps[2].Converged {
		t.Errorf("dp 3 = %+v, an incompatible DP is not converged even with the hash", dps[2])
	}
	dps = dataPlanesOf(rows, "h", t0.Add(time.Minute), lagging)
	if !dps[1].LaggingSince.Equal(t0) {
		t.Errorf("second refresh: lagging since %v, want still t0", dps[1].LaggingSince)
	}
	rows[1].ConfigHash = "h"
	dataPlanesOf(rows, "h", t0.Add(2*time.Minute), lagging)
	if _, ok := lagging["2"]; ok {
		t.Error("a DP that caught up is still remembered as lagging")
	}
}
