package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
)

// RefundSend takes a send back from every window it counted in, so that an
// outage of every provider locks nobody out.

var _ = register("RefundSend", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	rules := verify.SendRules{
		Recipient:      subject,
		IP:             "aXAtcHNldWRvbnltLTAwMDA",
		Prefix:         "cHJlZml4LXBzZXVkb255bS0",
		Interval:       time.Minute,
		RecipientSends: verify.Rate{Count: 2, Per: time.Hour},
		IPSends:        verify.Rate{Count: 2, Per: time.Hour},
		PrefixSends:    verify.Rate{Count: 2, Per: time.Hour},
		Failures:       verify.Rate{Count: 10, Per: time.Hour},
	}
	first := c.Now()
	require.NoError(t, s.AllowSend(ctx, first, rules))
	c.Advance(2 * time.Minute)
	second := c.Now()
	require.NoError(t, s.AllowSend(ctx, second, rules))
	c.Advance(time.Second)
	retry := requireLimit(t, s.AllowSend(ctx, c.Now(), rules), verify.RuleRecipientSends)
	assert.Equal(t, time.Hour-2*time.Minute-time.Second, retry)

	require.NoError(t, s.RefundSend(ctx, second, rules))
	// The interval goes back to the first send (2 min ago): allowed, and
	// every window has room for exactly one more.
	require.NoError(t, s.AllowSend(ctx, c.Now(), rules), "the refunded send no longer counts")
	c.Advance(2 * time.Minute)
	requireLimit(t, s.AllowSend(ctx, c.Now(), rules), verify.RuleRecipientSends)

	// Each window alone: another recipient on the same IP and prefix.
	other := rules
	other.Recipient = "YW5vdGhlci1yZWNpcGllbnQ"
	requireLimit(t, s.AllowSend(ctx, c.Now(), other), verify.RuleIPSends)
	require.NoError(t, s.RefundSend(ctx, first, rules))
	require.NoError(t, s.AllowSend(ctx, c.Now(), other), "the IP and prefix windows gave the send back too")

	// A refund of what is not there is no error and changes nothing.
	require.NoError(t, s.RefundSend(ctx, first.Add(-time.Hour), rules))
	require.NoError(t, s.RefundSend(ctx, first, verify.SendRules{Recipient: "bm8tc3VjaC1yZWNpcGllbnQ"}))
	requireLimit(t, s.AllowSend(ctx, c.Now(), other), verify.RuleIPSends)
})

var _ = register("RefundSendRestoresTheInterval", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	rules := verify.SendRules{Recipient: subject, Interval: time.Minute}
	first := c.Now()
	require.NoError(t, s.AllowSend(ctx, first, rules))
	require.NoError(t, s.RefundSend(ctx, first, rules))
	require.NoError(t, s.AllowSend(ctx, c.Now().Add(time.Nanosecond), rules), "no send left: no interval")

	c.Advance(30 * time.Second)
	second := c.Now()
	requireLimit(t, s.AllowSend(ctx, second, rules), verify.RuleSendInterval)
	c.Advance(31 * time.Second)
	second = c.Now()
	require.NoError(t, s.AllowSend(ctx, second, rules))
	require.NoError(t, s.RefundSend(ctx, second, rules))
	c.Advance(time.Second)
	require.NoError(t, s.AllowSend(ctx, c.Now(), rules), "the interval counts from the send before the refunded one")
})
