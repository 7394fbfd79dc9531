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
// run; hybrid joins when the emulator's data plane lands.
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
		b.Run(name+"/traditional-3-nodes", func(b *testing.B) {
			for b.Loop() {
				spec := simtest.Spec(sim.Traditional)
				spec.Nodes = 3
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
		})
	}
}
