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
	helpers["ofind"], "", helpers["oadd"], "", helpers["olive"], "",
	"local answered = ofind(o)", "local answered = nil",
	"local kept, extend = olive(k, false)", "local kept, extend = k, false",
	"k, extend = olive(k, extend)\n", "",
	", oadd(o, '0'))", ", o)",
	", oadd(o, answer))", ", o)").Replace(compose(checkLua))

// plainCheck is Store.Check on one server with the conversion guard off,
// without the operation id: the same keys and arguments but the
// operation's key. It returns the script's answer.
func (s *Store) plainCheck(ctx context.Context, now time.Time, recipient string, mac []byte, c verify.CheckRules) (string, error) {
	ms, ns := nowArgs(now)
	return plainCheckScript.Run(ctx, s.rdb, []string{s.recipientKey(recipient)},
		ms, ns, macKey(mac), c.MaxAttempts, c.Failures.Count, millis(c.Failures.Per), millis(bucketOf(c.Conversion)), "").Text()
}

// opRules never lock a code nor spend the budget: the full path of a
// wrong code (budget read, MAC compared, attempt and failure written).
var opRules = verify.CheckRules{MaxAttempts: 1 << 30, Failures: verify.Rate{Count: 1 << 20, Per: time.Millisecond}}

// TestPlainCheckAnswersAsCheck: the benchmark's plain path is the store's
// Check but for the operation id (it answers the same on the same state),
// so that what it measures is the operation id alone.
func TestPlainCheckAnswersAsCheck(t *testing.T) {
	for _, helper := range []string{"ofind", "oadd", "olive"} {
		require.NotContains(t, plainCheckLua, helper+"(", "the plain check neither looks for an answer nor keeps one")
	}
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
		res, perr := s.plainCheck(ctx, now, "b", wrong, rules)
		require.NoError(t, perr)
		var ice *verify.InvalidCodeError
		require.ErrorAs(t, err, &ice, "wrong code %d", i+1)
		assert.Equal(t, "1 "+strconv.Itoa(ice.AttemptsLeft), res, "wrong code %d", i+1)
	}
	require.NoError(t, s.Check(ctx, now, "a", right, rules))
	res, err := s.plainCheck(ctx, now, "b", right, rules)
	require.NoError(t, err)
	assert.Equal(t, "0", res, "verified")
	require.True(t, errors.Is(s.Check(ctx, now, "a", right, rules), otpkit.ErrNotFound))
	res, err = s.plainCheck(ctx, now, "b", right, rules)
	require.NoError(t, err)
	assert.Equal(t, "3", res, "used up")
}

// BenchmarkCheckOperationID times Store.Check and plainCheck of a wrong
// code on one client of one server, in turn within each op (each on its
// own recipient), and reports both medians and their ratio: the share of a
// Check that the operation id costs. The clock moves 1ms an op, so the
// failure log holds one or two entries, as in BenchmarkCheckVsPing.
func BenchmarkCheckOperationID(b *testing.B) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Addr(b)})
	b.Cleanup(func() { rdb.Close() })
	s := New(rdb, WithPrefix("otpkit-bench-opid:"+time.Now().Format("150405.000000")+":"))
	ctx := context.Background()
	now := time.Now()
	right, wrong := []byte("the right code's MAC, 32 bytes.."), []byte("a wrong code's MAC, 32 bytes...")
	for _, r := range []string{"once", "plain"} {
		require.NoError(b, s.Issue(ctx, now, r, right, time.Hour))
	}
	once := make([]time.Duration, 0, b.N)
	plain := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		now = now.Add(time.Millisecond)
		t0 := time.Now()
		var ice *verify.InvalidCodeError
		if err := s.Check(ctx, now, "once", wrong, opRules); !errors.As(err, &ice) {
			b.Fatal(err)
		}
		t1 := time.Now()
		if res, err := s.plainCheck(ctx, now, "plain", wrong, opRules); err != nil || status(res) != '1' {
			b.Fatal(res, err)
		}
		t2 := time.Now()
		once = append(once, t1.Sub(t0))
		plain = append(plain, t2.Sub(t1))
	}
	b.StopTimer()
	p50 := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	o, p := p50(once), p50(plain)
	b.ReportMetric(float64(o.Nanoseconds()), "ns/check-p50")
	b.ReportMetric(float64(p.Nanoseconds()), "ns/check-without-opid-p50")
	b.ReportMetric(float64(o)/float64(p), "opid/without")
}
