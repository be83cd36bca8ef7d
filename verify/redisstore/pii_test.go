package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// After a whole flow (sends with client addresses and an idempotency key on
// all three providers, wrong and right codes, a cancel, the Guard on an
// e-mail address, a webhook event), no key and no value in Redis holds a
// phone number, an e-mail address or an IP address.
func TestNoPersonalDataInRedis(t *testing.T) {
	ctx := context.Background()
	rdb := oneServer(t, redistest.Addr(t))
	prefix := uniquePrefix()
	store := redisstore.New(rdb, redisstore.WithPrefix(prefix))
	g, err := verify.NewGuard(store, verify.WithSecret(secret), verify.WithLimits(verify.Limits{SendInterval: -1}))
	require.NoError(t, err)
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	var personal []string
	for i, p := range []verify.Provider{verify.Tryvox(c), verify.Dotdigital(c), verify.LOX24(c)} {
		svc, err := verify.New(g, p)
		require.NoError(t, err)
		to := []string{"+4917012345678", "+447400123456", "+33612345678"}[i]
		ip := []string{"192.0.2.44", "2001:db8:4:5::9", "198.51.100.7"}[i]
		personal = append(personal, strings.TrimPrefix(to, "+"), ip) // (a shorter tail of the number could turn up in a timestamp by chance)
		sent, err := svc.Send(ctx, &verify.SendRequest{To: to, IP: ip, IdempotencyKey: "form-" + to})
		require.NoError(t, err)
		srv.Advance(time.Second)
		code, ok := srv.LastCode(to)
		require.True(t, ok)
		require.ErrorIs(t, svc.Check(ctx, sent.Ref, wrongCode(code)), otpkit.ErrInvalidCode)
		require.NoError(t, svc.Check(ctx, sent.Ref, code))
		again, err := svc.Send(ctx, &verify.SendRequest{To: to, IP: ip})
		require.NoError(t, err)
		require.NoError(t, svc.Cancel(ctx, again.Ref))
	}
	const email = "Alice.Example@Example.com"
	personal = append(personal, "alice", "example.com", "2001:db8:4:5")
	require.NoError(t, g.AllowSend(ctx, email, "203.0.113.9"))
	personal = append(personal, "203.0.113.9")
	code, err := g.Issue(ctx, email)
	require.NoError(t, err)
	require.NoError(t, g.Check(ctx, strings.ToLower(email), code))
	claimed, err := store.Claim(ctx, "evt-1", "holder-1", time.Minute)
	require.NoError(t, err)
	require.True(t, claimed)
	require.NoError(t, store.Done(ctx, "evt-1", time.Hour))

	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		var content strings.Builder
		content.WriteString(k)
		switch rdb.Type(ctx, k).Val() {
		case "string":
			content.WriteString(" " + rdb.Get(ctx, k).Val())
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				content.WriteString(" " + f + "=" + v)
			}
		}
		lower := strings.ToLower(content.String())
		for _, p := range personal {
			assert.NotContains(t, lower, strings.ToLower(p), "key %q", k)
		}
	}
}
