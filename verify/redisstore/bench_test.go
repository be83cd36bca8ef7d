package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/convbench"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// benchGuard is a Guard whose codes never lock and whose failures are not
// counted (the failure budget off), on a clock that stands still, so that
// a benchmark can check a wrong code of one recipient again and again: a
// check reads the record, compares the MAC and writes the attempt back.
// BenchmarkGuardVsRedisRate times the Guard at its defaults instead.
func benchGuard(b testing.TB, rdb redis.UniversalClient) *verify.Guard {
	return newGuard(b, store(rdb), newClock(), verify.Limits{MaxAttempts: 1 << 30, MaxFailures: -1})
}

// wrongFor issues a code for r and returns a wrong one.
func wrongFor(b testing.TB, g *verify.Guard, r string) string {
	code, err := g.Issue(context.Background(), r)
	require.NoError(b, err)
	return wrongCode(code)
}

// BenchmarkCheckVsPing times a Guard.Check and a bare PING on the same
// client, in turn within each op, so that load from elsewhere weighs on
// both alike. The Check is benchGuard's: a wrong code of one recipient,
// again and again, the failure budget off and the clock still (one
// EVALSHA that reads and writes the recipient's record and keeps its
// answer under the operation's id).
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

// BenchmarkThroughput64 runs 64 goroutines on one client with 64
// connections, in chunks of 64 × 100 calls of one kind, each kind first in
// turn: PING, redis_rate's Allow (each goroutine its own key, a limit that
// never refuses), and Guard.Check of a wrong code, every limit at its
// default and the real clock: each goroutine checks each of its recipients
// 4 times (attempts 1 to 4 of 5; a recipient's first wrong code extends
// its key's TTL to the failure window), then the next, whose code was
// issued beforehand. It reports the three rates and Check's share of
// PING's and of redis_rate's.
func BenchmarkThroughput64(b *testing.B) {
	const workers, chunk, checksEach = 64, 100, 4
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Addr(b), PoolSize: workers})
	b.Cleanup(func() { rdb.Close() })
	g, err := verify.NewGuard(redisstore.New(rdb, redisstore.WithPrefix(uniquePrefix())), verify.WithSecret(secret))
	require.NoError(b, err)
	limiter := redis_rate.NewLimiter(rdb)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	ctx := context.Background()
	perWorker := (b.N*chunk + checksEach - 1) / checksEach
	recipient := func(w, j int) string { return fmt.Sprintf("+491%02d%08d", w, j) }
	wrong := make([][]string, workers)
	for w := range workers {
		wrong[w] = make([]string, perWorker)
		for j := range perWorker {
			wrong[w][j] = wrongFor(b, g, recipient(w, j))
		}
	}
	calls := make([]int, workers)
	do := func(op func(w int) error) time.Duration {
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
	rateOp := func(w int) error {
		_, err := limiter.Allow(ctx, run+":"+strconv.Itoa(w), redis_rate.PerSecond(1<<30))
		return err
	}
	checkOp := func(w int) error {
		j := calls[w] / checksEach
		calls[w]++
		var ice *verify.InvalidCodeError
		if err := g.Check(ctx, recipient(w, j), wrong[w][j]); !errors.As(err, &ice) {
			return fmt.Errorf("a wrong code answered %v", err)
		}
		return nil
	}
	var took [3]time.Duration
	ops := [3]func(int) error{pingOp, rateOp, checkOp}
	b.ResetTimer()
	for i := range b.N {
		for k := range 3 { // each goes first in turn
			op := (i + k) % 3
			took[op] += do(ops[op])
		}
	}
	ping, rate, check := took[0], took[1], took[2]
	n := float64(b.N * workers * chunk)
	b.ReportMetric(n/ping.Seconds(), "pings/s")
	b.ReportMetric(n/rate.Seconds(), "rate-allows/s")
	b.ReportMetric(n/check.Seconds(), "checks/s")
	b.ReportMetric(100*float64(ping)/float64(check), "check%ofping")
	b.ReportMetric(100*float64(rate)/float64(check), "check%ofrate")
}

// BenchmarkMemoryPerRecipient measures the Redis memory a recipient costs in
// the worst case: every limit at its default (the IP and prefix rules and
// the conversion guard on, its country level's minimum out of reach so
// that it refuses none of the unverified sends), and each of 10,000
// recipients German, with its own IP address and its own 8-digit prefix,
// one AllowSend, one Issue and one wrong Check (a failure) each, on a
// server of its own with the default key prefix. The answers the
// decisions keep for 30 s under their operation ids are dropped after
// each 100 recipients, as their expiry drops them in the steady state, so
// that they neither count nor size Redis's hash tables (-short: 1,000
// recipients, to check that it still runs). It reports per
// recipient:
//   - "B/recipient": INFO memory's used_memory grown by the recipients'
//     keys (their MEMORY USAGE, and what that leaves out: the expiry
//     entries and the hash table slots);
//   - "usage-B/recipient": MEMORY USAGE summed over the recipient's, the
//     IP's, the prefix's and (shared) the country's keys;
//   - "ops/recipient" and "op-usage-B": how many operation answers the
//     recipient's decisions kept, and each one's MEMORY USAGE while kept;
//   - the anchor, redis_rate's Allow over 10,000 keys on the same server:
//     "rate-B/key" and "rate-usage-B/key".
func BenchmarkMemoryPerRecipient(b *testing.B) {
	const batch = 100
	n := 10_000
	if testing.Short() {
		n = 1_000 // to check that it still runs
	}
	rdb := oneServer(b, redistest.Start(b))
	ctx := context.Background()
	used := func() float64 {
		runtimeGC(b, rdb)
		info, err := rdb.Info(ctx, "memory").Result()
		require.NoError(b, err)
		return infoNumber(b, info, "used_memory")
	}
	// scan calls f with every key matching pattern.
	scan := func(pattern string, f func(key string)) {
		iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			f(iter.Val())
		}
		require.NoError(b, iter.Err())
	}
	usage := func(pattern string) (total float64, keys int) {
		scan(pattern, func(key string) {
			total += float64(rdb.MemoryUsage(ctx, key, 0).Val())
			keys++
		})
		return total, keys
	}
	var perRecipient, usagePer, opsPer, opUsage, ratePer, rateUsage float64
	for range b.N {
		require.NoError(b, rdb.FlushAll(ctx).Err())
		base := used()
		limiter := redis_rate.NewLimiter(rdb)
		for i := range n {
			_, err := limiter.Allow(ctx, "user:"+strconv.Itoa(i), redis_rate.PerHour(5))
			require.NoError(b, err)
		}
		ratePer = (used() - base) / float64(n)
		total, keys := usage("rate:*")
		require.Equal(b, n, keys)
		rateUsage = total / float64(n)

		require.NoError(b, rdb.FlushAll(ctx).Err())
		base = used()
		// The conversion guard's country level would refuse the 101st send
		// to Germany that nobody verified: its minimum is set out of reach,
		// so that it counts every send and refuses none.
		g, err := verify.NewGuard(redisstore.New(rdb), verify.WithSecret(secret),
			verify.WithLimits(verify.Limits{ConversionMinCountrySends: 1 << 30}))
		require.NoError(b, err)
		var ops int
		opUsage = 0
		for i := range n {
			r := fmt.Sprintf("+49%06d1234", i) // its own 8-digit prefix
			require.NoError(b, g.AllowSend(ctx, r, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)))
			require.Error(b, g.Check(ctx, r, wrongFor(b, g, r)))
			if (i+1)%batch == 0 {
				scan("otpkit:op:*", func(key string) {
					if opUsage == 0 {
						opUsage = float64(rdb.MemoryUsage(ctx, key, 0).Val())
					}
					require.NoError(b, rdb.Del(ctx, key).Err())
					ops++
				})
			}
		}
		perRecipient = (used() - base) / float64(n)
		all, _ := usage("otpkit:*")
		usagePer = all / float64(n)
		opsPer = float64(ops) / float64(n)
	}
	b.ReportMetric(perRecipient, "B/recipient")
	b.ReportMetric(usagePer, "usage-B/recipient")
	b.ReportMetric(opsPer, "ops/recipient")
	b.ReportMetric(opUsage, "op-usage-B")
	b.ReportMetric(ratePer, "rate-B/key")
	b.ReportMetric(rateUsage, "rate-usage-B/key")
}

// runtimeGC lets Redis finish what it frees lazily (UNLINK, FLUSHALL) and
// its incremental rehashing before memory is read.
func runtimeGC(b testing.TB, rdb *redis.Client) {
	ctx := context.Background()
	for range 100 {
		info, err := rdb.Info(ctx, "memory").Result()
		require.NoError(b, err)
		if infoNumber(b, info, "lazyfree_pending_objects") == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(b, rdb.Do(ctx, "MEMORY", "PURGE").Err())
}

// infoNumber is the number named name in an INFO answer.
func infoNumber(b testing.TB, info, name string) float64 {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(b, err)
			return f
		}
	}
	b.Fatalf("INFO has no %s", name)
	return 0
}

// BenchmarkAllowSendConversion: Guard.AllowSend on one Redis server with
// the conversion guard on against off (see verify/internal/convbench): one
// EVALSHA either way, with the guard on one more key (the country's
// counter; the prefix's shares the prefix's key) and more to read and
// write in the prefix's.
func BenchmarkAllowSendConversion(b *testing.B) {
	addr := redistest.Addr(b)
	convbench.Run(b, func(b *testing.B) verify.Store {
		return redisstore.New(oneServer(b, addr), redisstore.WithPrefix(uniquePrefix()))
	})
}
