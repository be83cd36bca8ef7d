package redisstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
)

// BenchmarkCheckWithReplicas: what WithReplicas(1, 100ms) costs a decision
// on loopback. One master and one replica (linked directly); two Guards on
// one client of the master, one of them with WithReplicas; each op times a
// Check (a wrong code: the full path, as in BenchmarkCheckVsPing) on each,
// in turn, so that load from elsewhere weighs on both alike. It reports
// the medians of both and their ratio.
func BenchmarkCheckWithReplicas(b *testing.B) {
	r := startReplicated(b, false)
	rdb := oneServer(b, r.master.Addr())
	plain := benchGuard(b, rdb)
	waiting := newGuard(b, redisstore.New(rdb, redisstore.WithPrefix(uniquePrefix()),
		redisstore.WithReplicas(1, 100*time.Millisecond)), newClock(), verify.Limits{MaxAttempts: 1 << 30, MaxFailures: -1})
	ctx := context.Background()
	const to = "+4917012345678"
	wrongPlain, wrongWaiting := wrongFor(b, plain, to), wrongFor(b, waiting, to)
	times := [2][]time.Duration{make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)}
	b.ResetTimer()
	for range b.N {
		for i, g := range []*verify.Guard{plain, waiting} {
			wrong := wrongPlain
			if i == 1 {
				wrong = wrongWaiting
			}
			t0 := time.Now()
			if err := g.Check(ctx, to, wrong); err == nil || !isDecision(err) {
				b.Fatalf("a wrong code: %v", err)
			}
			times[i] = append(times[i], time.Since(t0))
		}
	}
	b.StopTimer()
	p50 := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	plainP50, waitingP50 := p50(times[0]), p50(times[1])
	b.ReportMetric(float64(plainP50.Nanoseconds()), "ns/check-p50")
	b.ReportMetric(float64(waitingP50.Nanoseconds()), "ns/check-replicas-p50")
	b.ReportMetric(float64(waitingP50)/float64(plainP50), "replicas/plain")
}
