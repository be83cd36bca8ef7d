package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/policytest"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// The Service's promises with two instances, each with its own go-redis
// client, on one Redis server and on a 3-master Cluster.
func TestServicePolicyOneServer(t *testing.T) {
	addr := redistest.Addr(t)
	policytest.Run(t, func(t *testing.T) (verify.Store, verify.Store) {
		prefix := uniquePrefix()
		return redisstore.New(oneServer(t, addr), redisstore.WithPrefix(prefix)),
			redisstore.New(oneServer(t, addr), redisstore.WithPrefix(prefix))
	})
}

func TestServicePolicyCluster(t *testing.T) {
	addrs := sharedCluster(t)
	policytest.Run(t, func(t *testing.T) (verify.Store, verify.Store) {
		prefix := uniquePrefix()
		return redisstore.New(cluster(t, addrs), redisstore.WithPrefix(prefix)),
			redisstore.New(cluster(t, addrs), redisstore.WithPrefix(prefix))
	})
}

// With Redis gone, every error of the Guard and the Service that comes from
// the store satisfies verify.ErrStore, and nothing is allowed or verified.
func TestStoreErrorsAreErrStore(t *testing.T) {
	server := redistest.StartServer(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: server.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	g, err := verify.NewGuard(redisstore.New(rdb), verify.WithSecret(secret))
	require.NoError(t, err)
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	svc, err := verify.New(g, verify.Tryvox(c), verify.LOX24(c))
	require.NoError(t, err)
	const to = "+4917012345678"
	sent, err := svc.Send(ctx, &verify.SendRequest{To: to})
	require.NoError(t, err)
	code, ok := srv.CodeFor(sent.ProviderID)
	require.True(t, ok)

	server.Stop()
	before := len(srv.Requests())
	_, err = svc.Send(ctx, &verify.SendRequest{To: to})
	require.ErrorIs(t, err, verify.ErrStore, "Send")
	err = svc.Check(ctx, sent.Ref, code)
	require.ErrorIs(t, err, verify.ErrStore, "Check")
	require.NotErrorIs(t, err, otpkit.ErrInvalidCode)
	require.ErrorIs(t, svc.Cancel(ctx, sent.Ref), verify.ErrStore, "Cancel")
	require.Equal(t, before, len(srv.Requests()), "no provider is asked without the store")
	require.ErrorIs(t, g.AllowSend(ctx, to, ""), verify.ErrStore, "AllowSend")
	require.ErrorIs(t, g.Check(ctx, to, "123456"), verify.ErrStore, "Guard.Check")
	require.ErrorIs(t, g.AllowCheck(ctx, to), verify.ErrStore, "AllowCheck")
	require.ErrorIs(t, g.RecordFailure(ctx, to), verify.ErrStore, "RecordFailure")
	require.ErrorIs(t, g.Unlock(ctx, to), verify.ErrStore, "Unlock")
	_, err = g.Issue(ctx, to)
	require.ErrorIs(t, err, verify.ErrStore, "Issue")
}
