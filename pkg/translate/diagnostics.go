package translate

import (
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a diagnostic means something was left out of the Kong state.
type Severity string

const (
	// SeverityError means the object, or the named part of it, was not translated.
	SeverityError Severity = "error"
	// SeverityWarning means the object was translated but something about it deserves
	// attention (a deprecated feature, an ignored annotation value).
	SeverityWarning Severity = "warning"
)

// Diagnostic is one problem with one Kubernetes object: which object, which field, and why.
// It is what KIC reports as a KongConfigurationTranslationFailed event, in a form a terminal
// user and a script can both read.
type Diagnostic struct {
	Severity  Severity `json:"severity"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	// Field is the path of the offending field ("metadata.annotations[konghq.com/protocol]",
	// "spec.rules[0].http.paths[1].backend.service.port").
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// Object is "Kind namespace/name" (or "Kind name" for cluster-scoped objects).
func (d Diagnostic) Object() string {
	if d.Namespace == "" {
		return d.Kind + " " + d.Name
	}
	return d.Kind + " " + d.Namespace + "/" + d.Name
}

// String is the one-line form shown on stderr.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(string(d.Severity))
	b.WriteString(": ")
	b.WriteString(d.Object())
	if d.Field != "" {
		b.WriteString(" ")
		b.WriteString(d.Field)
	}
	b.WriteString(": ")
	b.WriteString(d.Reason)
	return b.String()
}

// Diagnostics are all problems of one translation, in a deterministic order.
type Diagnostics []Diagnostic

// HasErrors reports whether some object or part of one was left out, which --strict turns
// into exit code 2.
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == SeverityError })
}

// Errors returns only the diagnostics of severity error.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == SeverityError {
			out = append(out, d)
		}
	}
	return out
}

// normalize orders diagnostics by object, field and reason and drops exact repeats (one
// problem reached through several routes is reported once).
func (ds Diagnostics) normalize() Diagnostics {
	key := func(d Diagnostic) string {
		return d.Kind + "\x00" + d.Namespace + "\x00" + d.Name + "\x00" + d.Field + "\x00" + d.Reason + "\x00" + string(d.Severity)
	}
	slices.SortStableFunc(ds, func(a, b Diagnostic) int { return strings.Compare(key(a), key(b)) })
	return slices.CompactFunc(ds, func(a, b Diagnostic) bool { return a == b })
}

func (t *translator) report(sev Severity, obj object, field, format string, args ...any) {
	kind := kindOf(obj)
	t.diags = append(t.diags, Diagnostic{
		Severity:  sev,
		Kind:      kind,
		Namespace: obj.GetNamespace(),
		Name:      obj.GetName(),
		Field:     field,
		Reason:    fmt.Sprintf(format, args...),
	})
}

// fail records that obj (or its field) could not be translated.
func (t *translator) fail(obj object, field, format string, args ...any) {
	t.report(SeverityError, obj, field, format, args...)
}

// warn records something about obj worth knowing that did not stop its translation.
func (t *translator) warn(obj object, field, format string, args ...any) {
	t.report(SeverityWarning, obj, field, format, args...)
}
