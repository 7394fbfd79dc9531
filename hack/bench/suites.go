package main

import "time"

// suite is one `go test -bench` run: a package, the benchmarks it runs, and how long they may
// take. Every Benchmark function of the package that bench matches must produce a result.
type suite struct {
	// name selects the suite with -only.
	name string
	// pkg is the package, relative to the module root.
	pkg string
	// bench is the -bench regexp over top-level benchmark names.
	bench string
	// benchtime is -benchtime; empty keeps go test's default of 1s. The end-to-end benchmarks
	// that bring clusters up or sync thousands of entities run once per run (1x), so each run
	// is one sample: one start of a container varies by a second on a shared machine, and
	// the spread over the runs shows it.
	benchtime string
	// count is go test's -count: how many runs the table's median and spread are over (one
	// when zero). Five where a run is cheap; three for the sync against GDR, whose run takes
	// minutes.
	count   int
	timeout time.Duration
}

// translateScaling is the -only name of `translate -f` measured end to end at several sizes.
const translateScaling = "translate-f"

// suites are every benchmark of the project, the fast ones first, each package once.
var suites = []suite{
	{name: "translate", pkg: "./pkg/translate", bench: ".", count: 5, timeout: 10 * time.Minute},
	{name: "admin", pkg: "./pkg/admin", bench: ".", count: 5, timeout: 10 * time.Minute},
	{name: "tui", pkg: "./pkg/tui", bench: ".", count: 5, timeout: 10 * time.Minute},
	{name: "schema", pkg: "./sim/emulator/schema", bench: ".", count: 5, timeout: 10 * time.Minute},
	{name: "store", pkg: "./sim/emulator/store", bench: ".", count: 5, timeout: 10 * time.Minute},
	{name: "emulator-admin", pkg: "./sim/emulator/admin", bench: ".", count: 5, timeout: 10 * time.Minute},
	{name: "proxy", pkg: "./sim/emulator/proxy", bench: ".", count: 5, timeout: 10 * time.Minute},
	{name: "cluster", pkg: "./sim/emulator/cluster", bench: ".", count: 5, timeout: 10 * time.Minute},
	{name: "conformance", pkg: "./e2e/conformance", bench: ".", count: 5, timeout: 20 * time.Minute},
	{name: "time-to-ready", pkg: "./e2e/sim", bench: "^BenchmarkTimeToReady$", benchtime: "1x", count: 5, timeout: 30 * time.Minute},
	{name: "convergence", pkg: "./e2e/sim", bench: "^BenchmarkConvergence$", benchtime: "1x", count: 5, timeout: 30 * time.Minute},
	{name: "sync", pkg: "./e2e/sync", bench: "^BenchmarkSync$", benchtime: "1x", count: 5, timeout: 20 * time.Minute},
	{name: "gdr", pkg: "./e2e/sync", bench: "^BenchmarkSyncVsGDR$", benchtime: "1x", count: 3, timeout: 120 * time.Minute},
	{name: "status", pkg: "./e2e/status", bench: "^BenchmarkStatusRefresh$", benchtime: "1x", count: 5, timeout: 20 * time.Minute},
}

// goals are the headline comparisons, in the order the table shows them, each measured by the
// benchmarks of one suite.
var goals = []goal{
	{suite: "gdr", label: "sync vs go-database-reconciler, full sync: kongdb / GDR wall", bench: "SyncVsGDR/full", unit: "ratio", max: 0.5},
	{suite: "gdr", label: "sync vs go-database-reconciler, no-op sync: kongdb / GDR wall", bench: "SyncVsGDR/noop", unit: "ratio", max: 0.2},
	{suite: "gdr", label: "sync vs go-database-reconciler, one changed Ingress: kongdb / GDR wall", bench: "SyncVsGDR/one-change", unit: "ratio", max: 0.2},
	{suite: "gdr", label: "full sync: kongdb / its floor (fewest requests at the raw rates + translation)", bench: "SyncVsGDR/full", unit: "kongdb/floor"},
	{suite: "gdr", label: "no-op sync: kongdb / its floor (one target list per upstream + pages, at the raw read rate, + translation)", bench: "SyncVsGDR/noop", unit: "kongdb/floor"},
	{suite: "gdr", label: "one changed Ingress: kongdb / its floor", bench: "SyncVsGDR/one-change", unit: "kongdb/floor"},
	{suite: "time-to-ready", label: "time to ready, docker: hybrid CP + 2 DPs / a PostgreSQL container alone", bench: "TimeToReady/docker/hybrid-cp-2-dps",
		unit: "sec/op", over: "TimeToReady/docker/postgres-alone", max: 3},
	{suite: "time-to-ready", label: "time to ready, local: hybrid CP + 2 DPs / a local PostgreSQL process alone", bench: "TimeToReady/local/hybrid-cp-2-dps",
		unit: "sec/op", over: "TimeToReady/local/postgres-alone", max: 3},
	{suite: "time-to-ready", label: "time to ready across runtimes, for information: local hybrid / a PostgreSQL container alone", bench: "TimeToReady/local/hybrid-cp-2-dps",
		unit: "sec/op", over: "TimeToReady/docker/postgres-alone"},
	{suite: "proxy", label: "emulator proxy rate / bare httputil.ReverseProxy", bench: "ProxyVsReverseProxy", unit: "ratio", min: 0.5},
	{suite: "cluster", label: "CP→DP propagation of one change, 10,000 entities", bench: "ControlPlaneToDataPlane10k", unit: "sec/op", max: 1},
	{suite: "tui", label: "TUI frame, cluster view, 50 DPs", bench: "RenderCluster50DPs", unit: "sec/op", max: 0.016},
	{suite: "tui", label: "TUI frame, drift view, 10,000 entities", bench: "RenderDrift10000Entities", unit: "sec/op", max: 0.016},
	{suite: "tui", label: "TUI frame after a filter key, 10,000 entities", bench: "RenderDriftFilterKey", unit: "sec/op", max: 0.016},
	{suite: "tui", label: "TUI frame taking a refreshed report, 10,000 entities", bench: "TakeReport", unit: "sec/op", max: 0.016},
}

// goal is a headline comparison: one benchmark's metric, or its ratio to another benchmark's
// same metric, held to a limit; a goal without a limit is shown for information.
type goal struct {
	// suite is the suite whose results it reads.
	suite string
	label string
	// bench is the benchmark's name without "Benchmark" and the GOMAXPROCS suffix.
	bench, unit string
	// over, when set, divides the metric by the same metric of this benchmark.
	over string
	// max or min is the limit (inclusive); zero means none, and both zero an information row.
	max, min float64
}
