package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// The anchor of the Guard-on-Redis benchmarks is go-redis/redis_rate v10's
// Limiter.Allow: GCRA in one script over one key (TIME, GET, SET EX), the
// best-known rate limiter on go-redis. Every Guard decision is timed side
// by side with it, on the same client and server, in one run.

// guardOp is one kind of decision the anchor benchmarks time: call(i) makes
// the decision of round i (each round has state of its own, prepared by
// guardWorkload) and returns nil when it answered as expected.
type guardOp struct {
	name string
	call func(i int) error
}

// guardWorkload prepares n rounds of every decision on a store with a fresh
// prefix on rdb, and the anchors (redis_rate's Allow, PING, an empty
// script). The Guard has every limit at its default (recipient 5, IP 20,
// prefix 50 sends an hour, the failure budget 10 a day, 5 attempts, the
// conversion guard on) and the real clock. Round i's recipients are German
// numbers of their own 8-digit prefix, and its AllowSend comes from an IP
// address of its own: every key is new, the worst case for memory, as a
// large population of users makes it.
func guardWorkload(b testing.TB, rdb *redis.Client, n int) []guardOp {
	b.Helper()
	ctx := context.Background()
	st := redisstore.New(rdb, redisstore.WithPrefix(uniquePrefix()))
	g, err := verify.NewGuard(st, verify.WithSecret(secret))
	must(b, err)
	// setup prepares the recipients' state without counting in the
	// conversion guard (whose country level would refuse once 100 sends
	// were not verified); the recipients' hashes are what g makes.
	setup, err := verify.NewGuard(st, verify.WithSecret(secret), verify.WithLimits(verify.Limits{ConversionWindow: -1}))
	must(b, err)
	l := g.Limits()
	failures := verify.Rate{Count: l.MaxFailures, Per: l.FailureWindow}
	rules := verify.CheckRules{MaxAttempts: l.MaxAttempts, Failures: failures,
		Conversion: verify.ConversionRules{Window: l.ConversionWindow, MinCountrySends: l.ConversionMinCountrySends,
			MinPrefixSends: l.ConversionMinPrefixSends, Floor: l.ConversionFloor}}
	limiter := redis_rate.NewLimiter(rdb)
	empty := redis.NewScript("return 0")
	run := strconv.FormatInt(time.Now().UnixNano(), 36)

	// number is round i's recipient of a kind (0-9). AllowSend's (kind 0)
	// has a prefix (the first 8 digits) of its own; the others share one a
	// round.
	number := func(kind, i int) string {
		if kind == 0 {
			return fmt.Sprintf("+492%05d01234", i%100_000)
		}
		return fmt.Sprintf("+491%05d%d1234", i%100_000, kind)
	}
	ip := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) }
	issue := func(kind, i int, wrongs int) string {
		r := number(kind, i)
		must(b, setup.AllowSend(ctx, r, ""))
		code, err := setup.Issue(ctx, r)
		must(b, err)
		for range wrongs {
			if err := setup.Check(ctx, r, wrongCode(code)); !errors.Is(err, otpkit.ErrInvalidCode) {
				b.Fatalf("setup: a wrong code answered %v", err)
			}
		}
		return code
	}
	send := func(kind, i int) { must(b, setup.AllowSend(ctx, number(kind, i), "")) }

	codeFirst, codeAgain, codeRight := make([]string, n), make([]string, n), make([]string, n)
	refs, refRecs := make([]string, n), make([]verify.RefRecord, n)
	settles, settleRecs, settleAt := make([]string, n), make([]verify.RefRecord, n), make([]time.Time, n)
	for i := range n {
		codeFirst[i] = issue(1, i, 0)
		codeAgain[i] = issue(2, i, 2)
		codeRight[i] = issue(3, i, 0)
		send(4, i) // Issue's recipient: sent to, no code yet
		send(5, i) // AllowCheck's: two failures
		must(b, setup.RecordFailure(ctx, number(5, i)))
		must(b, setup.RecordFailure(ctx, number(5, i)))
		send(6, i) // RecordFailure's: no failure yet
		// One verified code a round through g, so that the conversion
		// guard sees at least a third of the sends to Germany verified,
		// in whatever order the decisions run: it judges, never refuses.
		must(b, g.AllowSend(ctx, number(7, i), ""))
		code, err := g.Issue(ctx, number(7, i))
		must(b, err)
		must(b, g.Check(ctx, number(7, i), code))
		// The Service's refs (a Tryvox code): the recipient's pseudonym
		// with a send in its window, the record as Service.Send saves it.
		now := time.Now()
		for k, ref := range []*string{&refs[i], &settles[i]} {
			rec := verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: pseudo(), Recipient: pseudo(),
				Channel: otpkit.ChannelSMS, CodeLength: 6, Country: "DE", Prefix: pseudo()}
			must(b, st.AllowSend(ctx, now, verify.SendRules{Recipient: rec.Recipient,
				RecipientSends: l.RecipientSends, Failures: failures}))
			*ref = pseudo()
			must(b, st.SaveRef(ctx, now, *ref, rec, l.CodeTTL))
			if k == 0 {
				refRecs[i] = rec
				continue
			}
			settleAt[i] = time.Now()
			got, err := st.ReserveCheck(ctx, settleAt[i], *ref, rules)
			must(b, err)
			settleRecs[i] = got
		}
	}

	wrongAnswer := func(err error, left int) error {
		var ie *verify.InvalidCodeError
		if errors.As(err, &ie) && ie.AttemptsLeft == left {
			return nil
		}
		return fmt.Errorf("a wrong code answered %v, not %d attempts left", err, left)
	}
	return []guardOp{
		{"redis_rate", func(i int) error {
			res, err := limiter.Allow(ctx, run+":"+strconv.Itoa(i), redis_rate.PerHour(5))
			if err == nil && res.Allowed != 1 {
				err = errors.New("redis_rate refused")
			}
			return err
		}},
		{"ping", func(int) error { return rdb.Ping(ctx).Err() }},
		{"empty_script", func(int) error { return empty.Run(ctx, rdb, []string{run}).Err() }},
		{"allowsend", func(i int) error { return g.AllowSend(ctx, number(0, i), ip(i)) }},
		{"issue", func(i int) error { _, err := g.Issue(ctx, number(4, i)); return err }},
		{"check_first_wrong", func(i int) error { return wrongAnswer(g.Check(ctx, number(1, i), wrongCode(codeFirst[i])), 4) }},
		{"check_wrong", func(i int) error { return wrongAnswer(g.Check(ctx, number(2, i), wrongCode(codeAgain[i])), 2) }},
		{"check_right", func(i int) error { return g.Check(ctx, number(3, i), codeRight[i]) }},
		{"allowcheck", func(i int) error { return g.AllowCheck(ctx, number(5, i)) }},
		{"recordfailure", func(i int) error { return g.RecordFailure(ctx, number(6, i)) }},
		{"reservecheck", func(i int) error {
			rec, err := st.ReserveCheck(ctx, time.Now(), refs[i], rules)
			if err == nil && rec.Attempts != 1 {
				err = fmt.Errorf("reserved attempt %d, not 1", rec.Attempts)
			}
			return err
		}},
		{"settlecheck", func(i int) error {
			return st.SettleCheck(ctx, settleAt[i], settles[i], settleRecs[i], verify.SettleVerified, rules)
		}},
	}
}

// pseudo is a random stand-in for a Guard's pseudonym (22 base64url
// characters).
func pseudo() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func must(b testing.TB, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkGuardVsRedisRate times every Guard decision on one Redis server
// against redis_rate's Allow (and PING, and an empty script) on the same
// client: each op is one round, which makes every decision once, in a new
// random order, each call timed on its own (see guardWorkload for the
// state each decision finds). It reports each decision's median time and
// its ratio to redis_rate's median ("<op>/rate").
func BenchmarkGuardVsRedisRate(b *testing.B) {
	rdb := oneServer(b, redistest.Addr(b))
	ops := guardWorkload(b, rdb, b.N+1)
	for _, op := range ops { // load the scripts
		must(b, op.call(b.N))
	}
	took := make([][]time.Duration, len(ops))
	for k := range ops {
		took[k] = make([]time.Duration, b.N)
	}
	order := make([]int, len(ops))
	for k := range order {
		order[k] = k
	}
	runtime.GC()
	b.ResetTimer()
	for i := range b.N {
		mrand.Shuffle(len(order), func(x, y int) { order[x], order[y] = order[y], order[x] })
		for _, k := range order {
			start := time.Now()
			err := ops[k].call(i)
			took[k][i] = time.Since(start)
			if err != nil {
				b.Fatalf("%s: %v", ops[k].name, err)
			}
		}
	}
	b.StopTimer()
	anchor := median(took[0])
	for k, op := range ops {
		p50 := median(took[k])
		b.ReportMetric(float64(p50.Nanoseconds()), op.name+"-p50-ns")
		if k > 0 {
			b.ReportMetric(float64(p50)/float64(anchor), op.name+"/rate")
		}
	}
}

// BenchmarkServerTime reports the time Redis spends in each decision's
// script, as INFO commandstats counts it (EVALSHA's usec, the commands the
// script calls included): b.N calls of each op, in chunks of 16 calls of
// one op between a CONFIG RESETSTAT and an INFO, the chunks of all ops in
// random order. It reports the median over the chunks of the time per call
// ("<op>-server-us"; a chunk in which another process preempted Redis is
// an outlier the median leaves out), its ratio to redis_rate's Allow
// ("<op>-server/rate") and how many commands the script called per call
// ("<op>-cmds").
func BenchmarkServerTime(b *testing.B) {
	const chunk = 16
	addr := redistest.Start(b) // its own server: its statistics are reset
	rdb := oneServer(b, addr)
	ctx := context.Background()
	rounds := (b.N + chunk - 1) / chunk
	ops := guardWorkload(b, rdb, rounds*chunk+1)
	for _, op := range ops {
		must(b, op.call(rounds*chunk))
	}
	perCall := make([][]float64, len(ops))
	cmds := make([]float64, len(ops))
	order := make([]int, len(ops))
	for k := range order {
		order[k] = k
	}
	b.ResetTimer()
	for round := range rounds {
		mrand.Shuffle(len(order), func(x, y int) { order[x], order[y] = order[y], order[x] })
		for _, k := range order {
			must(b, rdb.ConfigResetStat(ctx).Err())
			for i := round * chunk; i < (round+1)*chunk; i++ {
				must(b, ops[k].call(i))
			}
			info, err := rdb.Info(ctx, "commandstats").Result()
			must(b, err)
			var usec, calls, inner float64
			for _, line := range strings.Split(info, "\r\n") {
				name, stats, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
				if !ok || name == line {
					continue
				}
				c, u := statField(stats, "calls"), statField(stats, "usec")
				switch name {
				case "evalsha", "eval", "ping":
					calls += c
					usec += u
				case "config|resetstat":
				default:
					inner += c
				}
			}
			if calls != chunk {
				b.Fatalf("%s: %v calls counted for %d", ops[k].name, calls, chunk)
			}
			perCall[k] = append(perCall[k], usec/calls)
			cmds[k] += inner
		}
	}
	b.StopTimer()
	anchor := medianOf(perCall[0])
	for k, op := range ops {
		m := medianOf(perCall[k])
		b.ReportMetric(m, op.name+"-server-us")
		b.ReportMetric(cmds[k]/float64(rounds*chunk), op.name+"-cmds")
		if k > 0 {
			b.ReportMetric(m/anchor, op.name+"-server/rate")
		}
	}
}

// medianOf is the median of f (which it sorts).
func medianOf(f []float64) float64 {
	slices.Sort(f)
	return f[len(f)/2]
}

// statField is the number named name in a commandstats line's
// "calls=1,usec=2,..." (0 when it is not there).
func statField(stats, name string) float64 {
	for _, kv := range strings.Split(stats, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// median is the median of d (which it sorts).
func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
