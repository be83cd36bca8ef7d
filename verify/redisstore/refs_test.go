package redisstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// The Service's keys (its refs, and the recipient's latest LOX24 ref) hold
// no code and no ref in clear beyond the key itself, and all expire.
func TestServiceKeysHoldNoCodeAndExpire(t *testing.T) {
	ctx := context.Background()
	rdb := oneServer(t, redistest.Addr(t))
	prefix := uniquePrefix()
	g, err := verify.NewGuard(redisstore.New(rdb, redisstore.WithPrefix(prefix)), verify.WithSecret(secret),
		verify.WithLimits(verify.Limits{CodeLength: 8}))
	require.NoError(t, err)
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)

	var codes []string
	for i, p := range []verify.Provider{verify.Tryvox(c), verify.Dotdigital(c), verify.LOX24(c)} {
		svc, err := verify.New(g, p)
		require.NoError(t, err)
		to := []string{"+4917000000001", "+4917000000002", "+4917000000003"}[i]
		sent, err := svc.Send(ctx, &verify.SendRequest{To: to})
		require.NoError(t, err)
		code, ok := srv.CodeFor(sent.ProviderID)
		require.True(t, ok)
		if sent.Provider != otpkit.ProviderDotdigital { // dotdigital's 6 digits could turn up in a timestamp
			codes = append(codes, code)
		}
	}
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	refKeys := 0
	for _, k := range keys {
		ttl, err := rdb.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.Positive(t, ttl, "key %q expires", k)
		typ, err := rdb.Type(ctx, k).Result()
		require.NoError(t, err)
		if !strings.HasPrefix(k, prefix+"rf:") {
			continue
		}
		require.Equal(t, "string", typ)
		v, err := rdb.Get(ctx, k).Result()
		require.NoError(t, err)
		for _, code := range codes {
			assert.NotContains(t, v, code, "key %q holds a code", k)
		}
		assert.NotContains(t, v, "4917000000", "key %q holds a number", k)
		assert.NotContains(t, k, "4917000000003", "the LOX24 latest-ref key names no number")
		refKeys++
	}
	assert.Equal(t, 4, refKeys, "three refs and one latest LOX24 ref")
}
