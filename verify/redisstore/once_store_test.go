package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
)

// TestCutReplyStoreDecisionsCountOnce is once_test.go's cut for the
// decisions the Guard's calls there do not reach: RefundSend, RecordFailure,
// and the Service's ReserveCheck and SettleCheck made one by one.
func TestCutReplyStoreDecisionsCountOnce(t *testing.T) {
	ctx := context.Background()
	p, rdb := cutProxy(t)
	s := redisstore.New(rdb, redisstore.WithPrefix(uniquePrefix()))
	c := newClock()
	g := newGuard(t, s, c, verify.Limits{MaxFailures: 4})
	warmGuard(t, g)
	var le *verify.LimitError

	t.Run("RefundSend", func(t *testing.T) {
		// Both sends at one time (the clock stands still): a refund counted
		// twice would take both back.
		rules := verify.SendRules{Recipient: "someone", RecipientSends: verify.Rate{Count: 2, Per: time.Hour}}
		require.NoError(t, s.AllowSend(ctx, c.Now(), rules))
		require.NoError(t, s.AllowSend(ctx, c.Now(), rules))
		require.NoError(t, s.RefundSend(ctx, c.Now(), rules)) // loads the script
		require.NoError(t, s.AllowSend(ctx, c.Now(), rules))
		require.NoError(t, cut(t, p, 1, func() error { return s.RefundSend(ctx, c.Now(), rules) }))
		require.NoError(t, s.AllowSend(ctx, c.Now(), rules))
		require.ErrorAs(t, s.AllowSend(ctx, c.Now(), rules), &le, "the refund took one send back, not two")
	})

	t.Run("RecordFailure", func(t *testing.T) {
		const r = "+4917000000002"
		require.NoError(t, g.RecordFailure(ctx, r)) // loads the script
		for range 2 {
			require.NoError(t, cut(t, p, 1, func() error { return g.RecordFailure(ctx, r) }))
		}
		require.NoError(t, g.AllowCheck(ctx, r), "three failures of four")
		require.NoError(t, g.RecordFailure(ctx, r))
		require.ErrorAs(t, g.AllowCheck(ctx, r), &le)
	})

	t.Run("ReserveCheck and SettleCheck", func(t *testing.T) {
		rules := verify.CheckRules{MaxAttempts: 3, Failures: verify.Rate{Count: 4, Per: time.Hour}}
		rec := verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: "v1", Recipient: "another", CodeLength: 6}
		for _, ref := range []string{"warm", "ref1"} {
			require.NoError(t, s.SaveRef(ctx, c.Now(), ref, rec, time.Hour))
		}
		got, err := s.ReserveCheck(ctx, c.Now(), "warm", rules)
		require.NoError(t, err)
		require.NoError(t, s.SettleCheck(ctx, c.Now(), "warm", got, verify.SettleUndo, rules))

		require.NoError(t, cut(t, p, 1, func() (err error) { got, err = s.ReserveCheck(ctx, c.Now(), "ref1", rules); return err }))
		assert.Equal(t, 1, got.Attempts, "the retry answers the first run's reservation")
		assert.Equal(t, rec.ID, got.ID, "with the record")
		got, err = s.ReserveCheck(ctx, c.Now(), "ref1", rules)
		require.NoError(t, err)
		assert.Equal(t, 2, got.Attempts, "the cut reservation counted one attempt")
		require.NoError(t, cut(t, p, 1, func() error { return s.SettleCheck(ctx, c.Now(), "ref1", got, verify.SettleUndo, rules) }))
		got, err = s.ReserveCheck(ctx, c.Now(), "ref1", rules)
		require.NoError(t, err)
		assert.Equal(t, 2, got.Attempts, "the cut settlement gave one attempt back")
		// Three failures reserved, one given back: two of four count.
		require.NoError(t, s.RecordFailure(ctx, c.Now(), "another", rules.Failures))
		require.NoError(t, s.RecordFailure(ctx, c.Now(), "another", rules.Failures))
		require.ErrorAs(t, s.AllowCheck(ctx, c.Now(), "another", rules.Failures), &le)
	})
}
