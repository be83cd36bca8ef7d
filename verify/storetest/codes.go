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

// wrongCode returns a code of the same length that differs from code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

var _ = register("IssueCheckSingleUse", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	g := guard(t, newStore(t), newClock(), verify.Limits{})
	code, err := g.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	require.Len(t, code, 6)
	require.NoError(t, g.Check(ctx, "+4917012345678", code))
	assert.ErrorIs(t, g.Check(ctx, "+4917012345678", code), otpkit.ErrNotFound, "a code is used up by its first success")
	assert.ErrorIs(t, g.Check(ctx, "+4917099999999", code), otpkit.ErrNotFound, "never issued")
})

var _ = register("CodeIsPerRecipient", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	g := guard(t, newStore(t), newClock(), verify.Limits{})
	code, err := g.Issue(ctx, "+4917000000001")
	require.NoError(t, err)
	_, err = g.Issue(ctx, "+4917000000002")
	require.NoError(t, err)
	// The first recipient's code may equal the second's by chance (1 in
	// 10^6); then it verifies there, which is right.
	if err := g.Check(ctx, "+4917000000002", code); err != nil {
		assert.ErrorIs(t, err, otpkit.ErrInvalidCode)
	}
	require.NoError(t, g.Check(ctx, "+4917000000001", code))
})

var _ = register("Expiry", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	c := newClock()
	g := guard(t, newStore(t), c, verify.Limits{CodeTTL: 2 * time.Minute})
	code, err := g.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	c.Advance(2*time.Minute - time.Millisecond)
	require.NoError(t, g.Check(ctx, "+4917012345678", code), "live until its TTL")

	code, err = g.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	c.Advance(2 * time.Minute)
	assert.ErrorIs(t, g.Check(ctx, "+4917012345678", code), otpkit.ErrNotFound, "expired at its TTL")
	assert.ErrorIs(t, g.Check(ctx, "+4917012345678", wrongCode(code)), otpkit.ErrNotFound)
})

var _ = register("Attempts", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	g := guard(t, newStore(t), newClock(), verify.Limits{MaxAttempts: 3})
	code, err := g.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	for left := 2; left >= 1; left-- {
		err := g.Check(ctx, "+4917012345678", wrongCode(code))
		var ice *verify.InvalidCodeError
		require.ErrorAs(t, err, &ice)
		assert.Equal(t, left, ice.AttemptsLeft)
		assert.ErrorIs(t, err, otpkit.ErrInvalidCode)
		assert.NotErrorIs(t, err, otpkit.ErrMaxAttempts)
	}
	err = g.Check(ctx, "+4917012345678", wrongCode(code))
	assert.ErrorIs(t, err, otpkit.ErrMaxAttempts, "the MaxAttempts-th wrong code locks")
	assert.NotErrorIs(t, err, otpkit.ErrInvalidCode)
	assert.ErrorIs(t, g.Check(ctx, "+4917012345678", code), otpkit.ErrMaxAttempts, "a locked code does not verify")

	code, err = g.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	require.NoError(t, g.Check(ctx, "+4917012345678", code), "a new code has its own attempts")
})

var _ = register("NewCodeReplacesOld", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	g := guard(t, newStore(t), newClock(), verify.Limits{})
	first, err := g.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	second := first
	for second == first {
		second, err = g.Issue(ctx, "+4917012345678")
		require.NoError(t, err)
	}
	assert.ErrorIs(t, g.Check(ctx, "+4917012345678", first), otpkit.ErrInvalidCode)
	require.NoError(t, g.Check(ctx, "+4917012345678", second))
})

var _ = register("BadInputRecordsNothing", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	g := guard(t, newStore(t), newClock(), verify.Limits{MaxAttempts: 1})
	code, err := g.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	for _, bad := range []string{"", "12345", "1234567", "12a456", " 23456", "１２３４５６"} {
		err := g.Check(ctx, "+4917012345678", bad)
		var ve *otpkit.ValidationError
		require.ErrorAs(t, err, &ve, "%q", bad)
		assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	}
	var ve *otpkit.ValidationError
	require.ErrorAs(t, g.Check(ctx, "", code), &ve)
	require.ErrorAs(t, g.AllowSend(ctx, "", ""), &ve)
	_, err = g.Issue(ctx, "")
	require.ErrorAs(t, err, &ve)
	require.NoError(t, g.Check(ctx, "+4917012345678", code), "bad input spent no attempt")
})

var _ = register("Contention", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	store := newStore(t)
	c := newClock()
	l := noSendRules(verify.Limits{MaxAttempts: 5, RecipientSends: verify.Rate{Count: 5, Per: time.Hour}})
	g1, g2 := guard(t, store, c, l), guard(t, store, c, l)
	code, err := g1.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	invalid, locked, other := CheckConcurrently(g1, g2, "+4917012345678", wrongCode(code), 1000)
	assert.Equal(t, 4, invalid, "ErrInvalidCode answers")
	assert.Equal(t, 996, locked, "ErrMaxAttempts answers")
	assert.Empty(t, other)
	assert.ErrorIs(t, g2.Check(ctx, "+4917012345678", code), otpkit.ErrMaxAttempts)

	allowed, refused, other := SendConcurrently(g1, g2, "+4917012345678", 1000)
	assert.Equal(t, 5, allowed, "sends allowed")
	assert.Equal(t, 995, refused)
	assert.Empty(t, other)
})

var _ = register("IssueOnOneCheckOnOther", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	store := newStore(t)
	c := newClock()
	g1, g2 := guard(t, store, c, verify.Limits{}), guard(t, store, c, verify.Limits{})
	code, err := g1.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	require.NoError(t, g2.Check(ctx, "+4917012345678", code))
	assert.ErrorIs(t, g1.Check(ctx, "+4917012345678", code), otpkit.ErrNotFound)
})

// CheckConcurrently checks code for recipient n times at once, alternating
// between g1 and g2, and counts the answers: ErrInvalidCode, ErrMaxAttempts
// and any other (returned).
func CheckConcurrently(g1, g2 *verify.Guard, recipient, code string, n int) (invalid, locked int, other []error) {
	errs := concurrently(n, func(i int) error {
		g := g1
		if i%2 == 1 {
			g = g2
		}
		return g.Check(context.Background(), recipient, code)
	})
	for _, err := range errs {
		switch {
		case errors.Is(err, otpkit.ErrInvalidCode):
			invalid++
		case errors.Is(err, otpkit.ErrMaxAttempts):
			locked++
		default:
			other = append(other, err)
		}
	}
	return invalid, locked, other
}

// SendConcurrently calls AllowSend for recipient n times at once, alternating
// between g1 and g2, and counts the answers: allowed, ErrRateLimited and any
// other (returned).
func SendConcurrently(g1, g2 *verify.Guard, recipient string, n int) (allowed, refused int, other []error) {
	errs := concurrently(n, func(i int) error {
		g := g1
		if i%2 == 1 {
			g = g2
		}
		return g.AllowSend(context.Background(), recipient, "192.0.2.1")
	})
	for _, err := range errs {
		switch {
		case err == nil:
			allowed++
		case errors.Is(err, otpkit.ErrRateLimited):
			refused++
		default:
			other = append(other, err)
		}
	}
	return allowed, refused, other
}

// concurrently runs f(0..n-1) in n goroutines released at once.
func concurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	return errs
}
