package sync_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDiffShowsRedactedChangesWithKubectlExitCodes: before a sync, diff exits 1 and shows
// every entity as created, with the consumer's key redacted; -o json prints the plan; with a
// token set, the token appears nowhere; against an unreachable Kong it exits 2.
func TestDiffShowsRedactedChangesWithKubectlExitCodes(t *testing.T) {
	f := newFixture(t)
	const token = "tok-Sup3rSecret"
	r := f.cmd(t, "diff", "-f", echo, "--kong-admin-token", token)
	if r.code != 1 {
		t.Fatalf("diff before sync: exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"# create service default.echo.80", "+++ b/route/", "key: <redacted>"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff lacks %q", want)
		}
	}
	for _, secret := range []string{"alice-demo-key", token} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Fatalf("diff output shows %q", secret)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Fatal("diff into a pipe is coloured")
	}
	j := f.cmd(t, "diff", "-f", echo, "-o", "json")
	var plan struct {
		Ops []struct {
			Action, Kind, Method, Path string
			Body                       map[string]any
		} `json:"ops"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &plan); err != nil || j.code != 1 {
		t.Fatalf("diff -o json: exit %d, %v\n%s", j.code, err, j.stdout)
	}
	// examples/: 3 services, 8 routes, 3 upstreams, 3 targets, 1 certificate, 1 SNI, 2 consumers, 2 key-auths, 1 acl, 3 plugins.
	if len(plan.Ops) != 27 {
		t.Fatalf("%d ops in the plan, want 27", len(plan.Ops))
	}
	for _, op := range plan.Ops {
		if op.Kind == "key-auth" && op.Body["key"] != "<redacted>" {
			t.Fatalf("plan shows the key-auth key: %v", op.Body["key"])
		}
	}
	if f.kong.writes.Load() != 0 {
		t.Fatalf("diff wrote: %v", f.kong.reset())
	}
	bad := run(t, "diff", "-f", echo, "--kong-admin-url", "http://127.0.0.1:1", "--schema-cache-dir", f.cache)
	if bad.code != 2 {
		t.Fatalf("diff against nothing: exit %d, want 2\n%s", bad.code, bad.stderr)
	}
}
