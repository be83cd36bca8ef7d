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
	"github.com/otpkit/otpkit/verify/redisstore/internal/faultproxy"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// recommendedClient is a client with the options the README recommends.
func recommendedClient(t testing.TB, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true,
		ReadTimeout: time.Second, WriteTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestEveryCallHoldsItsDeadline: with the recommended client, every call of
// the Guard and the Service that asks the store ends by its context's
// deadline when Redis stalls (a black hole, on open or new connections),
// answers late or is gone, with an error satisfying verify.ErrStore. The
// margin is generous for a busy machine, and well below the client's 1s
// read timeout, which is what a call would wait without
// ContextTimeoutEnabled (go-redis's default read timeout: 3s; measured
// before: 5s).
func TestEveryCallHoldsItsDeadline(t *testing.T) {
	const deadline, margin = 100 * time.Millisecond, 500 * time.Millisecond
	addr := redistest.Start(t, redistest.WithAOF())
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	pc, err := srv.Client()
	require.NoError(t, err)
	var worst time.Duration
	for _, fault := range []string{"black hole", "black hole, new connections", "latency", "down"} {
		t.Run(fault, func(t *testing.T) {
			p := faultproxy.Start(t, addr)
			ctx := context.Background()
			s, err := redisstore.Open(ctx, recommendedClient(t, p.Addr()), redisstore.WithPrefix(uniquePrefix()))
			require.NoError(t, err)
			g, err := verify.NewGuard(s, verify.WithSecret(secret))
			require.NoError(t, err)
			svc, err := verify.New(g, verify.Tryvox(pc))
			require.NoError(t, err)
			const to = "+4917012345678"
			sent, err := svc.Send(ctx, &verify.SendRequest{To: to})
			require.NoError(t, err)
			code, ok := srv.CodeFor(sent.ProviderID)
			require.True(t, ok)

			switch fault {
			case "black hole":
				p.SetBlackHole(true)
			case "black hole, new connections":
				p.SetBlackHole(true)
				p.DropConns()
			case "latency":
				p.SetLatency(time.Hour)
			case "down":
				require.NoError(t, p.Close())
			}
			calls := map[string]func(ctx context.Context) error{
				"Guard.AllowSend":     func(ctx context.Context) error { return g.AllowSend(ctx, to, "192.0.2.1") },
				"Guard.Issue":         func(ctx context.Context) error { _, err := g.Issue(ctx, to); return err },
				"Guard.Check":         func(ctx context.Context) error { return g.Check(ctx, to, "123456") },
				"Guard.AllowCheck":    func(ctx context.Context) error { return g.AllowCheck(ctx, to) },
				"Guard.RecordFailure": func(ctx context.Context) error { return g.RecordFailure(ctx, to) },
				"Guard.Unlock":        func(ctx context.Context) error { return g.Unlock(ctx, to) },
				"Service.Send": func(ctx context.Context) error {
					_, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345679"})
					return err
				},
				"Service.Check":  func(ctx context.Context) error { return svc.Check(ctx, sent.Ref, code) },
				"Service.Cancel": func(ctx context.Context) error { return svc.Cancel(ctx, sent.Ref) },
			}
			asked := len(srv.Requests())
			for name, call := range calls {
				short, cancel := context.WithTimeout(ctx, deadline)
				start := time.Now()
				err := call(short)
				took := time.Since(start)
				cancel()
				worst = max(worst, took)
				require.ErrorIs(t, err, verify.ErrStore, name)
				assert.NotErrorIs(t, err, otpkit.ErrInvalidCode, name)
				assert.Less(t, took, deadline+margin, "%s outlived its deadline", name)
			}
			assert.Equal(t, asked, len(srv.Requests()), "no provider is asked without the store")
		})
	}
	t.Logf("the slowest call with a %s deadline took %s", deadline, worst.Round(time.Millisecond))
}
