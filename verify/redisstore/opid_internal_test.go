package redisstore

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// What the operation id costs: Store.Check runs check.lua as a once script
// (the operation's key read with the record, its answer kept there after
// a decision that counted, the key's name made in Go); plainCheck runs the
// same check.lua with the same arguments, without the operation's key:
// what a Check cost when a retry could count it twice.

// plainCheckScript is check.lua without its operation id: it neither
// looks for its answer in the record's operation log nor adds one there.
var plainCheckScript = redis.NewScript(plainCheckLua)

var plainCheckLua = strings.NewReplacer(
	helpers["oget"], "",
	helpers["olive"], "",
	"local got = oget(KEYS[1], i1, a1, t1, i2, a2, out)\nif got then return got end\n", "",
	"local kept, extend, j, b, u, moved, tn = olive(KEYS[1], k, false, i1, a1, t1, i2, a2, t2, out)", "local kept, extend = k, false",
	"k, extend, j, b, u, moved, tn = olive(KEYS[1], k, extend, i1, a1, t1, i2, a2, t2, out)\n", "",
	", f, s, j, b, u, opid, '0', tn, moved)", ", f, s, i1, a1, t1, i2, a2, t2, out)",
	", f, s, j, b, u, opid, answer, tn, moved)", ", f, s, i1, a1, t1, i2, a2, t2, out)").Replace(compose(checkLua))

// plainCheck is Store.Check without the operation id: the same Go code,
// keys and arguments, and check.lua without its log (plainCheckScript).
func (s *Store) plainCheck(ctx context.Context, now time.Time, recipient string, mac []byte, c verify.CheckRules) error {
	ms, ns := nowArgs(now)
	keys, roles, conv := s.checkKeys(recipient, c)
	ans, err := s.run(ctx, plainCheckScript, keys, ms, ns, macKey(mac), c.MaxAttempts, c.Failures.Count,
		millis(c.Failures.Per), millis(bucketOf(c.Conversion)), roles).Text()
	return s.checkAnswer(ctx, now, ans, err, conv, c)
}

// opRules never lock a code nor spend the budget: the full path of a
// wrong code (budget read, MAC compared, attempt and failure written).
var opRules = verify.CheckRules{MaxAttempts: 1 << 30, Failures: verify.Rate{Count: 1 << 20, Per: time.Millisecond}}

// TestPlainCheckAnswersAsCheck: the benchmark's plain path is the store's
// Check but for the operation id (it answers the same on the same state),
// so that what it measures is the operation id alone.
func TestPlainCheckAnswersAsCheck(t *testing.T) {
	require.NotContains(t, plainCheckLua, "olive(", "the plain check keeps no answer")
	require.NotContains(t, plainCheckLua, "opid", "the plain check neither looks for an answer nor keeps one")
	s := New(redis.NewClient(&redis.Options{Addr: redistest.Start(t)}))
	t.Cleanup(func() { s.rdb.Close() })
	ctx := context.Background()
	now := time.Now()
	right, wrong := []byte("the right code's MAC"), []byte("a wrong code's MAC")
	rules := verify.CheckRules{MaxAttempts: 3, Failures: verify.Rate{Count: 10, Per: time.Hour}}
	for _, r := range []string{"a", "b"} {
		require.NoError(t, s.Issue(ctx, now, r, right, time.Hour))
	}
	for i := range 2 {
		err := s.Check(ctx, now, "a", wrong, rules)
		perr := s.plainCheck(ctx, now, "b", wrong, rules)
		var ice *verify.InvalidCodeError
		require.ErrorAs(t, err, &ice, "wrong code %d", i+1)
		assert.Equal(t, err, perr, "wrong code %d", i+1)
	}
	require.NoError(t, s.Check(ctx, now, "a", right, rules))
	require.NoError(t, s.plainCheck(ctx, now, "b", right, rules), "verified")
	require.ErrorIs(t, s.Check(ctx, now, "a", right, rules), otpkit.ErrNotFound)
	require.ErrorIs(t, s.plainCheck(ctx, now, "b", right, rules), otpkit.ErrNotFound, "used up")
}

// BenchmarkCheckOperationID times Store.Check and plainCheck of a wrong
// code on one client of one server, in turn within each op (each on its
// own recipients, each first in every other op), and reports both medians
// and their ratio: the share of a Check that the operation id costs. The
// failure budget never refuses and its window holds one or two entries,
// as in BenchmarkCheckVsPing. Two regimes:
//   - spread: each op on the next of 64 recipients, the clock 1s on per
//     op, so that a recipient's last decisions are 64s old (older than
//     opTTL): its record holds two answers and moves none out, as in
//     most records;
//   - burst: every op on one recipient, the clock 1ms on per op: every
//     decision moves the older answer under a key of its own, and looks
//     for its id there too (three decisions or more on one recipient
//     within opTTL).
func BenchmarkCheckOperationID(b *testing.B) {
	for _, regime := range []struct {
		name       string
		recipients int
		step       time.Duration
	}{{"spread", 64, time.Second}, {"burst", 1, time.Millisecond}} {
		b.Run(regime.name, func(b *testing.B) { benchCheckOperationID(b, regime.recipients, regime.step) })
	}
}

func benchCheckOperationID(b *testing.B, recipients int, step time.Duration) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Addr(b)})
	b.Cleanup(func() { rdb.Close() })
	s := New(rdb, WithPrefix("otpkit-bench-opid:"+time.Now().Format("150405.000000")+":"))
	ctx := context.Background()
	now := time.Now()
	right, wrong := []byte("the right code's MAC, 32 bytes.."), []byte("a wrong code's MAC, 32 bytes...")
	onceR, plainR := make([]string, recipients), make([]string, recipients)
	for i := range recipients {
		onceR[i], plainR[i] = "once"+strconv.Itoa(i), "plain"+strconv.Itoa(i)
		for _, r := range []string{onceR[i], plainR[i]} {
			require.NoError(b, s.Issue(ctx, now, r, right, 24*time.Hour))
		}
	}
	once := make([]time.Duration, 0, b.N)
	plain := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	var ice *verify.InvalidCodeError
	timed := func(check func(context.Context, time.Time, string, []byte, verify.CheckRules) error, who string) time.Duration {
		t0 := time.Now()
		if err := check(ctx, now, who, wrong, opRules); !errors.As(err, &ice) {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	for i := range b.N {
		now = now.Add(step)
		r := i % recipients
		// Each goes first in every other op, so that neither gains from
		// going first or second.
		if i%2 == 0 {
			once = append(once, timed(s.Check, onceR[r]))
			plain = append(plain, timed(s.plainCheck, plainR[r]))
		} else {
			plain = append(plain, timed(s.plainCheck, plainR[r]))
			once = append(once, timed(s.Check, onceR[r]))
		}
	}
	b.StopTimer()
	p50 := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	o, p := p50(once), p50(plain)
	b.ReportMetric(float64(o.Nanoseconds()), "ns/check-p50")
	b.ReportMetric(float64(p.Nanoseconds()), "ns/check-without-opid-p50")
	b.ReportMetric(float64(o)/float64(p), "opid/without")
}
