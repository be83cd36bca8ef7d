package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/internal/faultproxy"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// TestRetriedDecisionsCountOnce cuts the connection after Redis ran each
// kind of decision, so that go-redis sends it again (its default
// MaxRetries): the retry gets the first run's answer, and the decision
// counts once.
func TestRetriedDecisionsCountOnce(t *testing.T) {
	ctx := context.Background()
	p := faultproxy.Start(t, redistest.Addr(t))
	rdb := redis.NewClient(&redis.Options{Addr: p.Addr(), MinRetryBackoff: time.Millisecond, MaxRetryBackoff: 5 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	s := redisstore.New(rdb, redisstore.WithPrefix(uniquePrefix()))
	c := newClock()
	g := newGuard(t, s, c, verify.Limits{MaxAttempts: 3, MaxFailures: 4, SendInterval: -1,
		RecipientSends: verify.Rate{Count: 2, Per: time.Hour}, IPSends: verify.Rate{Count: 2, Per: time.Hour},
		PrefixSends: verify.Rate{Count: 2, Per: time.Hour}})
	cut := func(do func() error) error {
		t.Helper()
		before := p.Cuts()
		p.CutAfterReply(1, "evalsha")
		err := do()
		require.Equal(t, before+1, p.Cuts(), "the reply was cut and the command sent again")
		return err
	}

	t.Run("AllowSend and RefundSend", func(t *testing.T) {
		const r = "+4917012345678"
		require.NoError(t, cut(func() error { return g.AllowSend(ctx, r, "192.0.2.1") }))
		require.NoError(t, g.AllowSend(ctx, r, "192.0.2.1"), "the cut send counted once")
		var le *verify.LimitError
		require.ErrorAs(t, g.AllowSend(ctx, r, "192.0.2.1"), &le)
		// Both sends were at the same time (the clock stands still): a refund
		// counted twice would take both back.
		rules := verify.SendRules{Recipient: "x", RecipientSends: verify.Rate{Count: 2, Per: time.Hour}}
		require.NoError(t, s.AllowSend(ctx, c.Now(), rules))
		require.NoError(t, s.AllowSend(ctx, c.Now(), rules))
		require.NoError(t, cut(func() error { return s.RefundSend(ctx, c.Now(), rules) }))
		require.NoError(t, s.AllowSend(ctx, c.Now(), rules))
		require.ErrorAs(t, s.AllowSend(ctx, c.Now(), rules), &le, "the refund took one send back, not two")
	})

	t.Run("Check", func(t *testing.T) {
		const r = "+4917000000001"
		code, err := g.Issue(ctx, r)
		require.NoError(t, err)
		var ice *verify.InvalidCodeError
		require.ErrorAs(t, cut(func() error { return g.Check(ctx, r, wrongCode(code)) }), &ice)
		assert.Equal(t, 2, ice.AttemptsLeft, "the retry answers the first run's attempts left")
		require.ErrorAs(t, g.Check(ctx, r, wrongCode(code)), &ice)
		assert.Equal(t, 1, ice.AttemptsLeft, "the cut check counted one attempt")
		require.NoError(t, cut(func() error { return g.Check(ctx, r, code) }), "a right code used up by the first run still verifies")
		require.ErrorIs(t, g.Check(ctx, r, code), otpkit.ErrNotFound)
	})

	t.Run("RecordFailure", func(t *testing.T) {
		const r = "+4917000000002"
		for range 3 {
			require.NoError(t, cut(func() error { return g.RecordFailure(ctx, r) }))
		}
		require.NoError(t, g.AllowCheck(ctx, r), "three failures of four")
		require.NoError(t, g.RecordFailure(ctx, r))
		var le *verify.LimitError
		require.ErrorAs(t, g.AllowCheck(ctx, r), &le)
	})

	t.Run("ReserveCheck and SettleCheck", func(t *testing.T) {
		rules := verify.CheckRules{MaxAttempts: 3, Failures: verify.Rate{Count: 4, Per: time.Hour}}
		rec := verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: "v1", Recipient: "someone", CodeLength: 6}
		require.NoError(t, s.SaveRef(ctx, c.Now(), "ref1", rec, time.Hour))
		var got verify.RefRecord
		require.NoError(t, cut(func() (err error) { got, err = s.ReserveCheck(ctx, c.Now(), "ref1", rules); return err }))
		assert.Equal(t, 1, got.Attempts, "the retry answers the first run's reservation")
		got, err := s.ReserveCheck(ctx, c.Now(), "ref1", rules)
		require.NoError(t, err)
		assert.Equal(t, 2, got.Attempts, "the cut reservation counted one attempt")
		require.NoError(t, cut(func() error { return s.SettleCheck(ctx, c.Now(), "ref1", got, verify.SettleUndo, rules) }))
		got, err = s.ReserveCheck(ctx, c.Now(), "ref1", rules)
		require.NoError(t, err)
		assert.Equal(t, 2, got.Attempts, "the cut settlement gave one attempt back")
		// Three failures reserved, one given back: two of four count.
		require.NoError(t, s.RecordFailure(ctx, c.Now(), "someone", rules.Failures))
		require.NoError(t, s.RecordFailure(ctx, c.Now(), "someone", rules.Failures))
		var le *verify.LimitError
		require.ErrorAs(t, s.AllowCheck(ctx, c.Now(), "someone", rules.Failures), &le)
	})
}
