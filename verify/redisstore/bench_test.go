package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/convbench"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// benchGuard is a Guard whose codes never lock and whose failures never
// block, so that a benchmark can check a wrong code again and again: the
// full path of a check (budget, code, attempt, failure written back).
func benchGuard(b testing.TB, rdb redis.UniversalClient) *verify.Guard {
	return newGuard(b, store(rdb), newClock(), verify.Limits{MaxAttempts: 1 << 30, MaxFailures: -1})
}

// wrongFor issues a code for r and returns a wrong one.
func wrongFor(b *testing.B, g *verify.Guard, r string) string {
	code, err := g.Issue(context.Background(), r)
	require.NoError(b, err)
	if code[0] == '1' {
		return "2" + code[1:]
	}
	return "1" + code[1:]
}

// BenchmarkCheckVsPing times a Guard.Check (a wrong code: one EVALSHA that
// reads and writes the recipient's hash) and a bare PING on the same client,
// in turn within each op, so that load from elsewhere weighs on both alike.
func BenchmarkCheckVsPing(b *testing.B) {
	rdb := oneServer(b, redistest.Addr(b))
	g := benchGuard(b, rdb)
	ctx := context.Background()
	wrong := wrongFor(b, g, "+4917012345678")
	var ping, check time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if err := rdb.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := g.Check(ctx, "+4917012345678", wrong); err == nil {
			b.Fatal("a wrong code verified")
		}
		t2 := time.Now()
		ping += t1.Sub(t0)
		check += t2.Sub(t1)
	}
	b.ReportMetric(float64(ping.Nanoseconds())/float64(b.N), "ns/ping")
	b.ReportMetric(float64(check.Nanoseconds())/float64(b.N), "ns/check")
	b.ReportMetric(float64(check)/float64(ping), "check/ping")
}

// BenchmarkThroughput64 runs 64 goroutines doing PING, then 64 doing
// Check (each its own recipient), in alternating chunks of 64×100 calls on
// one client; it reports both rates and Check's share of PING's.
func BenchmarkThroughput64(b *testing.B) {
	const workers, chunk = 64, 100
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Addr(b), PoolSize: workers})
	b.Cleanup(func() { rdb.Close() })
	g := benchGuard(b, rdb)
	ctx := context.Background()
	wrong := make([]string, workers)
	for w := range workers {
		wrong[w] = wrongFor(b, g, fmt.Sprintf("+49170%08d", w))
	}
	run := func(op func(w int) error) time.Duration {
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range chunk {
					if err := op(w); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	pingOp := func(int) error { return rdb.Ping(ctx).Err() }
	checkOp := func(w int) error {
		if err := g.Check(ctx, fmt.Sprintf("+49170%08d", w), wrong[w]); err == nil {
			return fmt.Errorf("a wrong code verified")
		}
		return nil
	}
	var ping, check time.Duration
	b.ResetTimer()
	for range b.N {
		ping += run(pingOp)
		check += run(checkOp)
	}
	calls := float64(b.N * workers * chunk)
	b.ReportMetric(calls/ping.Seconds(), "pings/s")
	b.ReportMetric(calls/check.Seconds(), "checks/s")
	b.ReportMetric(100*float64(ping)/float64(check), "check%ofping")
}

// BenchmarkMemoryUsage reports MEMORY USAGE of a recipient's key holding a
// live code, one wrong attempt (a failure) and one send; and of an IP's
// and a prefix's send log with one send.
func BenchmarkMemoryUsage(b *testing.B) {
	rdb := oneServer(b, redistest.Addr(b))
	p := uniquePrefix()
	g := newGuard(b, redisstore.New(rdb, redisstore.WithPrefix(p)), newClock(), verify.Limits{})
	ctx := context.Background()
	const n = 1000
	for i := range n {
		r := fmt.Sprintf("+4917%09d", i*104729)
		require.NoError(b, g.AllowSend(ctx, r, fmt.Sprintf("10.0.%d.%d", i/256, i%256)))
		wrong := wrongFor(b, g, r)
		require.Error(b, g.Check(ctx, r, wrong))
	}
	usage := func(pattern string) float64 {
		var total, keys int64
		iter := rdb.Scan(ctx, 0, p+pattern, 1000).Iterator()
		for iter.Next(ctx) {
			total += rdb.MemoryUsage(ctx, iter.Val(), 0).Val()
			keys++
		}
		require.NoError(b, iter.Err())
		require.Positive(b, keys)
		return float64(total) / float64(keys)
	}
	b.ResetTimer()
	var recipient, ip, prefix float64
	for range b.N {
		recipient, ip, prefix = usage("r:*"), usage("ip:*"), usage("px:*")
	}
	b.ReportMetric(recipient, "B/recipient")
	b.ReportMetric(ip, "B/ip")
	b.ReportMetric(prefix, "B/prefix")
}

// BenchmarkAllowSendConversion: Guard.AllowSend on one Redis server with
// the conversion guard on against off (see verify/internal/convbench): one
// EVALSHA either way, two more keys with the guard on.
func BenchmarkAllowSendConversion(b *testing.B) {
	addr := redistest.Addr(b)
	convbench.Run(b, func(b *testing.B) verify.Store {
		return redisstore.New(oneServer(b, addr), redisstore.WithPrefix(uniquePrefix()))
	})
}
