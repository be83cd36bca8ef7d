package redistest_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

func client(t *testing.T, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func configGet(t *testing.T, rdb *redis.Client, name string) string {
	v, err := rdb.ConfigGet(context.Background(), name).Result()
	require.NoError(t, err)
	return v[name]
}

func TestStartConfigures(t *testing.T) {
	rdb := client(t, redistest.Start(t))
	assert.Equal(t, "no", configGet(t, rdb, "appendonly"))
	assert.Equal(t, "127.0.0.1", configGet(t, rdb, "bind"), "loopback only")

	rdb = client(t, redistest.Start(t, redistest.WithAOF(), redistest.WithConfig("maxmemory-policy", "allkeys-lru")))
	assert.Equal(t, "yes", configGet(t, rdb, "appendonly"))
	assert.Equal(t, "everysec", configGet(t, rdb, "appendfsync"))
	assert.Equal(t, "allkeys-lru", configGet(t, rdb, "maxmemory-policy"))
}

func TestTwoServersAreApart(t *testing.T) {
	a, b := redistest.Start(t), redistest.Start(t)
	require.NotEqual(t, a, b)
	ctx := context.Background()
	require.NoError(t, client(t, a).Set(ctx, "k", "a", 0).Err())
	assert.ErrorIs(t, client(t, b).Get(ctx, "k").Err(), redis.Nil)
}

// TestKillAndRestart: a SIGKILL keeps what the persistence wrote; a
// SIGTERM saves.
func TestKillAndRestart(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts []redistest.Option
		stop func(*redistest.Server)
		kept bool
	}{
		{"kill, RDB only", nil, (*redistest.Server).Kill, false},
		{"kill, AOF", []redistest.Option{redistest.WithAOF()}, (*redistest.Server).Kill, true},
		{"stop, RDB only", nil, (*redistest.Server).Stop, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := redistest.StartServer(t, tc.opts...)
			rdb := client(t, s.Addr())
			require.NoError(t, rdb.Set(ctx, "k", "v", 0).Err())
			tc.stop(s)
			assert.False(t, s.Running())
			assert.Error(t, rdb.Ping(ctx).Err(), "stopped")
			require.NoError(t, s.Restart())
			assert.True(t, s.Running())
			v, err := rdb.Get(ctx, "k").Result()
			if tc.kept {
				require.NoError(t, err)
				assert.Equal(t, "v", v)
			} else {
				assert.ErrorIs(t, err, redis.Nil)
			}
		})
	}
}

func TestPauseResume(t *testing.T) {
	s := redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, ReadTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	require.NoError(t, rdb.Ping(ctx).Err())
	require.NoError(t, s.Pause())
	err := rdb.Ping(ctx).Err()
	var ne net.Error
	require.ErrorAs(t, err, &ne, "a paused server answers nothing")
	assert.True(t, ne.Timeout())
	require.NoError(t, s.Resume())
	require.NoError(t, rdb.Ping(ctx).Err())
	require.NoError(t, s.Pause())
	s.Stop() // a paused server still stops
	assert.False(t, s.Running())
}

func TestNewServerClose(t *testing.T) {
	redistest.Need(t)
	s, err := redistest.NewServer()
	require.NoError(t, err)
	require.NoError(t, client(t, s.Addr()).Ping(context.Background()).Err())
	s.Close()
	assert.False(t, s.Running())
	_, err = os.Stat(s.Dir())
	assert.True(t, errors.Is(err, os.ErrNotExist), "data deleted: %v", err)
	_, err = net.DialTimeout("tcp", s.Addr(), time.Second)
	assert.Error(t, err, "nothing listens any more")
}

func TestClusterOneMaster(t *testing.T) {
	addrs := redistest.StartCluster(t, 1)
	require.Len(t, addrs, 1)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	require.NoError(t, rdb.Set(ctx, "k", "v", 0).Err())
	assert.Equal(t, "v", rdb.Get(ctx, "k").Val())
}

// TestClusterFailover: a killed master's replica takes over; restarted,
// the old master comes back as a replica.
func TestClusterFailover(t *testing.T) {
	c := redistest.StartClusterServers(t, 3, redistest.WithReplicasPerMaster(1))
	require.Len(t, c.Addrs(), 6)
	ctx := context.Background()
	masters, err := c.Masters(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, c.Nodes()[:3], masters, "the first nodes are the masters")

	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), ClusterStateReloadInterval: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		require.NoError(t, rdb.Set(ctx, k, "v-"+k, 0).Err())
	}
	old, err := c.MasterOf(ctx, "a")
	require.NoError(t, err)
	// Its replica has the key before the master dies.
	require.NoError(t, rdb.Do(ctx, "wait", 1, 5000).Err())

	old.Kill()
	require.NoError(t, c.WaitFailover(ctx, old))
	next, err := c.MasterOf(ctx, "a")
	require.NoError(t, err)
	assert.NotSame(t, old, next)
	assert.NotContains(t, c.Nodes()[:3], next, "a replica took over")
	require.Eventually(t, func() bool { return rdb.Get(ctx, "a").Val() == "v-a" }, 30*time.Second, 50*time.Millisecond)

	require.NoError(t, old.Restart())
	require.NoError(t, c.WaitHealthy(ctx))
	role, err := client(t, old.Addr()).Do(ctx, "role").Slice()
	require.NoError(t, err)
	assert.Equal(t, "slave", role[0], "the old master came back as a replica")
}

func TestClusterWithoutReplicaDoesNotFailOver(t *testing.T) {
	c := redistest.StartClusterServers(t, 3)
	ctx := context.Background()
	old, err := c.MasterOf(ctx, "a")
	require.NoError(t, err)
	old.Kill()
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	assert.ErrorIs(t, c.WaitFailover(short, old), context.DeadlineExceeded)
}

// TestSentinelFailover: Sentinels promote the replica of a killed master,
// and a go-redis failover client follows.
func TestSentinelFailover(t *testing.T) {
	s := redistest.StartSentinelServers(t)
	require.Len(t, s.Addrs(), 3)
	require.Len(t, s.Servers(), 2)
	ctx := context.Background()
	old, err := s.Master(ctx)
	require.NoError(t, err)
	assert.Same(t, s.Servers()[0], old)

	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: s.MasterName(), SentinelAddrs: s.Addrs()})
	t.Cleanup(func() { rdb.Close() })
	require.NoError(t, rdb.Set(ctx, "k", "v", 0).Err())
	require.NoError(t, rdb.Do(ctx, "wait", 1, 5000).Err())

	old.Kill()
	next, err := s.WaitFailover(ctx, old)
	require.NoError(t, err)
	assert.Same(t, s.Servers()[1], next)
	m, err := s.Master(ctx)
	require.NoError(t, err)
	assert.Same(t, next, m)
	require.Eventually(t, func() bool { return rdb.Set(ctx, "k2", "v2", 0).Err() == nil }, 30*time.Second, 50*time.Millisecond,
		"the failover client writes to the new master")
	assert.Equal(t, "v", rdb.Get(ctx, "k").Val())

	require.NoError(t, s.Rejoin(ctx, old))
	role, err := client(t, old.Addr()).Do(ctx, "role").Slice()
	require.NoError(t, err)
	assert.Equal(t, "slave", role[0], "the old master came back as a replica")
	assert.Equal(t, "v2", client(t, old.Addr()).Get(ctx, "k2").Val(), "with the new master's data")
	m, err = s.Master(ctx)
	require.NoError(t, err)
	assert.Same(t, next, m, "the Sentinels keep the new master")
}

func TestStartSentinelAddrs(t *testing.T) {
	sentinels, master := redistest.StartSentinel(t)
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: master, SentinelAddrs: sentinels})
	t.Cleanup(func() { rdb.Close() })
	require.NoError(t, rdb.Ping(context.Background()).Err())
}

// TestNeedWithoutRedis runs this test binary again without redis-server on
// the PATH: Need skips, saying how to install Redis; under CI=true it fails.
func TestNeedWithoutRedis(t *testing.T) {
	if os.Getenv("REDISTEST_CHILD") == "1" {
		redistest.Need(t)
		t.Fatal("Need returned without redis-server on the PATH")
	}
	for ci, want := range map[string]string{"": "--- SKIP", "true": "--- FAIL"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedWithoutRedis$", "-test.v")
		cmd.Env = append(os.Environ(), "REDISTEST_CHILD=1", "PATH="+t.TempDir(), "CI="+ci)
		out, _ := cmd.CombinedOutput()
		assert.Contains(t, string(out), want, "CI=%q", ci)
		assert.Contains(t, string(out), "apt-get install redis-server")
		assert.NotContains(t, string(out), "Need returned")
	}
}
