// Package bench holds the load and memory benchmarks of the mock: how many
// verifications a second it serves over loopback to 64 concurrent clients,
// measured against a handler that answers the same bytes without doing any
// work (the ceiling of the machine's HTTP stack), how much heap each
// live verification holds before and after it is pruned, and what a flow
// that reads its code from the outbox costs at a full outbox against an
// empty one.
//
// The package has no API; everything is in its _test.go files. The per-call
// benchmarks of the client itself are in the root package
// (client_bench_test.go). BENCHMARKS.md at the repository root gives the
// commands that reproduce each figure, the figures and what limits them.
package bench
