package redisstore_test

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// logBuffer collects what a slog.Logger writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLog() (*logBuffer, redisstore.Option) {
	b := &logBuffer{}
	return b, redisstore.WithLogger(slog.New(slog.NewTextHandler(b, nil)))
}

func TestOpenAcceptsNoevictionWithAOF(t *testing.T) {
	addr := redistest.Start(t, redistest.WithAOF())
	log, withLog := newLog()
	s, err := redisstore.Open(context.Background(), oneServer(t, addr), withLog, redisstore.WithPrefix(uniquePrefix()))
	require.NoError(t, err)
	assert.Empty(t, log.String(), "nothing to warn about")
	got, err := s.Claim(context.Background(), "event", "holder", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "a working store")
}

func TestOpenWarnsWithoutAOF(t *testing.T) {
	addr := redistest.Start(t)
	log, withLog := newLog()
	_, err := redisstore.Open(context.Background(), oneServer(t, addr), withLog)
	require.NoError(t, err)
	assert.Contains(t, log.String(), "level=WARN")
	assert.Contains(t, log.String(), "appendonly is off")
	assert.Contains(t, log.String(), "redis="+addr)

	log, withLog = newLog()
	_, err = redisstore.Open(context.Background(), oneServer(t, redistest.Start(t, redistest.WithAOF(),
		redistest.WithConfig("appendfsync", "no"))), withLog)
	require.NoError(t, err)
	assert.Contains(t, log.String(), "appendfsync is no")
}

func TestOpenRefusesEviction(t *testing.T) {
	ctx := context.Background()
	for _, policy := range []string{"allkeys-lru", "volatile-ttl", "allkeys-random"} {
		addr := redistest.Start(t, redistest.WithAOF(), redistest.WithConfig("maxmemory-policy", policy))
		_, err := redisstore.Open(ctx, oneServer(t, addr))
		require.ErrorIs(t, err, redisstore.ErrEvictionPolicy, policy)
		assert.Contains(t, err.Error(), policy)
		assert.Contains(t, err.Error(), "WithEvictionAllowed")

		log, withLog := newLog()
		s, err := redisstore.Open(ctx, oneServer(t, addr), redisstore.WithEvictionAllowed(), withLog)
		require.NoError(t, err, "the app accepts the risk")
		assert.NotNil(t, s)
		assert.Contains(t, log.String(), "may evict")
	}
}

func TestOpenRefusesOneAddressClientOfCluster(t *testing.T) {
	addrs := sharedCluster(t)
	ctx := context.Background()
	for name, rdb := range map[string]redis.UniversalClient{
		"NewClient":                  redis.NewClient(&redis.Options{Addr: addrs[0]}),
		"NewUniversalClient, 1 addr": redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs[:1]}),
	} {
		t.Cleanup(func() { rdb.Close() })
		_, err := redisstore.Open(ctx, rdb)
		require.ErrorIs(t, err, redisstore.ErrWrongClient, name)
		assert.Contains(t, err.Error(), "NewClusterClient")
	}
	log, withLog := newLog()
	_, err := redisstore.Open(ctx, cluster(t, addrs), withLog)
	require.NoError(t, err, "a Cluster client of a Cluster")
	assert.Equal(t, len(addrs), strings.Count(log.String(), "appendonly is off"), "every node checked")
}

func TestOpenRefusesClusterClientOfOneServer(t *testing.T) {
	addr := redistest.Start(t)
	_, err := redisstore.Open(context.Background(), cluster(t, []string{addr}))
	require.ErrorIs(t, err, redisstore.ErrWrongClient)
	assert.Contains(t, err.Error(), "redis.NewClient")
}

func TestOpenRefusesUnreachableServer(t *testing.T) {
	s := redistest.StartServer(t)
	s.Kill() // nothing listens on its port now
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := redisstore.Open(ctx, rdb)
	require.Error(t, err)
	assert.NotErrorIs(t, err, redisstore.ErrWrongClient)
	assert.Contains(t, err.Error(), "does not answer")
	assert.Contains(t, err.Error(), "connection refused")
	assert.ErrorIs(t, err, verify.ErrStore, "a Redis that does not answer is a store failure")
}

// TestOpenWithoutConfig: a managed Redis that disables CONFIG is accepted,
// and the log says what was not checked.
func TestOpenWithoutConfig(t *testing.T) {
	addr := redistest.Start(t, redistest.WithConfig("maxmemory-policy", "allkeys-lru"),
		redistest.WithConfig("rename-command", "CONFIG", ""))
	require.Error(t, oneServer(t, addr).ConfigGet(context.Background(), "appendonly").Err(), "CONFIG is off")
	log, withLog := newLog()
	_, err := redisstore.Open(context.Background(), oneServer(t, addr), withLog)
	require.NoError(t, err)
	assert.Contains(t, log.String(), "were not checked")
	assert.Contains(t, log.String(), "noeviction")
}

func TestOpenSentinel(t *testing.T) {
	sentinels, master := redistest.StartSentinel(t, redistest.WithAOF())
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: master, SentinelAddrs: sentinels})
	t.Cleanup(func() { rdb.Close() })
	log, withLog := newLog()
	_, err := redisstore.Open(context.Background(), rdb, withLog)
	require.NoError(t, err)
	assert.Empty(t, log.String())
}

// TestOpenClusterFollowsFailover: on a Cluster client with go-redis's
// default options (a slot map reloaded every 60s), the store's calls reach
// the promoted replica within seconds: the store reloads the slot map
// after a connection error, its decisions (Issue here) and its webhook
// deduplication (Claim, on a client of its own) alike.
func TestOpenClusterFollowsFailover(t *testing.T) {
	c := redistest.StartClusterServers(t, 3, redistest.WithReplicasPerMaster(1), redistest.WithAOF())
	ctx := context.Background()
	prefix := uniquePrefix()
	decisions, err := redisstore.Open(ctx, cluster(t, c.Addrs()), redisstore.WithPrefix(prefix))
	require.NoError(t, err)
	hooks, err := redisstore.Open(ctx, cluster(t, c.Addrs()), redisstore.WithPrefix(prefix))
	require.NoError(t, err)

	// A recipient and a webhook event whose keys are on the same master.
	const recipient = "follow"
	old, err := c.MasterOf(ctx, prefix+"r:{"+recipient+"}")
	require.NoError(t, err)
	event := ""
	for i := 0; event == ""; i++ {
		id := "event-" + strconv.Itoa(i)
		m, err := c.MasterOf(ctx, prefix+"hook:{"+id+"}")
		require.NoError(t, err)
		if m == old {
			event = id
		}
	}
	now := time.Now()
	issue := func(ctx context.Context) error {
		return decisions.Issue(ctx, now, recipient, []byte("mac"), time.Hour)
	}
	claim := func(ctx context.Context) error {
		_, err := hooks.Claim(ctx, event, "holder", time.Millisecond)
		return err
	}
	require.NoError(t, issue(ctx))
	require.NoError(t, claim(ctx))
	admin := redis.NewClient(&redis.Options{Addr: old.Addr()})
	t.Cleanup(func() { admin.Close() })
	require.NoError(t, admin.Do(ctx, "wait", 1, 5000).Err())

	// Calls all along, as an app's traffic: they fail while the master is
	// dead, and must not keep failing once the replica took over.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, call := range []func(context.Context) error{issue, claim} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				_ = call(short)
				cancel()
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	old.Kill()
	require.NoError(t, c.WaitFailover(ctx, old))
	for name, call := range map[string]func(context.Context) error{"Issue": issue, "Claim": claim} {
		require.Eventually(t, func() bool {
			short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			return call(short) == nil
		}, 10*time.Second, 20*time.Millisecond, "%s reaches the new master within 10s of the promotion", name)
	}
}
