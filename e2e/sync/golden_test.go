package sync_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// refusal is an op a case expects not to complete, with the Kong rule behind it: failed (Kong
// would refuse the entity, so sync reports it without sending it) or skipped (it depends on a
// failed one).
type refusal struct {
	status, action, kind, name string
	rule                       string
}

// refusals lists, per golden case (or "examples"), every op that must not complete in a fresh
// Kong 3.9 OSS node, each with the rule behind it. Every other op must complete, and each
// listed one must happen: a case that starts converging, or one that stops, fails.
var refusals = map[string][]refusal{
	"ca-certificates": {{"failed", "create", "ca_certificate", "7c1d2e3f-0000-4000-8000-000000000151",
		"ca_certificates.cert_digest is unique: the case's two CA Secrets hold the same certificate (input invalid on purpose)"}},
	"cluster-plugin-config": {
		{"failed", "create", "plugin", "openid-connect/default.app.app..80", "openid-connect is a Kong Enterprise plugin: not enabled on OSS"},
		{"failed", "create", "plugin", "namespaced-version/default.app.app..80", "a custom plugin the node does not enable (plugins = bundled)"},
	},
	"consumers": {
		{"failed", "create", "consumer_group", "gold", "consumer groups are Kong Enterprise entities (404 on OSS)"},
		{"failed", "create", "mtls-auth", "alice/a-1/alice@example.com", "mtls-auth credentials are Kong Enterprise entities (404 on OSS)"},
	},
	"plugins": {
		{"failed", "create", "consumer_group", "gold", "consumer groups are Kong Enterprise entities (404 on OSS)"},
		{"skipped", "create", "plugin", "rate-limiting-advanced/gold", "scoped to the consumer group Kong refuses"},
		{"failed", "create", "plugin", "key-auth/default.app.80", "a plugin's ordering is a Kong Enterprise field (unknown field on OSS)"},
	},
	"service-annotations": {
		{"failed", "create", "service", "default.bad.80", "client_certificate only for https/tls services (input invalid on purpose)"},
		{"skipped", "create", "route", "default.api.bad.api.example.com.80", "its service is refused"},
	},
	"vaults": {{"failed", "create", "vault", "hashicorp", "Kong OSS installs only the env vault ('hcv' is not installed)"}},
}

// TestGoldenCasesConverge syncs every translation golden case, and the examples/ folder, each
// into a fresh Kong node (the emulator on PostgreSQL). A case converges: the first sync exits 0
// (or 2 when refusals are listed), every op completes but the listed refusals, each of which
// happens, and a second diff has exactly the listed ops left. On the old code the gRPC routes,
// the redirect and the TLS of examples/ were refused and the test excused them.
func TestGoldenCasesConverge(t *testing.T) {
	cases, err := filepath.Glob("../../pkg/translate/testdata/*/in.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("golden cases: %v (%d)", err, len(cases))
	}
	cases = append(cases, "../../examples")
	seen := map[string]bool{}
	for _, in := range cases {
		name := filepath.Base(filepath.Dir(in))
		if strings.HasSuffix(in, "examples") {
			name = "examples"
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			want := refusals[name]
			f := newFixture(t)
			r := f.cmd(t, "sync", "-f", in, "-o", "json")
			wantCode := 0
			if len(want) > 0 {
				wantCode = 2
			}
			if r.code != wantCode {
				t.Errorf("sync: exit %d, want %d\n%s", r.code, wantCode, r.stderr)
			}
			var rep struct {
				Problems []struct{ Status, Action, Kind, Name, Error string } `json:"problems"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("report: %v\n%s", err, r.stdout)
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.Status+" "+p.Action+" "+p.Kind+" "+p.Name)
				t.Logf("first sync: %s %s %s %s: %s", p.Status, p.Action, p.Kind, p.Name, p.Error)
				// Every refusal here was knowable: preflight caught it, nothing was sent.
				if p.Status == "failed" && !strings.HasPrefix(p.Error, "not sent: Kong would refuse it") {
					t.Errorf("%s %s %s was sent and refused by Kong, not caught before: %s", p.Action, p.Kind, p.Name, p.Error)
				}
			}
			var listed, left []string
			for _, w := range want {
				listed = append(listed, w.status+" "+w.action+" "+w.kind+" "+w.name)
				left = append(left, w.action+" "+w.kind+" "+w.name)
			}
			compareSets(t, "first sync's problems", got, listed)
			d := f.cmd(t, "diff", "-f", in, "-o", "json")
			if d.code != 0 && d.code != 1 {
				t.Fatalf("diff: exit %d\n%s", d.code, d.stderr)
			}
			var pl struct {
				Ops []struct{ Action, Kind, Name string } `json:"ops"`
			}
			if err := json.Unmarshal([]byte(d.stdout), &pl); err != nil {
				t.Fatalf("plan: %v\n%s", err, d.stdout)
			}
			var ops []string
			for _, op := range pl.Ops {
				ops = append(ops, op.Action+" "+op.Kind+" "+op.Name)
			}
			compareSets(t, "second diff's ops", ops, left)
		})
	}
	for name := range refusals {
		if !seen[name] {
			t.Errorf("refusals listed for %q, which is no case", name)
		}
	}
}

// compareSets fails for every element of got not in want and every one of want not in got.
func compareSets(t *testing.T, what string, got, want []string) {
	t.Helper()
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("%s: %s, which is not a listed refusal", what, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: listed refusal %s did not happen", what, w)
		}
	}
}
