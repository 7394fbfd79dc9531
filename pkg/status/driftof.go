package status

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// driftOf turns a plan into status's drift: a create is a missing entity (conflicting when
// someone else's entity holds its name), an update a changed one, a delete — made or withheld —
// an extra one. desired and actual count the entities of each kind on either side.
func driftOf(p *plan.Plan, desired, actual map[plan.Kind]int) *Drift {
	byKind := map[plan.Kind]*TypeDrift{}
	for _, k := range plan.Kinds() {
		byKind[k] = &TypeDrift{Type: string(k), Desired: desired[k], Actual: actual[k]}
	}
	d := &Drift{}
	add := func(op *plan.Op, change Change) {
		t := byKind[op.Kind]
		switch change {
		case ChangeMissing:
			t.Missing++
		case ChangeChanged:
			t.Changed++
		case ChangeExtra:
			t.Extra++
		case ChangeConflicting:
			t.Conflicting++
		}
		body, old := op.Redacted()
		d.Entities = append(d.Entities, EntityDrift{Type: string(op.Kind), Name: op.Name, ID: op.ID,
			Change: change, Object: op.Object.String(), Reason: op.Conflict, Fields: fieldDiffs(body, old)})
	}
	for _, op := range p.Ops {
		switch {
		case op.Action == plan.Create && op.Conflict != "":
			add(op, ChangeConflicting)
		case op.Action == plan.Create:
			add(op, ChangeMissing)
		case op.Action == plan.Update:
			add(op, ChangeChanged)
		case op.Action == plan.Delete:
			add(op, ChangeExtra)
		}
	}
	for _, op := range p.Withheld {
		add(op, ChangeExtra)
	}
	for _, k := range plan.Kinds() {
		if t := byKind[k]; t.Desired+t.Actual+t.Drifted() > 0 {
			d.Types = append(d.Types, *t)
		}
	}
	return d
}

// fieldDiffs lists the fields that differ between desired and actual (both already redacted),
// in name order, descending into objects on both sides ("config.minute"); a missing or extra
// entity lists every field of its one side.
func fieldDiffs(desired, actual map[string]any) []FieldDiff {
	return appendFieldDiffs(nil, "", desired, actual)
}

func appendFieldDiffs(out []FieldDiff, prefix string, desired, actual map[string]any) []FieldDiff {
	keys := slices.Sorted(maps.Keys(desired))
	for k := range actual {
		if _, ok := desired[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		want, inWant := desired[k]
		have, inHave := actual[k]
		wm, wIsMap := want.(map[string]any)
		hm, hIsMap := have.(map[string]any)
		if wIsMap && hIsMap {
			out = appendFieldDiffs(out, prefix+k+".", wm, hm)
			continue
		}
		fd := FieldDiff{Path: prefix + k}
		if inWant {
			fd.Desired = render(want)
		}
		if inHave {
			fd.Actual = render(have)
		}
		if fd.Desired != nil && fd.Actual != nil && *fd.Desired == *fd.Actual {
			continue
		}
		out = append(out, fd)
	}
	return out
}

// render is a field's value as JSON (maps keyed in order, so equal values render equal).
func render(v any) *string {
	b, err := json.Marshal(v)
	if err != nil {
		s := "<unprintable>"
		return &s
	}
	s := string(b)
	return &s
}

// problemsOf are translation's diagnostics as status's problems.
func problemsOf(diags translate.Diagnostics) []Problem {
	out := make([]Problem, 0, len(diags))
	for _, d := range diags {
		out = append(out, Problem{Phase: PhaseTranslate, Severity: string(d.Severity),
			Object: d.Object(), Field: d.Field, Error: d.Reason})
	}
	return out
}

// cpHash is the configuration hash the control plane serves: its own /status
// configuration_hash when it reports one, else the hash most data planes hold (Kong's CP does
// not report its hash; a DP that reconnected got the CP's current config, and the majority of
// DPs serve it). A tie goes to the hash of the data plane the CP heard from last: a DP pings as
// soon as it applies a configuration, while one cut off the CP stops pinging, so with two DPs
// and one partitioned the connected one is taken as current. Equal last pings go to the smaller
// hash, so the choice is stable across refreshes.
func cpHash(reported string, rows []admin.DataPlane) string {
	if reported != "" {
		return reported
	}
	type seen struct {
		n    int
		last int64
	}
	by := map[string]seen{}
	for _, r := range rows {
		s := by[r.ConfigHash]
		s.n++
		s.last = max(s.last, r.LastSeen)
		by[r.ConfigHash] = s
	}
	best := ""
	for _, h := range slices.Sorted(maps.Keys(by)) {
		if b, c := by[best], by[h]; best == "" || c.n > b.n || c.n == b.n && c.last > b.last {
			best = h
		}
	}
	return best
}

// dataPlanesOf turns the rows into status's data planes against the CP's hash. lagging holds
// when each DP was first seen with another hash; it is updated in place, so the lag age grows
// across refreshes and is forgotten once the DP catches up.
func dataPlanesOf(rows []admin.DataPlane, hash string, now time.Time, lagging map[string]time.Time) []DataPlane {
	out := make([]DataPlane, 0, len(rows))
	for _, r := range rows {
		dp := DataPlane{ID: r.ID, Hostname: r.Hostname, IP: r.IP, Version: r.Version, SyncStatus: r.SyncStatus,
			ConfigHash: r.ConfigHash, MatchesCP: hash != "" && r.ConfigHash == hash, LastSeen: time.Unix(r.LastSeen, 0).UTC()}
		if r.CertDetails.ExpiryTimestamp > 0 {
			exp := time.Unix(r.CertDetails.ExpiryTimestamp, 0).UTC()
			dp.CertExpiry = &exp
		}
		if dp.MatchesCP {
			delete(lagging, r.ID)
		} else {
			since, ok := lagging[r.ID]
			if !ok {
				since = now
				lagging[r.ID] = since
			}
			dp.LaggingSince = &since
		}
		dp.Converged = dp.MatchesCP && (r.SyncStatus == "" || r.SyncStatus == "normal")
		out = append(out, dp)
	}
	return out
}
