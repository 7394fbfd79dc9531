package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/apply"
)

// TestReportShowsNoURLCredentials: the source's -f URL token, an admin URL's password and URLs
// inside errors are shown without user information or query, as a table, json and yaml. On
// the old main all three were printed as given.
func TestReportShowsNoURLCredentials(t *testing.T) {
	p := samplePlan()
	out := &apply.Outcome{Nodes: []string{"http://admin:pw-1234@kong-0:8001"}, Requests: 1,
		Down: map[string]string{"http://admin:pw-1234@kong-1:8001": `Put "http://admin:***@kong-1:8001/routes/x?sig=q-5678": EOF`},
		Results: []apply.Result{{Op: p.Ops[0], Status: apply.Done},
			{Op: p.Ops[1], Status: apply.Failed, Error: `Put "http://kong-0:8001/plugins/x?sig=q-5678": connection reset`},
			{Op: p.Ops[2], Status: apply.Done}}}
	r := New(p, out)
	r.Source, r.Kong = "manifests https://git.example.com/app.yaml?token=tok-9012", "http://admin:pw-1234@kong-0:8001"
	for _, format := range []string{"table", "json", "yaml"} {
		var b bytes.Buffer
		if err := r.Write(&b, format); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"pw-1234", "tok-9012", "q-5678"} {
			if strings.Contains(b.String(), secret) {
				t.Errorf("-o %s shows %q:\n%s", format, secret, b.String())
			}
		}
		if !strings.Contains(b.String(), "https://git.example.com/app.yaml") || !strings.Contains(b.String(), "kong-0:8001") {
			t.Errorf("-o %s lost the URLs themselves:\n%s", format, b.String())
		}
	}
	if r.Nodes[0] != "http://admin:pw-1234@kong-0:8001" {
		t.Error("writing the report changed the report itself")
	}
}
