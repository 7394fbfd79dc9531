package sync_test

import (
	"encoding/json"
	"os"
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
// listed one must happen: a case that starts converging, or one that stops, fails. Entities of
// objects that fail translation are not written at all (they keep what Kong has, here nothing),
// so the refusals their entities would meet (an OSS node's openid-connect and mtls-auth, a
// plugin's ordering, an http service's client certificate) are pkg/preflight's unit tests.
var refusals = map[string][]refusal{
	"ca-certificates": {{"failed", "create", "ca_certificate", "7c1d2e3f-0000-4000-8000-000000000151",
		"ca_certificates.cert_digest is unique: the case's two CA Secrets hold the same certificate (input invalid on purpose)"}},
	// Consumer groups (cases consumers and plugins) are Kong Enterprise entities: against OSS
	// the engine leaves each out, with its plugins and memberships, and notes it; nothing is
	// sent for Kong to refuse.
	"vaults": {{"failed", "create", "vault", "hashicorp", "Kong OSS installs only the env vault ('hcv' is not installed)"}},
}

// invalidDiffers corrects, per case, the objects that fail translation on purpose (the case's
// diagnostics.txt, reviewed with the golden output) where the case's options.yaml changes them
// and sync runs with its defaults: "+" fails under sync only, "-" fails in the golden only.
var invalidDiffers = map[string][]string{
	// The golden's clock is 2200, when the CA has expired; sync reads today's clock.
	"ca-certificates-expired": {"-Secret default/root-ca"},
	// The golden enables KIC's RewriteURIs gate; sync keeps KIC's default (off), which refuses the annotation.
	"ingress-rewrite": {"+Ingress default/rewrite"},
}

// failingObjects are the objects "error:" lines name ("Ingress default/app"), in a case's
// diagnostics.txt or in sync's stderr.
func failingObjects(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "error: ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		obj := f[0] + " " + strings.TrimSuffix(f[1], ":")
		if !slices.Contains(out, obj) {
			out = append(out, obj)
		}
	}
	return out
}

// invalidOnPurpose are the objects of a case whose translation fails on purpose.
func invalidOnPurpose(t *testing.T, in, name string) []string {
	t.Helper()
	if name == "examples" {
		return nil
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(in), "diagnostics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := failingObjects(string(raw))
	for _, d := range invalidDiffers[name] {
		if obj, ok := strings.CutPrefix(d, "-"); ok {
			out = slices.DeleteFunc(out, func(o string) bool { return o == obj })
		} else {
			out = append(out, strings.TrimPrefix(d, "+"))
		}
	}
	return out
}

// TestGoldenCasesConverge syncs every translation golden case, and the examples/ folder, each
// into a fresh Kong node (the emulator on PostgreSQL). A case converges: the first sync exits 0
// (2 when refusals are listed or objects are invalid on purpose: exactly the error lines of the
// case's reviewed diagnostics.txt), every op completes but the listed refusals, each of which
// happens and none of which reached Kong, and a second diff has exactly the listed ops left. On the old code the gRPC routes,
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
			invalid := invalidOnPurpose(t, in, name)
			wantCode := 0
			if len(want) > 0 || len(invalid) > 0 {
				wantCode = 2 // partial: refused entities, or objects invalid on purpose
			}
			if r.code != wantCode {
				t.Errorf("sync: exit %d, want %d\n%s", r.code, wantCode, r.stderr)
			}
			compareSets(t, "objects failing translation", failingObjects(r.stderr), invalid)
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
