package engine

import (
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

func TestParseMaxDelete(t *testing.T) {
	tests := []struct {
		in      string
		managed int
		want    int
		wantErr bool
	}{
		{"30%", 100, 30, false}, {"30%", 9, 2, false}, {"0", 50, 0, false}, {"12", 5, 12, false},
		{"100%", 7, 7, false}, {"29%", 100, 29, false}, {"57%", 100, 57, false}, {"33.3%", 1000, 333, false},
		{"0.1%", 1000, 1, false}, {"29%", 3, 0, false}, {"150%", 1, 0, true}, {"-1", 1, 0, true}, {"x%", 1, 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMaxDelete(tt.in, tt.managed)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMaxDelete(%q, %d) = %d, %v; want %d (error %v)", tt.in, tt.managed, got, err, tt.want, tt.wantErr)
		}
	}
}

// A rollout in a one-service namespace replaces a target: over a 30% budget of 3 entities if
// it counted, so it does not; a real delete still does.
func TestBudgetLeavesReplacedTargetsOut(t *testing.T) {
	cfg := &Config{Budget: Budget{Max: "30%"}}
	del := &plan.Op{Action: plan.Delete, Kind: plan.KindTarget}
	rollout := &Observation{Plan: &plan.Plan{Ops: []*plan.Op{del}, InScope: 3, TargetsReplaced: 1}}
	if err := cfg.checkDeletes(rollout); err != nil {
		t.Errorf("a replaced target stopped the sync: %v", err)
	}
	loss := &Observation{Plan: &plan.Plan{Ops: []*plan.Op{{Action: plan.Delete, Kind: plan.KindRoute}}, InScope: 3}}
	if err := cfg.checkDeletes(loss); err == nil {
		t.Error("a deleted route within a budget of 0 went through")
	}
}
