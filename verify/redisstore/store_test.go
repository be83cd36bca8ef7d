package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
	"github.com/otpkit/otpkit/verify/storetest"
)

func TestConformanceOneServer(t *testing.T) {
	rdb := oneServer(t, redistest.Addr(t))
	storetest.Run(t, func(t *testing.T) verify.Store { return store(rdb) })
}

func TestConformanceCluster(t *testing.T) {
	rdb := cluster(t, sharedCluster(t))
	storetest.Run(t, func(t *testing.T) verify.Store { return store(rdb) })
}

// contention: two Guards as two app instances, each with its own go-redis
// client, on one store (same prefix).
func contention(t *testing.T, a, b *redisstore.Store) {
	ctx := context.Background()
	c := newClock()
	l := verify.Limits{MaxAttempts: 5, SendInterval: -1, RecipientSends: verify.Rate{Count: 5, Per: time.Hour},
		IPSends: verify.Rate{Count: -1}, PrefixSends: verify.Rate{Count: -1}}
	g1, g2 := newGuard(t, a, c, l), newGuard(t, b, c, l)
	code, err := g1.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	wrong := "1" + code[1:]
	if wrong == code {
		wrong = "2" + code[1:]
	}
	invalid, locked, other := storetest.CheckConcurrently(g1, g2, "+4917012345678", wrong, 1000)
	assert.Equal(t, 4, invalid, "ErrInvalidCode answers")
	assert.Equal(t, 996, locked, "ErrMaxAttempts answers")
	assert.Empty(t, other)
	assert.ErrorIs(t, g2.Check(ctx, "+4917012345678", code), otpkit.ErrMaxAttempts, "the right code after the lock")

	allowed, refused, other := storetest.SendConcurrently(g1, g2, "+4917012345678", 1000)
	assert.Equal(t, 5, allowed)
	assert.Equal(t, 995, refused)
	assert.Empty(t, other)

	// With every send rule on, over three Cluster slots: still exact.
	l = verify.Limits{SendInterval: -1, RecipientSends: verify.Rate{Count: 1000, Per: time.Hour},
		IPSends: verify.Rate{Count: 7, Per: time.Hour}, PrefixSends: verify.Rate{Count: 1000, Per: time.Hour}}
	g1, g2 = newGuard(t, a, c, l), newGuard(t, b, c, l)
	allowed, refused, other = storetest.SendConcurrently(g1, g2, "+4917099999999", 1000)
	assert.Equal(t, 7, allowed, "the IP rule allows 7")
	assert.Equal(t, 993, refused)
	assert.Empty(t, other)
	// The refused sends were refunded on the recipient's key: it counts 7.
	l.IPSends = verify.Rate{Count: -1}
	l.RecipientSends = verify.Rate{Count: 8, Per: time.Hour}
	g1 = newGuard(t, a, c, l)
	require.NoError(t, g1.AllowSend(ctx, "+4917099999999", ""))
	var le *verify.LimitError
	require.ErrorAs(t, g1.AllowSend(ctx, "+4917099999999", ""), &le)
	assert.Equal(t, verify.RuleRecipientSends, le.Rule)
}

func TestContentionOneServer(t *testing.T) {
	addr := redistest.Addr(t)
	p := uniquePrefix()
	contention(t, redisstore.New(oneServer(t, addr), redisstore.WithPrefix(p)),
		redisstore.New(oneServer(t, addr), redisstore.WithPrefix(p)))
}

func TestContentionCluster(t *testing.T) {
	addrs := sharedCluster(t)
	p := uniquePrefix()
	contention(t, redisstore.New(cluster(t, addrs), redisstore.WithPrefix(p)),
		redisstore.New(cluster(t, addrs), redisstore.WithPrefix(p)))
}

func TestIssueOnOneInstanceCheckOnOther(t *testing.T) {
	addr := redistest.Addr(t)
	p := uniquePrefix()
	c := newClock()
	g1 := newGuard(t, redisstore.New(oneServer(t, addr), redisstore.WithPrefix(p)), c, verify.Limits{})
	g2 := newGuard(t, redisstore.New(oneServer(t, addr), redisstore.WithPrefix(p)), c, verify.Limits{})
	ctx := context.Background()
	code, err := g1.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	require.NoError(t, g2.Check(ctx, "+4917012345678", code))
	assert.ErrorIs(t, g1.Check(ctx, "+4917012345678", code), otpkit.ErrNotFound, "exactly once")
	assert.ErrorIs(t, g2.Check(ctx, "+4917012345678", code), otpkit.ErrNotFound, "exactly once")
}

func TestNewGuardRefusesRedisWithoutSecret(t *testing.T) {
	_, err := verify.NewGuard(redisstore.New(oneServer(t, "127.0.0.1:1")))
	var ve *otpkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "secret", ve.Field)
}

func TestScriptsSurviveScriptFlush(t *testing.T) {
	rdb := oneServer(t, redistest.Addr(t))
	g := newGuard(t, store(rdb), newClock(), verify.Limits{})
	ctx := context.Background()
	code, err := g.Issue(ctx, "+4917012345678")
	require.NoError(t, err)
	require.NoError(t, rdb.ScriptFlush(ctx).Err())
	require.NoError(t, g.Check(ctx, "+4917012345678", code), "NOSCRIPT falls back to EVAL")
	require.NoError(t, g.AllowSend(ctx, "+4917012345678", "192.0.2.1"))
}

func TestStringShowsNoClient(t *testing.T) {
	s := redisstore.New(oneServer(t, "127.0.0.1:1"))
	assert.Equal(t, "redisstore.Store{prefix: otpkit:}", s.String())
	assert.True(t, s.Shared())
}

func TestOddRecipients(t *testing.T) {
	rdb := oneServer(t, redistest.Addr(t))
	g := newGuard(t, store(rdb), newClock(), verify.Limits{SendInterval: -1})
	ctx := context.Background()
	// Recipients that are not canonical never reach Redis; the Guard hands
	// the store pseudonyms, so no key is made of what the caller typed.
	for _, r := range []string{
		"{+4917012345678}", "}{", "a}b{c", "+49 170 1234567", "ümlaut ✓",
		strings.Repeat("9", 256), "*", "otpkit:r:{x}",
	} {
		var ve *otpkit.ValidationError
		require.ErrorAs(t, g.AllowSend(ctx, r, ""), &ve, "%q", r)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	assert.Empty(t, keys, "a refused recipient records nothing")
	for _, r := range []string{"+4917012345678", "User@Example.com"} {
		require.NoError(t, g.AllowSend(ctx, r, ""), "%q", r)
		code, err := g.Issue(ctx, r)
		require.NoError(t, err, "%q", r)
		require.NoError(t, g.Check(ctx, strings.ToLower(r), code), "%q", r)
		assert.ErrorIs(t, g.Check(ctx, r, code), otpkit.ErrNotFound, "%q", r)
	}
}
