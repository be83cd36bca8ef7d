package redisstore_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/internal/faultproxy"
)

// once_test.go's cut on a Cluster: a fault proxy in front of every node
// (the client dials a node's proxy wherever it would dial the node, so
// the slot map keeps the nodes' own addresses), go-redis's default
// retries. A decision on a recipient keeps its answer in the recipient's
// record on a Cluster too.

// cutCluster is a client of the shared Cluster through a proxy per node.
func cutCluster(t *testing.T) ([]*faultproxy.Proxy, *redis.ClusterClient) {
	t.Helper()
	addrs := sharedCluster(t)
	via := map[string]string{}
	var proxies []*faultproxy.Proxy
	for _, a := range addrs {
		p := faultproxy.Start(t, a)
		proxies = append(proxies, p)
		via[a] = p.Addr()
	}
	var d net.Dialer
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if p, ok := via[addr]; ok {
				addr = p
			}
			return d.DialContext(ctx, network, addr)
		}})
	t.Cleanup(func() { rdb.Close() })
	return proxies, rdb
}

// cutAny runs call with the reply of the next EVALSHA dropped, on
// whichever node it goes to, and fails the test unless one was dropped.
func cutAny(t *testing.T, proxies []*faultproxy.Proxy, call func() error) error {
	t.Helper()
	cuts := func() (n int) {
		for _, p := range proxies {
			n += p.Cuts()
		}
		return n
	}
	before := cuts()
	for _, p := range proxies {
		p.CutAfterReply(1, "evalsha")
	}
	err := call()
	for _, p := range proxies {
		p.Heal()
	}
	require.Equal(t, before+1, cuts(), "the proxies dropped one reply")
	return err
}

func TestCutReplyOnClusterCountsOnce(t *testing.T) {
	proxies, rdb := cutCluster(t)
	// The recipient's rules alone, so that AllowSend is one EVALSHA.
	g := newGuard(t, redisstore.New(rdb, redisstore.WithPrefix(uniquePrefix())), newClock(), verify.Limits{
		MaxAttempts: 5, MaxFailures: 3, SendInterval: -1, ConversionWindow: -1,
		RecipientSends: verify.Rate{Count: 3, Per: time.Hour}, IPSends: verify.Rate{Count: -1}, PrefixSends: verify.Rate{Count: -1}})
	warmGuard(t, g)
	ctx := context.Background()
	const r = "+4917012345678"

	require.NoError(t, cutAny(t, proxies, func() error { return g.AllowSend(ctx, r, "192.0.2.7") }))
	require.NoError(t, g.AllowSend(ctx, r, "192.0.2.7"), "send 2 of 3")
	require.NoError(t, g.AllowSend(ctx, r, "192.0.2.7"), "send 3 of 3")
	var le *verify.LimitError
	require.ErrorAs(t, g.AllowSend(ctx, r, "192.0.2.7"), &le, "the cut send counted once")

	code, err := g.Issue(ctx, r)
	require.NoError(t, err)
	var ice *verify.InvalidCodeError
	require.ErrorAs(t, cutAny(t, proxies, func() error { return g.Check(ctx, r, wrongCode(code)) }), &ice)
	assert.Equal(t, 4, ice.AttemptsLeft, "one attempt of 5")
	require.ErrorAs(t, g.Check(ctx, r, wrongCode(code)), &ice)
	assert.Equal(t, 3, ice.AttemptsLeft, "two attempts of 5: the cut check counted once")

	require.NoError(t, cutAny(t, proxies, func() error { return g.Check(ctx, r, code) }),
		"the retry answers verified: the first run used the code up")
	require.ErrorIs(t, g.Check(ctx, r, code), otpkit.ErrNotFound, "used once")

	// Two failures of 3 so far; a cut RecordFailure makes three, not four.
	require.NoError(t, cutAny(t, proxies, func() error { return g.RecordFailure(ctx, r) }))
	require.ErrorAs(t, g.AllowCheck(ctx, r), &le, "three failures of 3")
	require.NoError(t, g.Unlock(ctx, r))
	require.NoError(t, g.RecordFailure(ctx, r))
	require.NoError(t, g.RecordFailure(ctx, r))
	require.NoError(t, g.AllowCheck(ctx, r), "two failures after the unlock")
}
