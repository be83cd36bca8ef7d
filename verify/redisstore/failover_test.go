package redisstore_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// Two app instances (two clients with the README's options, two Guards on
// the same prefix) under load while the master that holds their keys is
// killed: see failover in failover_load_test.go for what must hold.

// loadGuards opens a store on each client and makes a Guard on each.
func loadGuards(t *testing.T, prefix string, clients ...redis.UniversalClient) [2]*verify.Guard {
	t.Helper()
	var guards [2]*verify.Guard
	for i, rdb := range clients {
		t.Cleanup(func() { rdb.Close() })
		s, err := redisstore.Open(context.Background(), rdb, redisstore.WithPrefix(prefix))
		require.NoError(t, err)
		guards[i], err = verify.NewGuard(s, verify.WithSecret(secret), verify.WithLimits(loadLimits))
		require.NoError(t, err)
	}
	return guards
}

// TestClusterFailoverUnderLoad: a Cluster of 3 masters with a replica each.
func TestClusterFailoverUnderLoad(t *testing.T) {
	c := redistest.StartClusterServers(t, 3, redistest.WithReplicasPerMaster(1), redistest.WithAOF())
	newClient := func() redis.UniversalClient {
		// No ClusterStateReloadInterval (go-redis's default: 60s): the
		// store reloads the slot map itself after a connection error.
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(),
			ContextTimeoutEnabled: true, ReadTimeout: time.Second, WriteTimeout: time.Second})
	}
	prefix := uniquePrefix()
	guards := loadGuards(t, prefix, newClient(), newClient())
	admin := cluster(t, c.Addrs())
	failover(t, guards, func(ctx context.Context) time.Time {
		// The master of a recipient's key that the load wrote.
		var mu sync.Mutex
		var key string
		require.NoError(t, admin.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			keys, _, err := m.Scan(ctx, 0, prefix+"rcpt:*", 1000).Result()
			mu.Lock()
			defer mu.Unlock()
			if len(keys) > 0 && key == "" {
				key = keys[0]
			}
			return err
		}))
		require.NotEmpty(t, key, "the load wrote recipients")
		old, err := c.MasterOf(ctx, key)
		require.NoError(t, err)
		masters, err := c.Masters(ctx)
		require.NoError(t, err)
		var replicas []*redistest.Server
		for _, n := range c.Nodes() {
			if !slices.Contains(masters, n) {
				replicas = append(replicas, n)
			}
		}
		old.Kill()
		promoted := promotion(ctx, t, replicas)
		require.NoError(t, c.WaitFailover(ctx, old))
		return promoted
	})
}

// TestSentinelFailoverUnderLoad: a master, a replica and 3 Sentinels.
func TestSentinelFailoverUnderLoad(t *testing.T) {
	s := redistest.StartSentinelServers(t, redistest.WithAOF())
	newClient := func() redis.UniversalClient {
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: s.MasterName(), SentinelAddrs: s.Addrs(),
			ContextTimeoutEnabled: true, ReadTimeout: time.Second, WriteTimeout: time.Second})
	}
	guards := loadGuards(t, uniquePrefix(), newClient(), newClient())
	failover(t, guards, func(ctx context.Context) time.Time {
		old, err := s.Master(ctx)
		require.NoError(t, err)
		var replicas []*redistest.Server
		for _, n := range s.Servers() {
			if n != old {
				replicas = append(replicas, n)
			}
		}
		old.Kill()
		promoted := promotion(ctx, t, replicas)
		_, err = s.WaitFailover(ctx, old)
		require.NoError(t, err)
		return promoted
	})
}
