package redisstore_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// secret is the HMAC key the tests' Guards share.
var secret = []byte("redisstore test secret, 32 bytes or more")

// uniquePrefix is a key prefix no other store of the run uses, so that each
// store starts empty even on a shared OTPKIT_REDIS_ADDR server.
func uniquePrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "otpkit-test:" + hex.EncodeToString(b) + ":"
}

// oneServer returns a client of a single Redis server (two calls give two
// clients of the same server).
func oneServer(t testing.TB, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 64})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// cluster returns a client of a Cluster.
func cluster(t testing.TB, addrs []string) *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, PoolSize: 64})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

var (
	clusterOnce    sync.Once
	clusterServers *redistest.Cluster
	clusterErr     error
)

// sharedCluster starts one Cluster for the package's tests (it takes a few
// seconds, so they share it, each with its own key prefix); TestMain stops
// it.
func sharedCluster(t *testing.T) []string {
	t.Helper()
	redistest.Need(t)
	clusterOnce.Do(func() { clusterServers, clusterErr = redistest.NewCluster(3) })
	require.NoError(t, clusterErr)
	return clusterServers.Addrs()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if clusterServers != nil {
		clusterServers.Close()
	}
	os.Exit(code)
}

// clock is a Guard clock moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2031, 3, 4, 5, 6, 7, 891_234_567, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newGuard is a Guard on store with the shared secret and clock c.
func newGuard(t testing.TB, store verify.Store, c *clock, l verify.Limits) *verify.Guard {
	g, err := verify.NewGuard(store, verify.WithSecret(secret), verify.WithClock(c.Now), verify.WithLimits(l))
	require.NoError(t, err)
	return g
}

// store is a Store on rdb with a fresh prefix.
func store(rdb redis.UniversalClient) *redisstore.Store {
	return redisstore.New(rdb, redisstore.WithPrefix(uniquePrefix()))
}
