package sim_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/pkg/cli"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/docker"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// BenchmarkTimeToReady measures `sim up` to ready, on each runtime, next to PostgreSQL alone on
// the same runtime, in one run: a PostgreSQL container (the same image and readiness rule as
// the docker runtime's) and a local PostgreSQL process (internal/pgtest: initdb --no-sync, then
// postgres with fsync off until it accepts a connection, as the local runtime starts its own).
// Traditional 3 nodes and hybrid CP + 2 DPs; the goal compares like with like: each runtime's
// hybrid cluster ≤ 3× its own PostgreSQL alone.
//
//	go test ./e2e/sim -run '^$' -bench BenchmarkTimeToReady -benchtime 1x -count 5
func BenchmarkTimeToReady(b *testing.B) {
	dockerRuntime(b)
	_, pg := simtest.Images()
	b.Run("docker/postgres-alone", func(b *testing.B) {
		for b.Loop() {
			ctr, err := testcontainers.Run(b.Context(), pg, append(docker.PostgresOptions("bench"),
				testcontainers.WithLabels(map[string]string{"io.kongdb.test": "bench"}))...)
			b.StopTimer()
			if err := testcontainers.TerminateContainer(ctr, testcontainers.RemoveVolumes()); err != nil {
				b.Error(err)
			}
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	b.Run("local/postgres-alone", func(b *testing.B) {
		for b.Loop() {
			srv, err := pgtest.Start(b.Context(), "")
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if err := srv.Stop(); err != nil {
				b.Error(err)
			}
			b.StartTimer()
		}
	})
	for _, name := range runtimes {
		rt := openRuntime(b, name)
		for _, topo := range benchTopologies {
			b.Run(name+"/"+topo.name, func(b *testing.B) {
				benchUp(b, rt, topo.spec)
			})
		}
	}
}

// benchTopologies are the clusters the benchmarks bring up on each runtime.
var benchTopologies = []struct {
	name string
	spec func() sim.Spec
}{
	{"traditional-3-nodes", func() sim.Spec { s := simtest.Spec(sim.Traditional); s.Nodes = 3; return s }},
	{"hybrid-cp-2-dps", func() sim.Spec {
		s := simtest.Spec(sim.Hybrid)
		s.ControlPlanes, s.DataPlanes = 1, 2
		return s
	}},
}

// BenchmarkConvergence measures, on each runtime and topology, how long a sync takes to reach
// every node: per iteration `kongdb sim verify -o json` syncs a fixture with a fresh token
// (sync --wait, through every proxy) while polling each proxy from the sync's start. It
// reports the sync's time (sync-s, its --wait included) and the slowest and fastest node's
// time to serve it (slowest-node-s, fastest-node-s). The cluster comes up once, untimed.
//
//	go test ./e2e/sim -run '^$' -bench BenchmarkConvergence -benchtime 5x
func BenchmarkConvergence(b *testing.B) {
	for _, name := range runtimes {
		rt := openRuntime(b, name)
		for _, topo := range benchTopologies {
			b.Run(name+"/"+topo.name, func(b *testing.B) {
				spec := topo.spec()
				simtest.Up(b, rt, spec)
				var syncs, slowest, fastest float64
				for b.Loop() {
					var r cli.SimVerifyResult
					out := mustKongdb(b, "sim", "verify", spec.Name, "--runtime", name, "-o", "json")
					if err := json.Unmarshal([]byte(out), &r); err != nil {
						b.Fatalf("sim verify -o json: %v\n%s", err, out)
					}
					slow, fast := 0.0, math.Inf(1)
					for _, m := range r.Members {
						if m.ConvergedSeconds == nil {
							b.Fatalf("%s did not converge: %s", m.Name, m.Error)
						}
						slow, fast = max(slow, *m.ConvergedSeconds), min(fast, *m.ConvergedSeconds)
					}
					syncs, slowest, fastest = syncs+r.SyncSeconds, slowest+slow, fastest+fast
				}
				n := float64(b.N)
				b.ReportMetric(syncs/n, "sync-s")
				b.ReportMetric(slowest/n, "slowest-node-s")
				b.ReportMetric(fastest/n, "fastest-node-s")
			})
		}
	}
}

// benchUp times rt.Up of a fresh spec per iteration; teardown is not timed.
func benchUp(b *testing.B, rt sim.Runtime, newSpec func() sim.Spec) {
	for b.Loop() {
		spec := newSpec()
		st, err := sim.PrepareState(spec, rt.Name())
		if err != nil {
			b.Fatal(err)
		}
		_, err = rt.Up(b.Context(), spec, st, func(string) {})
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if derr := rt.Down(ctx, spec.Name); derr != nil {
			b.Error(derr)
		}
		cancel()
		_ = sim.RemoveState(spec.Name)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
