package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/docker"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// BenchmarkTimeToReady measures `sim up` to ready, on each runtime, next to
// a PostgreSQL container alone (the same image and readiness rule), in one
// run: traditional 3 nodes and hybrid CP + 2 DPs (goal: hybrid ≤ 3× PostgreSQL alone).
func BenchmarkTimeToReady(b *testing.B) {
	dockerRuntime(b)
	_, pg := simtest.Images()
	b.Run("postgres-alone", func(b *testing.B) {
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
	for _, name := range runtimes {
		rt := openRuntime(b, name)
		for _, topo := range []struct {
			name string
			spec func() sim.Spec
		}{
			{"traditional-3-nodes", func() sim.Spec { s := simtest.Spec(sim.Traditional); s.Nodes = 3; return s }},
			{"hybrid-cp-2-dps", func() sim.Spec {
				s := simtest.Spec(sim.Hybrid)
				s.ControlPlanes, s.DataPlanes = 1, 2
				return s
			}},
		} {
			b.Run(name+"/"+topo.name, func(b *testing.B) {
				benchUp(b, rt, topo.spec)
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
