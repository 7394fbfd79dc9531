package status_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/status/statustest"
)

// worlds are the fixtures every printer is checked against.
var worlds = map[string]func() *status.Report{
	"hybrid":      statustest.Hybrid,
	"traditional": statustest.Traditional,
	"kongonly":    statustest.KongOnly,
	"clusteronly": statustest.ClusterOnly,
}

func print(t *testing.T, r *status.Report, opts status.PrintOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := status.Print(&buf, r, opts); err != nil {
		t.Fatalf("print %q: %v", opts.Format, err)
	}
	return buf.Bytes()
}

func TestPrintGolden(t *testing.T) {
	formats := map[string]status.PrintOptions{
		"table": {Format: status.FormatTable, Aligned: true},
		"tabs":  {Format: status.FormatTable},
		"wide":  {Format: status.FormatWide, Aligned: true},
		"json":  {Format: status.FormatJSON},
		"yaml":  {Format: status.FormatYAML},
	}
	for world, report := range worlds {
		for name, opts := range formats {
			t.Run(world+"/"+name, func(t *testing.T) {
				golden.RequireEqual(t, print(t, report(), opts))
			})
		}
	}
}

func TestPrintTabSeparatedWhenNotAligned(t *testing.T) {
	out := string(print(t, statustest.Hybrid(), status.PrintOptions{}))
	if !strings.Contains(out, "DATA PLANE\tIP\tVERSION\tSYNC STATUS") {
		t.Errorf("piped table header is not tab-separated:\n%s", out)
	}
	if strings.Contains(out, "  ") {
		t.Errorf("piped table pads with spaces:\n%s", out)
	}
}

func TestPrintWideAddsColumns(t *testing.T) {
	r := statustest.Traditional()
	narrow := string(print(t, r, status.PrintOptions{Format: status.FormatTable, Aligned: true}))
	wide := string(print(t, r, status.PrintOptions{Format: status.FormatWide, Aligned: true}))
	for _, col := range []string{"ADMIN URL", "dial tcp 127.0.0.1:8021"} {
		if strings.Contains(narrow, col) {
			t.Errorf("table without wide shows %q", col)
		}
		if !strings.Contains(wide, col) {
			t.Errorf("-o wide misses %q:\n%s", col, wide)
		}
	}
}

func TestPrintJSONAndYAMLRoundTrip(t *testing.T) {
	for world, report := range worlds {
		want := report()
		var fromJSON, fromYAML status.Report
		if err := json.Unmarshal(print(t, want, status.PrintOptions{Format: status.FormatJSON}), &fromJSON); err != nil {
			t.Fatalf("%s: read json back: %v", world, err)
		}
		if err := yaml.Unmarshal(print(t, want, status.PrintOptions{Format: status.FormatYAML}), &fromYAML); err != nil {
			t.Fatalf("%s: read yaml back: %v", world, err)
		}
		if !reflect.DeepEqual(*want, fromJSON) {
			t.Errorf("%s: json round trip differs:\nwant %+v\ngot  %+v", world, *want, fromJSON)
		}
		if !reflect.DeepEqual(*want, fromYAML) {
			t.Errorf("%s: yaml round trip differs:\nwant %+v\ngot  %+v", world, *want, fromYAML)
		}
	}
}

func TestPrintUnknownFormat(t *testing.T) {
	err := status.Print(&bytes.Buffer{}, statustest.Hybrid(), status.PrintOptions{Format: "xml"})
	if err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Fatalf("Print(xml) = %v, want an error naming the format", err)
	}
}

func TestDiverged(t *testing.T) {
	inSync := func() *status.Report {
		r := statustest.Traditional()
		r.Nodes = r.Nodes[:1]
		return r
	}
	tests := []struct {
		name   string
		report func() *status.Report
		want   bool
	}{
		{"in sync", inSync, false},
		{"drift", statustest.Hybrid, true},
		{"node down or not serving the marker", statustest.Traditional, true},
		{"drift unknown and nodes fine", func() *status.Report { r := inSync(); r.Drift = nil; return r }, false},
		{"a data plane not converged", func() *status.Report {
			r := statustest.Hybrid()
			r.Drift = &status.Drift{}
			return r
		}, true},
		{"kong unreachable", statustest.ClusterOnly, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.report().Diverged(); got != tt.want {
				t.Errorf("Diverged() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDriftUnavailableNamesTheUnreachableSide(t *testing.T) {
	tests := []struct {
		report func() *status.Report
		want   string
	}{
		{statustest.Hybrid, ""},
		{statustest.KongOnly, "Kubernetes could not be read (Get \"https://127.0.0.1:6443/api\""},
		{statustest.ClusterOnly, "Kong could not be read (Get \"http://127.0.0.1:8001/\""},
	}
	for _, tt := range tests {
		got := tt.report().DriftUnavailable()
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("DriftUnavailable() = %q, want it to contain %q", got, tt.want)
		}
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{850 * time.Millisecond, "850ms"},
		{1520 * time.Millisecond, "1.5s"},
		{42 * time.Second, "42s"},
		{200 * time.Second, "3m20s"},
		{5*time.Hour + 7*time.Minute, "5h07m"},
		{12 * 24 * time.Hour, "12d"},
		{-3 * time.Second, "-3s"},
	}
	for _, tt := range tests {
		if got := status.Age(tt.in); got != tt.want {
			t.Errorf("Age(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
