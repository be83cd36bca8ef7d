package redisstore_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/internal/faultproxy"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// replicated is a master and a replica that replicates it, through a fault
// proxy (link, so that a test can delay the link, or cut it) or directly
// (link nil).
type replicated struct {
	master, replica *redistest.Server
	link            *faultproxy.Proxy
}

// startReplicated starts a master and its replica, linked through a fault
// proxy or not, and waits until the replica is in sync.
func startReplicated(t testing.TB, viaProxy bool) replicated {
	t.Helper()
	r := replicated{master: redistest.StartServer(t), replica: redistest.StartServer(t)}
	addr := r.master.Addr()
	if viaProxy {
		r.link = faultproxy.Start(t, addr)
		addr = r.link.Addr()
	}
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, oneServer(t, r.replica.Addr()).ReplicaOf(ctx, host, port).Err())
	master := oneServer(t, r.master.Addr())
	require.Eventually(t, func() bool {
		info, err := master.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "connected_slaves:1") && strings.Contains(info, "state=online")
	}, 30*time.Second, 20*time.Millisecond, "the replica is in sync")
	// And acknowledges a write within WAIT's timeout (a first WAIT after
	// the sync once took over 100ms on this busy machine).
	require.Eventually(t, func() bool {
		pipe := master.Pipeline()
		pipe.Set(ctx, "replicated", "yes", 0)
		acks := pipe.Do(ctx, "wait", 1, 100)
		_, _ = pipe.Exec(ctx)
		n, err := acks.Int64()
		return err == nil && n == 1
	}, 30*time.Second, 20*time.Millisecond, "the replica acknowledges writes")
	return r
}

// waitInSync waits until the replica has every write the master made so far.
func (r replicated) waitInSync(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	offset := func(addr, field string) int64 {
		info, err := oneServer(t, addr).Info(ctx, "replication").Result()
		require.NoError(t, err)
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				require.NoError(t, err)
				return n
			}
		}
		t.Fatalf("no %s in INFO replication of %s", field, addr)
		return 0
	}
	want := offset(r.master.Addr(), "master_repl_offset")
	require.Eventually(t, func() bool { return offset(r.replica.Addr(), "slave_repl_offset") >= want },
		30*time.Second, 20*time.Millisecond, "the replica catches up")
}

// TestWithReplicasFailsClosedWithoutReplica: with WithReplicas(1, …), a
// decision that no replica acknowledged in time is an error satisfying
// verify.ErrStore: with the replica paused (it takes the writes and never
// acknowledges), and with it gone.
func TestWithReplicasFailsClosedWithoutReplica(t *testing.T) {
	r := startReplicated(t, false)
	ctx := context.Background()
	g := newGuard(t, redisstore.New(oneServer(t, r.master.Addr()), redisstore.WithPrefix(uniquePrefix()),
		redisstore.WithReplicas(1, 100*time.Millisecond)), newClock(), verify.Limits{SendInterval: -1})
	const to = "+4917012345678"
	decisions := map[string]func() error{
		"AllowSend":     func() error { return g.AllowSend(ctx, to, "192.0.2.1") },
		"Issue":         func() error { _, err := g.Issue(ctx, to); return err },
		"Check":         func() error { return g.Check(ctx, to, "123456") },
		"RecordFailure": func() error { return g.RecordFailure(ctx, to) },
		"Unlock":        func() error { return g.Unlock(ctx, to) },
	}
	// With the replica in sync, every decision is acknowledged.
	require.NoError(t, g.AllowSend(ctx, to, "192.0.2.1"))
	code, err := g.Issue(ctx, to)
	require.NoError(t, err)
	require.ErrorIs(t, g.Check(ctx, to, wrongCode(code)), otpkit.ErrInvalidCode)
	require.NoError(t, g.Check(ctx, to, code))

	require.NoError(t, r.replica.Pause())
	for name, decide := range decisions {
		err := decide()
		require.ErrorIs(t, err, verify.ErrStore, "%s with the replica paused", name)
		assert.Contains(t, err.Error(), "0 of 1 replicas acknowledged")
	}
	require.NoError(t, r.replica.Resume())
	require.Eventually(t, func() bool { return g.Unlock(ctx, to) == nil }, 10*time.Second, 20*time.Millisecond,
		"acknowledged again once the replica runs")

	r.replica.Kill()
	for name, decide := range decisions {
		require.ErrorIs(t, decide(), verify.ErrStore, "%s with the replica gone", name)
	}
}

// lossyFailover makes the crash state (see aof_test.go) on a master whose
// replica's link lags by 300ms (the codes reach the replica; what comes
// after them is decided in the lag), then kills the master with what the
// link held (the replica never gets it), promotes the replica, and returns
// what of the acknowledged state the promoted replica lost.
func lossyFailover(t *testing.T, opts ...redisstore.Option) []string {
	t.Helper()
	r := startReplicated(t, true)
	prefix := uniquePrefix()
	c := newClock()
	g := newGuard(t, redisstore.New(oneServer(t, r.master.Addr()), append(opts, redisstore.WithPrefix(prefix))...),
		c, crashLimits)
	r.link.SetLatency(300 * time.Millisecond)
	codes := makeCrashState(t, g, func() { r.waitInSync(t) })

	require.NoError(t, r.link.Close()) // what it held is lost
	r.master.Kill()
	promoted := oneServer(t, r.replica.Addr())
	require.NoError(t, promoted.ReplicaOf(context.Background(), "no", "one").Err())
	return crashStateKept(t, newGuard(t, redisstore.New(promoted, redisstore.WithPrefix(prefix)), c, crashLimits), codes)
}

// TestWithReplicasLossyFailover: a failover to a replica whose link lagged
// loses nothing the store acknowledged with WithReplicas(1, …): a locked
// code stays locked, a used code used, every send window and failure
// budget full. Without it, the same failover loses what the lag held.
func TestWithReplicasLossyFailover(t *testing.T) {
	assert.Empty(t, lossyFailover(t, redisstore.WithReplicas(1, 5*time.Second)), "lost with WithReplicas")

	lost := lossyFailover(t)
	t.Logf("without WithReplicas, the failover lost: %s", strings.Join(lost, "; "))
	// The control: the lag held acknowledged decisions, and the promoted
	// replica accepts the locked code and the used one.
	assert.Contains(t, strings.Join(lost, "; "), "the locked code stays locked (got <nil>)")
	assert.Contains(t, strings.Join(lost, "; "), "the used code stays used (got <nil>)")
}

// TestWithReplicasWaitsForWebhookMarks: under WithReplicas(1, …) the
// webhook Deduper's Claim, Done and Release wait for the replica as the
// Guard's decisions do: acknowledged while it runs, an error while it is
// paused (a done mark a failover could lose is not reported as kept).
func TestWithReplicasWaitsForWebhookMarks(t *testing.T) {
	r := startReplicated(t, false)
	ctx := context.Background()
	s := redisstore.New(oneServer(t, r.master.Addr()), redisstore.WithPrefix(uniquePrefix()),
		redisstore.WithReplicas(1, 100*time.Millisecond))
	got, err := s.Claim(ctx, "event-1", "holder-1", time.Minute)
	require.NoError(t, err)
	require.True(t, got)
	require.NoError(t, s.Release(ctx, "event-1", "holder-1"))
	got, err = s.Claim(ctx, "event-1", "holder-2", time.Minute)
	require.NoError(t, err)
	require.True(t, got, "released by its holder")
	require.NoError(t, s.Done(ctx, "event-1", time.Hour))

	require.NoError(t, r.replica.Pause())
	_, err = s.Claim(ctx, "event-2", "holder-3", time.Minute)
	assert.ErrorContains(t, err, "0 of 1 replicas acknowledged", "Claim")
	assert.ErrorContains(t, s.Done(ctx, "event-2", time.Hour), "0 of 1 replicas acknowledged", "Done")
	assert.ErrorContains(t, s.Release(ctx, "event-2", "holder-3"), "0 of 1 replicas acknowledged", "Release")
	require.NoError(t, r.replica.Resume())
	require.Eventually(t, func() bool { return s.Done(ctx, "event-2", time.Hour) == nil }, 10*time.Second, 20*time.Millisecond,
		"acknowledged again once the replica runs")
}
