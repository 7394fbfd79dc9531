package admin

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// TestFillDefaultsWritesUpstreamsAsKongStoresThem fills upstreams with every algorithm and
// hash_on a translation can ask for and requires the body to be what Kong stores when it is
// sent: the emulator's upstreams schema (Kong 3.9's shorthand fields) must keep its algorithm
// and hash_on as they are, so the next sync compares equal instead of updating forever.
func TestFillDefaultsWritesUpstreamsAsKongStoresThem(t *testing.T) {
	upstreams, ok := schema.Get("upstreams")
	if !ok {
		t.Fatal("emulator has no upstreams schema")
	}
	// want is what Kong stores for some pairs; the first two are kongingress-override's upstreams.
	want := map[[2]string][2]string{
		{"round-robin", "ip"}:       {"consistent-hashing", "ip"},
		{"least-connections", "ip"}: {"least-connections", "none"},
		{"latency", "consumer"}:     {"latency", "none"},
		{"consistent-hashing", ""}:  {"round-robin", "none"},
		{"", "ip"}:                  {"consistent-hashing", "ip"},
		{"", ""}:                    {"round-robin", "none"},
	}
	c := schemaServer(t)
	seen := 0
	for _, algorithm := range []string{"", "round-robin", "consistent-hashing", "least-connections", "latency"} {
		for _, hashOn := range []string{"", "none", "ip", "consumer", "header"} {
			u := kong.Upstream{Name: kong.String("u.default.80.svc")}
			if algorithm != "" {
				u.Algorithm = kong.String(algorithm)
			}
			if hashOn != "" {
				u.HashOn = kong.String(hashOn)
			}
			if hashOn == "header" {
				u.HashOnHeader = kong.String("x-user")
			}
			st := &kongstate.State{Upstreams: []*kongstate.Upstream{{Upstream: u}}}
			if err := (&Schemas{}).FillDefaults(t.Context(), c, "3.9.1", st); err != nil {
				t.Fatalf("FillDefaults: %v", err)
			}
			got := st.Upstreams[0].Upstream
			raw, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatal(err)
			}
			stored, err := upstreams.Process(body, schema.Upsert, time.Unix(1700000000, 0))
			if err != nil {
				t.Fatalf("algorithm %q hash_on %q: Kong refuses the filled body: %v", algorithm, hashOn, err)
			}
			if stored["algorithm"] != *got.Algorithm || stored["hash_on"] != *got.HashOn {
				t.Errorf("algorithm %q hash_on %q: body has %s/%s, Kong stores %v/%v", algorithm, hashOn,
					*got.Algorithm, *got.HashOn, stored["algorithm"], stored["hash_on"])
			}
			if w, ok := want[[2]string{algorithm, hashOn}]; ok {
				seen++
				if *got.Algorithm != w[0] || *got.HashOn != w[1] {
					t.Errorf("algorithm %q hash_on %q: body has %s/%s, want %s/%s", algorithm, hashOn,
						*got.Algorithm, *got.HashOn, w[0], w[1])
				}
			}
		}
	}
	if seen != len(want) {
		t.Errorf("checked %d of the %d expected pairs", seen, len(want))
	}
}
