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
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// TestKeysLiveAsLongAsTheirRules checks each key's TTL after each kind of
// write: at least as long as the longest window a rule may still need it
// for, at most a quarter more (and a bucket, for the conversion counters),
// and never shortened by a write for a shorter window. The Guard's clock
// moves by hand, Redis's does not: a TTL a write kept (SET KEEPTTL) stays
// as it was set.
func TestKeysLiveAsLongAsTheirRules(t *testing.T) {
	ctx := context.Background()
	rdb := oneServer(t, redistest.Addr(t))
	p := uniquePrefix()
	c := newClock()
	l := verify.Limits{CodeTTL: time.Minute, SendInterval: -1,
		RecipientSends: verify.Rate{Count: 5, Per: 2 * time.Hour}, IPSends: verify.Rate{Count: 20, Per: 3 * time.Hour},
		PrefixSends: verify.Rate{Count: 50, Per: 4 * time.Hour}, MaxFailures: 10, FailureWindow: 24 * time.Hour,
		ConversionWindow: 6 * time.Hour}
	g := newGuard(t, redisstore.New(rdb, redisstore.WithPrefix(p)), c, l)
	ttl := func(kind string) time.Duration {
		t.Helper()
		keys, err := rdb.Keys(ctx, p+kind+":*").Result()
		require.NoError(t, err)
		require.Len(t, keys, 1, kind)
		d, err := rdb.PTTL(ctx, keys[0]).Result()
		require.NoError(t, err)
		return d
	}
	// within: at least need (less what a slow machine lets pass between
	// the write and the read), at most extra more.
	within := func(kind string, need, extra time.Duration) {
		t.Helper()
		d := ttl(kind)
		assert.GreaterOrEqual(t, d, need-5*time.Second, "%s lives as long as a rule needs it", kind)
		assert.LessOrEqual(t, d, need+extra, "%s is kept no longer than needed", kind)
	}
	const r = "+4917012345678"
	bucket := l.ConversionWindow / verify.ConversionBuckets

	code, err := g.Issue(ctx, r)
	require.NoError(t, err)
	within("rcpt", time.Minute, 15*time.Second)

	require.NoError(t, g.AllowSend(ctx, r, "192.0.2.1"))
	within("rcpt", 2*time.Hour, 30*time.Minute)
	within("addr", 3*time.Hour, 45*time.Minute)
	// The prefix's record holds its send log (4 h) and its conversion
	// counter (the window and the bucket it is in).
	within("pfx", l.ConversionWindow, bucket)
	within("ctry", l.ConversionWindow, bucket)

	wrong := wrongCode(code)
	require.ErrorIs(t, g.Check(ctx, r, wrong), otpkit.ErrInvalidCode)
	within("rcpt", 24*time.Hour, 6*time.Hour)

	// Writes for shorter windows never shorten it: a new code, a send, a
	// verified code, an Unlock.
	c.Advance(time.Hour)
	code, err = g.Issue(ctx, r)
	require.NoError(t, err)
	within("rcpt", 24*time.Hour, 6*time.Hour)
	require.NoError(t, g.AllowSend(ctx, r, "192.0.2.1"))
	within("rcpt", 24*time.Hour, 6*time.Hour)
	require.NoError(t, g.Check(ctx, r, code))
	within("rcpt", 24*time.Hour, 6*time.Hour)
	require.NoError(t, g.Unlock(ctx, r))
	within("rcpt", 24*time.Hour, 6*time.Hour)

	c.Advance(7 * time.Hour)
	require.NoError(t, g.RecordFailure(ctx, r))
	within("rcpt", 24*time.Hour, 6*time.Hour)

	// A conversion counter keeps its TTL within its newest bucket and takes
	// a new one with the next.
	c.Advance(bucket)
	require.NoError(t, g.AllowSend(ctx, "+4917012345679", "192.0.2.2"))
	within("ctry", l.ConversionWindow, bucket)
}
