package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// requireLimit asserts err is a *LimitError for rule and returns its RetryAfter.
func requireLimit(t *testing.T, err error, rule verify.Rule) time.Duration {
	t.Helper()
	var le *verify.LimitError
	require.ErrorAs(t, err, &le)
	require.ErrorIs(t, err, otpkit.ErrRateLimited)
	require.Equal(t, rule, le.Rule)
	require.Positive(t, le.RetryAfter)
	return le.RetryAfter
}

// exactRetry moves c to 1ns before RetryAfter, expects do to be refused by
// rule still, then moves to RetryAfter and expects do to be allowed.
func exactRetry(t *testing.T, c *clock, retry time.Duration, rule verify.Rule, do func() error) {
	t.Helper()
	c.Advance(retry - time.Nanosecond)
	requireLimit(t, do(), rule)
	// The refusal above recorded nothing, and its RetryAfter is 1ns.
	c.Advance(time.Nanosecond)
	require.NoError(t, do(), "allowed exactly RetryAfter later")
}

var _ = register("FailureBudget", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	g := guard(t, newStore(t), c, noSendRules(verify.Limits{MaxFailures: 3, FailureWindow: time.Hour, MaxAttempts: 2}))
	const r = "+4917012345678"
	code, err := g.Issue(ctx, r)
	require.NoError(t, err)
	assert.ErrorIs(t, g.Check(ctx, r, wrongCode(code)), otpkit.ErrInvalidCode)
	c.Advance(time.Minute)
	assert.ErrorIs(t, g.Check(ctx, r, wrongCode(code)), otpkit.ErrMaxAttempts)
	assert.ErrorIs(t, g.Check(ctx, r, wrongCode(code)), otpkit.ErrMaxAttempts, "a locked code counts no failure")

	code, err = g.Issue(ctx, r)
	require.NoError(t, err)
	c.Advance(time.Minute)
	// The 3rd failure is answered as the wrong code it is.
	assert.ErrorIs(t, g.Check(ctx, r, wrongCode(code)), otpkit.ErrInvalidCode)
	retry := requireLimit(t, g.Check(ctx, r, code), verify.RuleFailures)
	assert.Equal(t, time.Hour-2*time.Minute, retry, "the oldest failure leaves the window")
	requireLimit(t, g.AllowCheck(ctx, r), verify.RuleFailures)
	requireLimit(t, g.AllowSend(ctx, r, ""), verify.RuleFailures)
	requireLimit(t, g.RecordFailure(ctx, r), verify.RuleFailures)

	_, err = g.Issue(ctx, r) // a new code resets nothing
	require.NoError(t, err)
	requireLimit(t, g.AllowCheck(ctx, r), verify.RuleFailures)
	exactRetry(t, c, retry, verify.RuleFailures, func() error { return g.AllowCheck(ctx, r) })

	other, err := g.Issue(ctx, "+4917000000000")
	require.NoError(t, err)
	require.NoError(t, g.Check(ctx, "+4917000000000", other), "budgets are per recipient")
})

var _ = register("UnlockAndRecordFailure", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	g := guard(t, newStore(t), c, noSendRules(verify.Limits{MaxFailures: 2, FailureWindow: time.Hour}))
	const r = "+4917012345678"
	require.NoError(t, g.AllowCheck(ctx, r))
	require.NoError(t, g.RecordFailure(ctx, r))
	require.NoError(t, g.AllowCheck(ctx, r))
	require.NoError(t, g.RecordFailure(ctx, r))
	requireLimit(t, g.AllowCheck(ctx, r), verify.RuleFailures)
	code, err := g.Issue(ctx, r)
	require.NoError(t, err)
	requireLimit(t, g.Check(ctx, r, code), verify.RuleFailures)

	require.NoError(t, g.Unlock(ctx, r))
	require.NoError(t, g.AllowCheck(ctx, r))
	require.NoError(t, g.Check(ctx, r, code), "the refused check did not use the code up")
	require.NoError(t, g.Unlock(ctx, "+4917099999999"), "unlocking an unknown recipient")
})

var _ = register("BudgetOff", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	g := guard(t, newStore(t), newClock(), noSendRules(verify.Limits{MaxFailures: -1, MaxAttempts: 1}))
	const r = "+4917012345678"
	for range 20 {
		code, err := g.Issue(ctx, r)
		require.NoError(t, err)
		assert.ErrorIs(t, g.Check(ctx, r, wrongCode(code)), otpkit.ErrMaxAttempts)
		require.NoError(t, g.RecordFailure(ctx, r))
	}
	require.NoError(t, g.AllowCheck(ctx, r))
})

var _ = register("SendInterval", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	g := guard(t, newStore(t), c, noSendRules(verify.Limits{SendInterval: 30 * time.Second}))
	const r = "+4917012345678"
	require.NoError(t, g.AllowSend(ctx, r, "192.0.2.1"))
	c.Advance(10 * time.Second)
	retry := requireLimit(t, g.AllowSend(ctx, r, "192.0.2.1"), verify.RuleSendInterval)
	assert.Equal(t, 20*time.Second, retry)
	exactRetry(t, c, retry, verify.RuleSendInterval, func() error { return g.AllowSend(ctx, r, "192.0.2.1") })
	require.NoError(t, g.AllowSend(ctx, "+4917000000000", "192.0.2.1"), "the interval is per recipient")
})

var _ = register("RecipientSends", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	g := guard(t, newStore(t), c, noSendRules(verify.Limits{RecipientSends: verify.Rate{Count: 3, Per: time.Hour}}))
	const r = "+4917012345678"
	for range 3 {
		require.NoError(t, g.AllowSend(ctx, r, ""))
		c.Advance(time.Minute)
	}
	retry := requireLimit(t, g.AllowSend(ctx, r, ""), verify.RuleRecipientSends)
	assert.Equal(t, time.Hour-3*time.Minute, retry, "sliding window: the first send leaves it")
	exactRetry(t, c, retry, verify.RuleRecipientSends, func() error { return g.AllowSend(ctx, r, "") })
	// Now the 2nd, 3rd and 4th sends are in the window.
	requireLimit(t, g.AllowSend(ctx, r, ""), verify.RuleRecipientSends)
	require.NoError(t, g.AllowSend(ctx, "+4917000000000", ""), "the count is per recipient")
})

var _ = register("IPSends", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	g := guard(t, newStore(t), c, noSendRules(verify.Limits{IPSends: verify.Rate{Count: 2, Per: time.Hour}}))
	require.NoError(t, g.AllowSend(ctx, "+4917000000001", "192.0.2.1"))
	require.NoError(t, g.AllowSend(ctx, "+4917000000002", "192.0.2.1:4711"))
	c.Advance(time.Second)
	retry := requireLimit(t, g.AllowSend(ctx, "+4917000000003", "192.0.2.1"), verify.RuleIPSends)
	require.NoError(t, g.AllowSend(ctx, "+4917000000003", "192.0.2.2"), "the count is per IP")
	require.NoError(t, g.AllowSend(ctx, "+4917000000003", ""), "no IP, no IP rule")
	exactRetry(t, c, retry, verify.RuleIPSends, func() error { return g.AllowSend(ctx, "+4917000000004", "192.0.2.1") })

	// IPv6 counts by /64.
	require.NoError(t, g.AllowSend(ctx, "+4917000000005", "2001:db8:1:2::1"))
	require.NoError(t, g.AllowSend(ctx, "+4917000000005", "2001:db8:1:2::2"))
	requireLimit(t, g.AllowSend(ctx, "+4917000000005", "[2001:db8:1:2:ffff::3]:443"), verify.RuleIPSends)
	require.NoError(t, g.AllowSend(ctx, "+4917000000005", "2001:db8:1:3::1"))

	var ve *otpkit.ValidationError
	require.ErrorAs(t, g.AllowSend(ctx, "+4917000000005", "not an ip"), &ve)
})

var _ = register("PrefixSends", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	g := guard(t, newStore(t), c, noSendRules(verify.Limits{PrefixDigits: 6, PrefixSends: verify.Rate{Count: 2, Per: time.Hour}}))
	require.NoError(t, g.AllowSend(ctx, "+491701000001", ""))
	require.NoError(t, g.AllowSend(ctx, "+491701999999", ""))
	retry := requireLimit(t, g.AllowSend(ctx, "+491701555555", ""), verify.RulePrefixSends)
	require.NoError(t, g.AllowSend(ctx, "+491702000000", ""), "another 6-digit prefix")
	exactRetry(t, c, retry, verify.RulePrefixSends, func() error { return g.AllowSend(ctx, "+491701555555", "") })
})

var _ = register("RefusedSendRecordsNothing", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	g := guard(t, newStore(t), c, verify.Limits{
		SendInterval:   time.Minute,
		RecipientSends: verify.Rate{Count: 1, Per: time.Hour},
		IPSends:        verify.Rate{Count: 1, Per: time.Hour},
		PrefixSends:    verify.Rate{Count: 1, Per: time.Hour},
		PrefixDigits:   4,
	})
	require.NoError(t, g.AllowSend(ctx, "+4917000000001", "192.0.2.1"))
	// Refused by the IP rule (and the prefix rule): nothing is recorded for
	// the recipient, the IP or the prefix of this request.
	requireLimit(t, g.AllowSend(ctx, "+4917000000002", "192.0.2.1"), verify.RuleIPSends)
	requireLimit(t, g.AllowSend(ctx, "+4917000000002", "192.0.2.2"), verify.RulePrefixSends)
	require.NoError(t, g.AllowSend(ctx, "+4918000000002", "192.0.2.2"))
	require.NoError(t, g.AllowSend(ctx, "+4919000000003", "192.0.2.3"))
	requireLimit(t, g.AllowSend(ctx, "+4919000000004", "192.0.2.4"), verify.RulePrefixSends)
	require.NoError(t, g.AllowSend(ctx, "+4916000000002", "192.0.2.4"), "the refused sends of 192.0.2.4 were not counted")
})

var _ = register("RetryAfterWaitsForEveryRule", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	g := guard(t, newStore(t), c, noSendRules(verify.Limits{
		SendInterval:   time.Minute,
		RecipientSends: verify.Rate{Count: 2, Per: time.Hour},
		IPSends:        verify.Rate{Count: 1, Per: 2 * time.Hour},
	}))
	const r = "+4917012345678"
	require.NoError(t, g.AllowSend(ctx, r, "192.0.2.1"))
	c.Advance(time.Minute)
	require.NoError(t, g.AllowSend(ctx, r, ""))
	c.Advance(time.Second)
	// The interval allows in 59 s, the recipient's window in 59 min, the
	// IP's in 1 h 59 min: the refusal waits for the last.
	retry := requireLimit(t, g.AllowSend(ctx, r, "192.0.2.1"), verify.RuleIPSends)
	assert.Equal(t, 2*time.Hour-time.Minute-time.Second, retry)
	exactRetry(t, c, retry, verify.RuleIPSends, func() error { return g.AllowSend(ctx, r, "192.0.2.1") })
})

var _ = register("LongWindowsStayExact", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	const year = 365 * 24 * time.Hour
	g := guard(t, newStore(t), c, noSendRules(verify.Limits{RecipientSends: verify.Rate{Count: 1, Per: year}}))
	const r = "+4917012345678"
	require.NoError(t, g.AllowSend(ctx, r, ""))
	c.Advance(time.Hour + 7*time.Nanosecond)
	retry := requireLimit(t, g.AllowSend(ctx, r, ""), verify.RuleRecipientSends)
	assert.Equal(t, year-time.Hour-7*time.Nanosecond, retry, "to the nanosecond, even over a year")
	exactRetry(t, c, retry, verify.RuleRecipientSends, func() error { return g.AllowSend(ctx, r, "") })
})
