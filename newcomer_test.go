package otpkit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

func TestCodesEqual(t *testing.T) {
	assert.True(t, otpkit.CodesEqual("482913", "482913"))
	assert.False(t, otpkit.CodesEqual("482913", "482914"))
	assert.False(t, otpkit.CodesEqual("482913", "48291"), "a prefix is not the code")
	assert.False(t, otpkit.CodesEqual("482913", "4829130"))
	assert.False(t, otpkit.CodesEqual("", ""), "no code kept matches nothing")
	assert.False(t, otpkit.CodesEqual("482913", ""))
	assert.False(t, otpkit.CodesEqual("", "482913"))
}

// A fresh verification has Tryvox's 5 attempts left, although the start
// answer carries no max_attempts; each wrong check takes one, which
// GetStatus shows.
func TestRemainingAttemptsAfterStart(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()

	v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	assert.Zero(t, v.MaxAttempts, "the start answer has no max_attempts")
	assert.Equal(t, 5, v.RemainingAttempts())

	_, err = c.CheckCode(ctx, v.ID, "000000")
	require.ErrorIs(t, err, otpkit.ErrInvalidCode)
	st, err := c.GetStatus(ctx, v.ID)
	require.NoError(t, err)
	assert.Equal(t, 4, st.RemainingAttempts())

	code, ok := srv.CodeFor(v.ID)
	require.True(t, ok)
	approved, err := c.CheckCode(ctx, v.ID, code)
	require.NoError(t, err)
	assert.Zero(t, approved.RemainingAttempts(), "an approved verification takes no more checks")
}

func TestRemainingAttemptsByStatus(t *testing.T) {
	for _, tc := range []struct {
		v    otpkit.Verification
		want int
	}{
		{otpkit.Verification{Status: otpkit.VerificationPending}, 5},
		{otpkit.Verification{}, 5},
		{otpkit.Verification{Status: otpkit.VerificationPending, Attempts: 2, MaxAttempts: 5}, 3},
		{otpkit.Verification{Status: otpkit.VerificationPending, Attempts: 2, MaxAttempts: 3}, 1},
		{otpkit.Verification{Status: otpkit.VerificationPending, Attempts: 7, MaxAttempts: 5}, 0},
		{otpkit.Verification{Status: otpkit.VerificationApproved, Attempts: 1, MaxAttempts: 5}, 0},
		{otpkit.Verification{Status: otpkit.VerificationExpired}, 0},
		{otpkit.Verification{Status: otpkit.VerificationFailed, Attempts: 5, MaxAttempts: 5}, 0},
	} {
		assert.Equal(t, tc.want, tc.v.RemainingAttempts(), "%+v", tc.v)
	}
}
