package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// The Service's checks of a provider's code: ReserveCheck takes one attempt
// of the ref and one failure of its recipient before the provider is asked,
// atomically; SettleCheck gives back what the outcome says. Recipients are
// pseudonyms, as a Guard hands them to a store.

const subject = "c3ViamVjdC1BLXBzZXVkb24" // a recipient's pseudonym

// savedRef saves a Tryvox ref of subject under name and returns its record.
func savedRef(t *testing.T, s verify.Store, now time.Time, name string) verify.RefRecord {
	t.Helper()
	rec := verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: "vrf-" + name, Recipient: subject,
		Channel: otpkit.ChannelSMS, CodeLength: 6}
	require.NoError(t, s.SaveRef(context.Background(), now, name, rec, 10*time.Minute))
	return rec
}

var _ = register("ReserveCheckAttemptsAndExpiry", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	rules := verify.CheckRules{MaxAttempts: 2, Failures: verify.Rate{Count: 10, Per: time.Hour}}

	_, err := s.ReserveCheck(ctx, c.Now(), "never-saved-ref-0000000", rules)
	require.ErrorIs(t, err, otpkit.ErrNotFound)

	rec := savedRef(t, s, c.Now(), "reserve-attempts-000000")
	got, err := s.ReserveCheck(ctx, c.Now(), "reserve-attempts-000000", rules)
	require.NoError(t, err)
	want := rec
	want.Attempts = 1
	assert.Equal(t, want, got, "the record, with this attempt counted")
	got, err = s.ReserveCheck(ctx, c.Now(), "reserve-attempts-000000", rules)
	require.NoError(t, err)
	assert.Equal(t, 2, got.Attempts)
	got, err = s.ReserveCheck(ctx, c.Now(), "reserve-attempts-000000", rules)
	require.ErrorIs(t, err, otpkit.ErrMaxAttempts, "the ref's attempts are used")
	assert.Equal(t, 2, got.Attempts, "a refusal comes with the record")
	loaded, err := s.LoadRef(ctx, c.Now(), "reserve-attempts-000000")
	require.NoError(t, err)
	assert.Equal(t, 2, loaded.Attempts, "LoadRef sees the count; the refusal counted nothing")

	// The failures reserved stand (two wrong codes); the refused third
	// counted none.
	requireLimit(t, s.AllowCheck(ctx, c.Now(), subject, verify.Rate{Count: 2, Per: time.Hour}), verify.RuleFailures)
	require.NoError(t, s.AllowCheck(ctx, c.Now(), subject, verify.Rate{Count: 3, Per: time.Hour}))

	savedRef(t, s, c.Now(), "reserve-expiry-00000000")
	c.Advance(10*time.Minute - time.Nanosecond)
	_, err = s.ReserveCheck(ctx, c.Now(), "reserve-expiry-00000000", rules)
	require.NoError(t, err, "live until its TTL by the Guard's clock")
	c.Advance(time.Nanosecond)
	_, err = s.ReserveCheck(ctx, c.Now(), "reserve-expiry-00000000", rules)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "expired")
})

var _ = register("ReserveCheckSpendsTheBudgetFirst", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	rules := verify.CheckRules{MaxAttempts: 5, Failures: verify.Rate{Count: 3, Per: time.Hour}}
	for i := range 3 {
		name := fmt.Sprintf("reserve-budget-%08d", i)
		savedRef(t, s, c.Now(), name)
		_, err := s.ReserveCheck(ctx, c.Now(), name, rules)
		require.NoError(t, err, "reservation %d", i)
		c.Advance(time.Minute)
	}
	rec := savedRef(t, s, c.Now(), "reserve-budget-spent000")
	require.NoError(t, s.SaveRef(ctx, c.Now(), "reserve-budget-spent000", rec, 2*time.Hour))
	got, err := s.ReserveCheck(ctx, c.Now(), "reserve-budget-spent000", rules)
	retry := requireLimit(t, err, verify.RuleFailures)
	assert.Equal(t, time.Hour-3*time.Minute, retry, "until the first reservation leaves the window")
	assert.Equal(t, rec, got, "a spent budget comes with the record, nothing counted")

	other := rec
	other.Recipient = "b3RoZXItcmVjaXBpZW50LXg"
	require.NoError(t, s.SaveRef(ctx, c.Now(), "reserve-budget-other000", other, time.Hour))
	_, err = s.ReserveCheck(ctx, c.Now(), "reserve-budget-other000", rules)
	require.NoError(t, err, "budgets are per recipient")

	noBudget := rec
	noBudget.Recipient = ""
	require.NoError(t, s.SaveRef(ctx, c.Now(), "reserve-budget-none0000", noBudget, time.Hour))
	_, err = s.ReserveCheck(ctx, c.Now(), "reserve-budget-none0000", rules)
	require.NoError(t, err, "a record without a recipient has no budget")

	c.Advance(retry)
	_, err = s.ReserveCheck(ctx, c.Now(), "reserve-budget-spent000", rules)
	require.NoError(t, err, "allowed exactly RetryAfter later")
})

var _ = register("SettleCheck", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	rules := verify.CheckRules{MaxAttempts: 3, Failures: verify.Rate{Count: 1, Per: time.Hour}}
	reserve := func(name string) (verify.RefRecord, time.Time) {
		t.Helper()
		at := c.Now()
		rec, err := s.ReserveCheck(ctx, at, name, rules)
		require.NoError(t, err)
		requireLimit(t, s.AllowCheck(ctx, c.Now(), subject, rules.Failures), verify.RuleFailures)
		c.Advance(time.Second)
		return rec, at
	}
	budgetBack := func(msg string) {
		t.Helper()
		require.NoError(t, s.AllowCheck(ctx, c.Now(), subject, rules.Failures), msg)
	}

	savedRef(t, s, c.Now(), "settle-undo-00000000000")
	rec, at := reserve("settle-undo-00000000000")
	require.NoError(t, s.SettleCheck(ctx, at, "settle-undo-00000000000", rec, verify.SettleUndo, rules))
	budgetBack("an undone check gives its failure back")
	got, err := s.LoadRef(ctx, c.Now(), "settle-undo-00000000000")
	require.NoError(t, err)
	assert.Equal(t, 0, got.Attempts, "and its attempt")

	rec, at = reserve("settle-undo-00000000000")
	require.NoError(t, s.SettleCheck(ctx, at, "settle-undo-00000000000", rec, verify.SettleVerified, rules))
	budgetBack("a right code gives its failure back")
	_, err = s.LoadRef(ctx, c.Now(), "settle-undo-00000000000")
	require.ErrorIs(t, err, otpkit.ErrNotFound, "and uses the ref up")

	savedRef(t, s, c.Now(), "settle-gone-00000000000")
	rec, at = reserve("settle-gone-00000000000")
	require.NoError(t, s.SettleCheck(ctx, at, "settle-gone-00000000000", rec, verify.SettleGone, rules))
	budgetBack("a code the provider forgot is no failure")
	_, err = s.ReserveCheck(ctx, c.Now(), "settle-gone-00000000000", rules)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "and the ref is gone")

	savedRef(t, s, c.Now(), "settle-lock-00000000000")
	rec, at = reserve("settle-lock-00000000000")
	require.NoError(t, s.SettleCheck(ctx, at, "settle-lock-00000000000", rec, verify.SettleLocked, rules))
	requireLimit(t, s.AllowCheck(ctx, c.Now(), subject, rules.Failures), verify.RuleFailures)
	require.NoError(t, s.Unlock(ctx, subject))
	got, err = s.ReserveCheck(ctx, c.Now(), "settle-lock-00000000000", rules)
	require.ErrorIs(t, err, otpkit.ErrMaxAttempts, "a locked ref is refused before the provider")
	assert.Equal(t, 3, got.Attempts)

	// Settling what is gone is no error; a wrong code needs no settling.
	require.NoError(t, s.SettleCheck(ctx, at, "settle-never-0000000000", rec, verify.SettleUndo, rules))
	require.NoError(t, s.SettleCheck(ctx, at, "settle-never-0000000000", rec, verify.SettleVerified, rules))
})

var _ = register("ReserveCheckContention", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	// 60 checks at once over 6 refs of one recipient: exactly the budget
	// (10) is reserved, and no ref more than its MaxAttempts.
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	rules := verify.CheckRules{MaxAttempts: 3, Failures: verify.Rate{Count: 10, Per: time.Hour}}
	refs := make([]string, 6)
	for i := range refs {
		refs[i] = fmt.Sprintf("contention-ref-%08d", i)
		savedRef(t, s, c.Now(), refs[i])
	}
	var reserved, limited atomic.Int32
	perRef := make([]atomic.Int32, len(refs))
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			_, err := s.ReserveCheck(ctx, c.Now(), refs[i%len(refs)], rules)
			switch {
			case err == nil:
				reserved.Add(1)
				perRef[i%len(refs)].Add(1)
			case isLimit(err):
				limited.Add(1)
			default:
				assert.ErrorIs(t, err, otpkit.ErrMaxAttempts)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(10), reserved.Load(), "exactly the failure budget")
	for i := range perRef {
		assert.LessOrEqual(t, perRef[i].Load(), int32(3), "ref %d within its attempts", i)
	}
	assert.Positive(t, limited.Load())
})

// isLimit reports whether err is a *verify.LimitError.
func isLimit(err error) bool {
	_, ok := err.(*verify.LimitError)
	return ok
}

var _ = register("ClaimRef", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	first := verify.RefRecord{Fingerprint: "fp-1"}
	got, claimed, err := s.ClaimRef(ctx, c.Now(), "idem:claim-key", first, time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed)
	assert.Equal(t, first, got)

	second := verify.RefRecord{Fingerprint: "fp-2"}
	got, claimed, err = s.ClaimRef(ctx, c.Now(), "idem:claim-key", second, time.Minute)
	require.NoError(t, err)
	assert.False(t, claimed, "held")
	assert.Equal(t, first, got, "what it holds comes back")

	done := verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: "vrf-1", Channel: otpkit.ChannelSMS,
		Fingerprint: "fp-1", Ref: "the-first-sends-ref0000", ExpiresAt: 1_900_000_000_123_456_789}
	require.NoError(t, s.SaveRef(ctx, c.Now(), "idem:claim-key", done, time.Minute))
	got, claimed, err = s.ClaimRef(ctx, c.Now(), "idem:claim-key", second, time.Minute)
	require.NoError(t, err)
	assert.False(t, claimed)
	assert.Equal(t, done, got, "a completed record comes back whole")

	c.Advance(time.Minute)
	got, claimed, err = s.ClaimRef(ctx, c.Now(), "idem:claim-key", second, time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed, "claimable again once expired by the Guard's clock")
	assert.Equal(t, second, got)

	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, ok, err := s.ClaimRef(ctx, c.Now(), "idem:contended", verify.RefRecord{Fingerprint: fmt.Sprint(i)}, time.Minute)
			assert.NoError(t, err)
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load(), "exactly one of 20 claims wins")
})
