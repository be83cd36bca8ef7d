package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// The conversion guard: per country and per prefix, sends and verified
// codes in buckets of Window/12; too few verified of enough sends refuses
// (or, with Monitor, reports) until the oldest counted bucket leaves the
// window.

// convSend is a send to its own recipient in country and prefix.
func convSend(i int, country, prefix string, conv verify.ConversionRules) verify.SendRules {
	return verify.SendRules{Recipient: fmt.Sprintf("conv-recipient-%06d", i), Country: country, Prefix: prefix, Conversion: conv}
}

// verifyOne issues and checks a code for a recipient of country and prefix,
// so that it counts as verified.
func verifyOne(t *testing.T, s verify.Store, now time.Time, i int, country, prefix string, conv verify.ConversionRules) {
	t.Helper()
	ctx := context.Background()
	subject := fmt.Sprintf("conv-verified-%06d", i)
	mac := []byte("a MAC of 32 bytes, for the suite")
	require.NoError(t, s.Issue(ctx, now, subject, mac, time.Minute))
	require.NoError(t, s.Check(ctx, now, subject, mac, verify.CheckRules{MaxAttempts: 5, Country: country, Prefix: prefix, Conversion: conv}))
}

var _ = register("ConversionGuard", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	conv := verify.ConversionRules{Window: time.Hour, MinCountrySends: 10, MinPrefixSends: 5, Floor: 0.5}
	bucket := time.Hour / verify.ConversionBuckets
	start := c.Now()

	for i := range 5 {
		require.NoError(t, s.AllowSend(ctx, c.Now(), convSend(i, "DE", "cHJlZml4LW9uZQ", conv)), "send %d", i)
	}
	retry := requireLimit(t, s.AllowSend(ctx, c.Now(), convSend(5, "DE", "cHJlZml4LW9uZQ", conv)), verify.RuleConversion)
	oldest := start.UnixNano() / int64(bucket)
	assert.Equal(t, time.Duration((oldest+verify.ConversionBuckets)*int64(bucket)-c.Now().UnixNano()), retry,
		"until the oldest counted bucket leaves the window")

	// Another prefix of the country, converting: allowed until the country
	// holds 10 sends; 3 of 5 verified keeps it at 50 %.
	for i := range 4 {
		require.NoError(t, s.AllowSend(ctx, c.Now(), convSend(10+i, "DE", "cHJlZml4LXR3bw", conv)))
	}
	for i := range 4 {
		verifyOne(t, s, c.Now(), i, "DE", "cHJlZml4LXR3bw", conv)
	}
	require.NoError(t, s.AllowSend(ctx, c.Now(), convSend(14, "DE", "cHJlZml4LXR3bw", conv)))
	// The country: 10 sends, 4 verified: under half.
	requireLimit(t, s.AllowSend(ctx, c.Now(), convSend(15, "DE", "cHJlZml4LXRocmVl", conv)), verify.RuleConversion)
	verifyOne(t, s, c.Now(), 5, "DE", "cHJlZml4LXR3bw", conv)
	require.NoError(t, s.AllowSend(ctx, c.Now(), convSend(16, "DE", "cHJlZml4LXRocmVl", conv)), "5 of 10 verified")
	require.NoError(t, s.AllowSend(ctx, c.Now(), convSend(17, "FR", "cHJlZml4LWZy", conv)), "another country")

	// A refunded send is taken back from the counts.
	at := c.Now()
	require.NoError(t, s.AllowSend(ctx, at, convSend(18, "FR", "cHJlZml4LWZy", conv)))
	for i := range 3 {
		require.NoError(t, s.AllowSend(ctx, at, convSend(19+i, "FR", "cHJlZml4LWZy", conv)))
	}
	requireLimit(t, s.AllowSend(ctx, at, convSend(22, "FR", "cHJlZml4LWZy", conv)), verify.RuleConversion)
	require.NoError(t, s.RefundSend(ctx, at, convSend(21, "FR", "cHJlZml4LWZy", conv)))
	require.NoError(t, s.AllowSend(ctx, at, convSend(22, "FR", "cHJlZml4LWZy", conv)), "4 sends after the refund")

	// The window passes: the first prefix is judged afresh.
	c.Advance(retry)
	require.NoError(t, s.AllowSend(ctx, c.Now(), convSend(30, "DE", "cHJlZml4LW9uZQ", conv)), "allowed RetryAfter later")
})

var _ = register("ConversionGuardMonitor", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	conv := verify.ConversionRules{Window: time.Hour, MinPrefixSends: 3, Floor: 0.5, Monitor: true}
	for i := range 3 {
		require.NoError(t, s.AllowSend(ctx, c.Now(), convSend(i, "DE", "bW9uaXRvcmVk", conv)))
	}
	for i := range 3 {
		err := s.AllowSend(ctx, c.Now(), convSend(3+i, "DE", "bW9uaXRvcmVk", conv))
		var mr *verify.MonitoredRefusal
		require.ErrorAs(t, err, &mr, "reported, not refused")
		assert.Equal(t, verify.RuleConversion, mr.Rule)
		assert.NotErrorIs(t, err, otpkit.ErrRateLimited)
	}
	// The monitored sends were counted: without Monitor, 6 sends at 0 %.
	conv.Monitor = false
	conv.MinPrefixSends = 6
	requireLimit(t, s.AllowSend(ctx, c.Now(), convSend(9, "DE", "bW9uaXRvcmVk", conv)), verify.RuleConversion)
})
