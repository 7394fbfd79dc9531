package status

import (
	"encoding/json"
	"fmt"
	"time"
)

// Drift compares the desired state with Kong's, per entity type and per entity.
type Drift struct {
	// Types has one line per entity type, in the sync's dependency order.
	Types []TypeDrift `json:"types"`
	// Entities are the entities that differ; entities in sync are counted in Types only.
	Entities []EntityDrift `json:"entities,omitempty"`
}

// TypeDrift counts one entity type.
type TypeDrift struct {
	Type string `json:"type"`
	// Desired is how many entities Kubernetes asks for; Actual how many Kong has that are ours.
	Desired int `json:"desired"`
	Actual  int `json:"actual"`
	// Missing are desired but absent, Changed present but different, Extra ours in Kong but
	// not desired, Conflicting in Kong under a desired name or ID but not ours (untagged).
	Missing     int `json:"missing"`
	Changed     int `json:"changed"`
	Extra       int `json:"extra"`
	Conflicting int `json:"conflicting"`
}

// Drifted is the number of entities of the type that are not as desired.
func (t TypeDrift) Drifted() int { return t.Missing + t.Changed + t.Extra + t.Conflicting }

// Total sums every type, for the summary line and the exit code.
func (d *Drift) Total() TypeDrift {
	total := TypeDrift{Type: "total"}
	for _, t := range d.Types {
		total.Desired += t.Desired
		total.Actual += t.Actual
		total.Missing += t.Missing
		total.Changed += t.Changed
		total.Extra += t.Extra
		total.Conflicting += t.Conflicting
	}
	return total
}

// Change is how one entity differs.
type Change string

// The kinds of Change, named as in TypeDrift.
const (
	ChangeMissing     Change = "missing"
	ChangeChanged     Change = "changed"
	ChangeExtra       Change = "extra"
	ChangeConflicting Change = "conflicting"
)

// EntityDrift is one entity that is not as desired.
type EntityDrift struct {
	Type string `json:"type"`
	// Name is the entity's name, or its natural key when it has none (a target's address).
	Name   string `json:"name"`
	ID     string `json:"id,omitempty"`
	Change Change `json:"change"`
	// Object is the Kubernetes object the entity comes from, when it is desired.
	Object string `json:"object,omitempty"`
	// Reason explains a conflict (what holds the name, and why it is not ours).
	Reason string `json:"reason,omitempty"`
	// Fields are the differing fields, for ChangeChanged, and every field of a missing or
	// extra entity.
	Fields []FieldDiff `json:"fields,omitempty"`
}

// FieldDiff is one field of an entity, as desired and as Kong has it. Values are rendered by
// the producer (JSON for structures) with secrets already replaced by <redacted>.
type FieldDiff struct {
	// Path is the field's path, "config.second" or "paths[1]".
	Path string `json:"path"`
	// Desired and Actual are absent when the field is absent on that side.
	Desired *string `json:"desired,omitempty"`
	Actual  *string `json:"actual,omitempty"`
}

// Duration is a time.Duration printed as "1.5s" in JSON and YAML, for people to read.
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "250ms".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a string such as "250ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// String is the duration rounded for a table cell: "12ms", "1.5s", "3m20s".
func (d Duration) String() string { return Age(time.Duration(d)) }

// Age renders a duration compactly for a table cell: "850ms", "42s", "3m20s", "5h", "12d".
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + Age(-d)
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
