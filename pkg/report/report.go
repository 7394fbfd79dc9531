// Package report turns a plan and its outcome into what people and scripts read: a summary
// per entity type, each failure with its Kubernetes object and Kong's answer, conflicts with
// both sides named, and per-entity unified diffs with secrets redacted.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/internal/redact"
	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

// KindSummary counts what happened to one entity type.
type KindSummary struct {
	Kind      plan.Kind `json:"kind"`
	Created   int       `json:"created"`
	Updated   int       `json:"updated"`
	Deleted   int       `json:"deleted"`
	Failed    int       `json:"failed"`
	Skipped   int       `json:"skipped"`
	Conflicts int       `json:"conflicts"`
}

// Problem is one op that did not complete.
type Problem struct {
	Status apply.Status `json:"status"`
	Action plan.Action  `json:"action"`
	Kind   plan.Kind    `json:"kind"`
	Name   string       `json:"name"`
	// Object is the Kubernetes object the entity comes from ("Ingress default/echo").
	Object  string `json:"object,omitempty"`
	Error   string `json:"error"`
	Blocker string `json:"blocker,omitempty"`
}

// Report is the record of one sync (or dry run).
type Report struct {
	DryRun   bool              `json:"dryRun,omitempty"`
	Source   string            `json:"source"`
	Kong     string            `json:"kong"`
	Nodes    []string          `json:"nodes,omitempty"`
	NodeDown map[string]string `json:"nodesDown,omitempty"`
	// Managed is how many owned entities Kong held before the sync.
	Managed   int           `json:"managed"`
	Unchanged int           `json:"unchanged"`
	Kinds     []KindSummary `json:"kinds"`
	Problems  []Problem     `json:"problems,omitempty"`
	// Withheld counts the deletes not made, by reason.
	Withheld map[string]int `json:"deletesWithheld,omitempty"`
	// Kept are the writes not made because the entity's Kubernetes object failed translation:
	// Kong keeps its last good configuration, and the sync is partial.
	Kept     []Problem `json:"kept,omitempty"`
	Notes    []string  `json:"notes,omitempty"`
	Requests int64     `json:"writeRequests"`
	// Generation is the sync marker's generation this sync wrote (0: none was written).
	Generation int64 `json:"generation,omitempty"`
	// Durations of the phases.
	Read  time.Duration `json:"readNs"`
	Plan  time.Duration `json:"planNs"`
	Apply time.Duration `json:"applyNs"`
}

// New summarises p and, when it was applied, out (nil for a dry run: the plan's ops count as
// what would happen).
func New(p *plan.Plan, out *apply.Outcome) *Report {
	r := &Report{Managed: p.Managed, Unchanged: p.Unchanged, Notes: slices.Clone(p.Notes)}
	for _, op := range p.Withheld {
		if r.Withheld == nil {
			r.Withheld = map[string]int{}
		}
		r.Withheld[op.Reason]++
	}
	for _, op := range p.Frozen {
		r.Kept = append(r.Kept, Problem{Status: "kept", Action: op.Action, Kind: op.Kind, Name: op.Name, Object: op.Object.String(), Error: op.Reason})
	}
	byKind := map[plan.Kind]*KindSummary{}
	sum := func(k plan.Kind) *KindSummary {
		if byKind[k] == nil {
			byKind[k] = &KindSummary{Kind: k}
		}
		return byKind[k]
	}
	count := func(op *plan.Op) {
		s := sum(op.Kind)
		switch op.Action {
		case plan.Create:
			s.Created++
		case plan.Update:
			s.Updated++
		case plan.Delete:
			s.Deleted++
		}
	}
	if out == nil {
		r.DryRun = true
		for _, op := range p.Ops {
			if op.Refused != "" {
				sum(op.Kind).Failed++
				r.Problems = append(r.Problems, Problem{Status: apply.Failed, Action: op.Action, Kind: op.Kind, Name: op.Name,
					Object: op.Object.String(), Error: "would be refused by Kong: " + op.Refused})
				continue
			}
			if op.Conflict == "" {
				count(op)
				continue
			}
			sum(op.Kind).Conflicts++
			r.Problems = append(r.Problems, Problem{Status: apply.Conflict, Action: op.Action, Kind: op.Kind, Name: op.Name,
				Object: op.Object.String(), Error: "would be refused by Kong", Blocker: op.Conflict})
		}
	} else {
		r.Nodes, r.Requests, r.Apply = out.Nodes, out.Requests, out.Duration
		r.NodeDown = out.Down
		for _, res := range out.Results {
			s := sum(res.Op.Kind)
			switch res.Status {
			case apply.Done:
				count(res.Op)
				continue
			case apply.Failed:
				s.Failed++
			case apply.Skipped:
				s.Skipped++
			case apply.Conflict:
				s.Conflicts++
			}
			r.Problems = append(r.Problems, Problem{Status: res.Status, Action: res.Op.Action, Kind: res.Op.Kind,
				Name: res.Op.Name, Object: res.Op.Object.String(), Error: res.Error, Blocker: res.Blocker})
		}
	}
	for _, k := range plan.Kinds() {
		if s := byKind[k]; s != nil {
			r.Kinds = append(r.Kinds, *s)
		}
	}
	return r
}

// Failed reports whether some op did not complete, or was not tried because its object failed
// translation.
func (r *Report) Failed() bool { return len(r.Problems) > 0 || len(r.Kept) > 0 }

// Write prints r as a table ("" or "table"), json or yaml. Every URL in it (the source's -f
// URLs, the nodes, errors) is shown without user information or query string.
func (r *Report) Write(w io.Writer, format string) error {
	safe := r.withoutSecrets()
	if format == "" || format == "table" {
		return safe.writeTable(w)
	}
	return encode(w, safe, format, "report")
}

// withoutSecrets is a copy of r whose URLs hold no user information or query string.
func (r *Report) withoutSecrets() *Report {
	c := *r
	c.Source, c.Kong = redact.URLs(c.Source), redact.URLs(c.Kong)
	c.Nodes = redact.All(slices.Clone(c.Nodes))
	c.Notes = redact.All(slices.Clone(c.Notes))
	if c.NodeDown != nil {
		c.NodeDown = map[string]string{}
		for url, why := range r.NodeDown {
			c.NodeDown[redact.URLs(url)] = redact.URLs(why)
		}
	}
	c.Problems = slices.Clone(c.Problems)
	for i := range c.Problems {
		c.Problems[i].Error, c.Problems[i].Blocker = redact.URLs(c.Problems[i].Error), redact.URLs(c.Problems[i].Blocker)
	}
	return &c
}

// encode writes v as json (indented, unescaped) or yaml.
func encode(w io.Writer, v any, format, what string) error {
	var raw []byte
	var err error
	switch format {
	case "json":
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err, raw = enc.Encode(v), b.Bytes()
	case "yaml":
		raw, err = yaml.Marshal(v)
	default:
		return fmt.Errorf("unknown output format %q", format)
	}
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	_, err = w.Write(raw)
	return err
}

func (r *Report) writeTable(w io.Writer) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	verb := "synced"
	switch {
	case r.DryRun:
		verb = "would sync (dry run)"
	case r.Failed():
		verb = "sync incomplete:"
	}
	fmt.Fprintf(&b, "%s %s into %s\n", verb, r.Source, r.Kong)
	if len(r.Kinds) > 0 {
		fmt.Fprintln(tw, "KIND\tCREATED\tUPDATED\tDELETED\tFAILED\tSKIPPED\tCONFLICTS")
		for _, k := range r.Kinds {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n", k.Kind, k.Created, k.Updated, k.Deleted, k.Failed, k.Skipped, k.Conflicts)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(&b, "%d entities unchanged, %d owned before", r.Unchanged, r.Managed)
	switch {
	case r.DryRun:
	case r.Requests == 0:
		b.WriteString("; nothing to write")
	default:
		fmt.Fprintf(&b, "; %d write requests through %s", r.Requests, strings.Join(r.Nodes, ", "))
	}
	fmt.Fprintf(&b, "; read %s, plan %s", round(r.Read), round(r.Plan))
	if !r.DryRun {
		fmt.Fprintf(&b, ", apply %s", round(r.Apply))
	}
	b.WriteString("\n")
	if r.Generation > 0 {
		fmt.Fprintf(&b, "sync marker: generation %d\n", r.Generation)
	}
	for url, why := range r.NodeDown {
		fmt.Fprintf(&b, "node %s went away during the sync (%s); the sync went on through another node\n", url, why)
	}
	for why, n := range r.Withheld {
		fmt.Fprintf(&b, "%d owned entities not deleted: %s\n", n, why)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, k := range r.Kept {
		fmt.Fprintf(&b, "kept as Kong has it: %s %s %s (%s): %s\n", k.Action, k.Kind, k.Name, k.Object, k.Error)
	}
	for _, p := range r.Problems {
		obj := ""
		if p.Object != "" {
			obj = " (" + p.Object + ")"
		}
		fmt.Fprintf(&b, "%s: %s %s %s%s: %s\n", p.Status, p.Action, p.Kind, p.Name, obj, p.Error)
		if p.Blocker != "" {
			fmt.Fprintf(&b, "  in the way: %s\n", p.Blocker)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
