package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// instance is one app instance: its own go-redis client, Guard, otpkit
// client and Service, on the shared Redis and the shared mock.
func instance(t *testing.T, rdb redis.UniversalClient, prefix string, srv *mock.Server, p otpkit.Provider) *verify.Service {
	t.Helper()
	g, err := verify.NewGuard(redisstore.New(rdb, redisstore.WithPrefix(prefix)), verify.WithSecret(secret),
		verify.WithLimits(verify.Limits{MaxFailures: 3, SendInterval: time.Minute}))
	require.NoError(t, err)
	c, err := srv.Client()
	require.NoError(t, err)
	var prov verify.Provider
	switch p {
	case otpkit.ProviderTryvox:
		prov = verify.Tryvox(c)
	case otpkit.ProviderDotdigital:
		prov = verify.Dotdigital(c)
	default:
		prov = verify.LOX24(c)
	}
	svc, err := verify.New(g, prov)
	require.NoError(t, err)
	return svc
}

// sendHereCheckThere sends on one instance and checks on the other, for each
// provider; a wrong code on one and the budget count on both.
func sendHereCheckThere(t *testing.T, newClient func(t *testing.T) redis.UniversalClient) {
	for _, p := range []otpkit.Provider{otpkit.ProviderTryvox, otpkit.ProviderDotdigital, otpkit.ProviderLOX24} {
		t.Run(string(p), func(t *testing.T) {
			ctx := context.Background()
			srv := mock.NewServer()
			t.Cleanup(srv.Close)
			prefix := uniquePrefix()
			a := instance(t, newClient(t), prefix, srv, p)
			b := instance(t, newClient(t), prefix, srv, p)
			const phone = "+4917012345678"

			sent, err := a.Send(ctx, &verify.SendRequest{To: phone})
			require.NoError(t, err)
			code, ok := srv.CodeFor(sent.ProviderID)
			require.True(t, ok)
			bad := []byte(code)
			bad[0] = '0' + (bad[0]-'0'+1)%10
			require.ErrorIs(t, b.Check(ctx, sent.Ref, string(bad)), otpkit.ErrInvalidCode)
			require.NoError(t, b.Check(ctx, sent.Ref, code), "sent on one instance, verified on the other")
			assert.ErrorIs(t, a.Check(ctx, sent.Ref, code), otpkit.ErrNotFound, "used up for every instance")

			_, err = b.Send(ctx, &verify.SendRequest{To: phone})
			var le *verify.LimitError
			require.ErrorAs(t, err, &le, "the send interval is shared")
			assert.Equal(t, verify.RuleSendInterval, le.Rule)
		})
	}
}

func TestServiceTwoInstancesOneServer(t *testing.T) {
	addr := redistest.Addr(t)
	sendHereCheckThere(t, func(t *testing.T) redis.UniversalClient { return oneServer(t, addr) })
}

func TestServiceTwoInstancesCluster(t *testing.T) {
	addrs := sharedCluster(t)
	sendHereCheckThere(t, func(t *testing.T) redis.UniversalClient { return cluster(t, addrs) })
}
