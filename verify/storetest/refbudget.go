package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// verify.RefBudgetLoader, for stores that implement it: the same answers as
// LoadRef then AllowCheck, to the nanosecond of RetryAfter.

var _ = register("RefBudgetLoader", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	store := newStore(t)
	rb, ok := store.(verify.RefBudgetLoader)
	if !ok {
		t.Skip("the store does not implement verify.RefBudgetLoader (optional)")
	}
	c := newClock()
	budget := verify.Rate{Count: 2, Per: time.Hour}
	g := guard(t, store, c, noSendRules(verify.Limits{MaxFailures: budget.Count, FailureWindow: budget.Per}))
	const phone, other = "+4917012345678", "+4917000000000"
	rec := verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: "vrf_01HX", Recipient: phone,
		Channel: otpkit.ChannelSMS, CodeLength: 6}
	const ref, otherRef, noRecipient = "refBudget0000000000000", "refBudget0000000000001", "refBudget0000000000002"

	// both asks the store both ways and requires the same answer; it
	// returns the combined call's.
	both := func(ref string, failures verify.Rate) (verify.RefRecord, error) {
		t.Helper()
		now := c.Now()
		got, err := rb.LoadRefAllowCheck(ctx, now, ref, failures)
		want, werr := store.LoadRef(ctx, now, ref)
		if werr == nil && want.Recipient != "" {
			werr = store.AllowCheck(ctx, now, want.Recipient, failures)
		}
		sameAnswer(t, werr, err)
		if werr == nil || !errors.Is(werr, otpkit.ErrNotFound) {
			assert.Equal(t, want, got, "the record, as LoadRef returns it")
		}
		return got, err
	}

	_, err := both(ref, budget)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "never saved")

	require.NoError(t, store.SaveRef(ctx, c.Now(), ref, rec, 3*time.Hour))
	require.NoError(t, store.SaveRef(ctx, c.Now(), otherRef, verify.RefRecord{Provider: otpkit.ProviderDotdigital,
		ID: "req-1", Recipient: other, CodeLength: 6}, 3*time.Hour))
	require.NoError(t, store.SaveRef(ctx, c.Now(), noRecipient, verify.RefRecord{Provider: otpkit.ProviderLOX24,
		ID: otherRef}, 3*time.Hour))
	got, err := both(ref, budget)
	require.NoError(t, err, "no failures yet")
	assert.Equal(t, rec, got)

	require.NoError(t, g.RecordFailure(ctx, phone))
	c.Advance(time.Minute + 123*time.Microsecond)
	got, err = both(ref, budget)
	require.NoError(t, err, "budget not spent")
	assert.Equal(t, rec, got)
	require.NoError(t, g.RecordFailure(ctx, phone))
	c.Advance(time.Second)

	got, err = both(ref, budget)
	retry := requireLimit(t, err, verify.RuleFailures)
	assert.Equal(t, rec, got, "a spent budget comes with the record")
	assert.Equal(t, time.Hour-time.Minute-123*time.Microsecond-time.Second, retry,
		"RetryAfter until the oldest failure leaves the window")
	requireLimit(t, g.AllowCheck(ctx, phone), verify.RuleFailures)

	_, err = both(otherRef, budget)
	require.NoError(t, err, "budgets are per recipient")
	_, err = both(noRecipient, budget)
	require.NoError(t, err, "a record without a recipient checks no budget")
	got, err = both(ref, verify.Rate{})
	require.NoError(t, err, "a zero Rate checks no budget")
	assert.Equal(t, rec, got)

	exactRetry(t, c, retry, verify.RuleFailures, func() error {
		_, err := both(ref, budget)
		return err
	})

	require.NoError(t, store.DeleteRef(ctx, otherRef))
	_, err = both(otherRef, budget)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "deleted")

	// The ref's own expiry comes first, whatever the budget.
	require.NoError(t, g.RecordFailure(ctx, phone)) // with the second one, still in the window
	_, err = both(ref, budget)
	requireLimit(t, err, verify.RuleFailures)
	c.Advance(2 * time.Hour)
	_, err = both(ref, budget)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "expired")
})

// sameAnswer requires got to be the answer want is: nil, not found, the
// same *LimitError, or both some other error.
func sameAnswer(t *testing.T, want, got error) {
	t.Helper()
	var wl, gl *verify.LimitError
	switch {
	case want == nil:
		assert.NoError(t, got)
	case errors.Is(want, otpkit.ErrNotFound):
		assert.ErrorIs(t, got, otpkit.ErrNotFound)
	case errors.As(want, &wl):
		if assert.ErrorAs(t, got, &gl) {
			assert.Equal(t, *wl, *gl, "rule and RetryAfter")
		}
	default:
		assert.Error(t, got)
	}
}
