package faultproxy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify/redisstore/internal/faultproxy"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

func client(t *testing.T, o *redis.Options) *redis.Client {
	rdb := redis.NewClient(o)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestForwardsEveryReplyShape: through the proxy a client gets what it gets
// from the server directly, in RESP2 and RESP3, pipelined or not.
func TestForwardsEveryReplyShape(t *testing.T) {
	addr := redistest.Start(t)
	p := faultproxy.Start(t, addr)
	ctx := context.Background()
	big := strings.Repeat("x", 1<<20)
	script := `return {1, "two", {3, {"four"}}, redis.call("HGETALL", KEYS[1]), false}`
	for _, proto := range []int{2, 3} {
		direct := client(t, &redis.Options{Addr: addr, Protocol: proto})
		via := client(t, &redis.Options{Addr: p.Addr(), Protocol: proto, MaxRetries: -1})
		require.NoError(t, direct.HSet(ctx, "h", "a", "1", "b", "2").Err())
		require.NoError(t, direct.Set(ctx, "big", big, 0).Err())
		for _, rdb := range []*redis.Client{direct, via} {
			assert.Equal(t, map[string]string{"a": "1", "b": "2"}, rdb.HGetAll(ctx, "h").Val(), "RESP%d map", proto)
			assert.Equal(t, big, rdb.Get(ctx, "big").Val())
			assert.ErrorIs(t, rdb.Get(ctx, "missing").Err(), redis.Nil)
			v, err := rdb.Eval(ctx, script, []string{"h"}).Result()
			require.NoError(t, err)
			assert.Len(t, v, 5)
			assert.Nil(t, v.([]any)[4], "a Lua false is a null")
			assert.ErrorContains(t, rdb.Eval(ctx, `return redis.error_reply("NOPE no")`, nil).Err(), "NOPE")
			d, err := rdb.Do(ctx, "eval", `redis.setresp(3); return {double=1.5}`, 0).Result()
			require.NoError(t, err)
			assert.Equal(t, "1.5", fmt.Sprint(d), "a RESP3 double")
			cmds, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
				for range 100 {
					pipe.Incr(ctx, "n")
				}
				return nil
			})
			require.NoError(t, err)
			assert.Len(t, cmds, 100)
		}
	}
	assert.Zero(t, p.Cuts())
}

func TestInlineCommand(t *testing.T) {
	p := faultproxy.Start(t, redistest.Start(t))
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("PING\r\n"))
	require.NoError(t, err)
	b := make([]byte, 7)
	_, err = io.ReadFull(c, b)
	require.NoError(t, err)
	assert.Equal(t, "+PONG\r\n", string(b))
}

// TestLatency: a reply comes at least the latency late; a deadline shorter
// than it ends the call.
func TestLatency(t *testing.T) {
	p := faultproxy.Start(t, redistest.Start(t))
	rdb := client(t, &redis.Options{Addr: p.Addr(), MaxRetries: -1, ContextTimeoutEnabled: true})
	ctx := context.Background()
	require.NoError(t, rdb.Ping(ctx).Err()) // the connection's handshake, without latency
	p.SetLatency(300 * time.Millisecond)
	start := time.Now()
	require.NoError(t, rdb.Ping(ctx).Err())
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var ne net.Error
	require.ErrorAs(t, rdb.Ping(short).Err(), &ne, "go-redis sets the context's deadline on the connection")
	assert.True(t, ne.Timeout())
	p.Heal()
	require.NoError(t, rdb.Ping(ctx).Err())
}

// TestBlackHole: nothing reaches the server, nothing comes back; old and new
// connections alike; after Heal, new connections work.
func TestBlackHole(t *testing.T) {
	addr := redistest.Start(t)
	p := faultproxy.Start(t, addr)
	direct := client(t, &redis.Options{Addr: addr})
	via := client(t, &redis.Options{Addr: p.Addr(), MaxRetries: -1, ReadTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	require.NoError(t, via.Incr(ctx, "n").Err())

	p.SetBlackHole(true)
	var ne net.Error
	require.ErrorAs(t, via.Incr(ctx, "n").Err(), &ne, "an open connection")
	assert.True(t, ne.Timeout())
	fresh := client(t, &redis.Options{Addr: p.Addr(), MaxRetries: -1, ReadTimeout: 200 * time.Millisecond, Protocol: 2})
	require.ErrorAs(t, fresh.Incr(ctx, "n").Err(), &ne, "a new connection")
	assert.True(t, ne.Timeout())
	assert.Equal(t, "1", direct.Get(ctx, "n").Val(), "the server never got the commands")

	p.Heal()
	require.NoError(t, via.Incr(ctx, "n").Err())
	assert.Equal(t, "2", direct.Get(ctx, "n").Val())
}

// TestCutAfterReply: the server runs the command, the client loses the
// reply and its connection; go-redis's retries run it again.
func TestCutAfterReply(t *testing.T) {
	addr := redistest.Start(t)
	p := faultproxy.Start(t, addr)
	direct := client(t, &redis.Options{Addr: addr})
	ctx := context.Background()

	noRetry := client(t, &redis.Options{Addr: p.Addr(), MaxRetries: -1})
	p.CutAfterReply(1)
	err := noRetry.Incr(ctx, "n").Err()
	require.Error(t, err)
	assert.True(t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "reset"), "%v", err)
	assert.Equal(t, "1", direct.Get(ctx, "n").Val(), "the server ran it")
	assert.Equal(t, 1, p.Cuts())
	assert.EqualValues(t, 2, noRetry.Incr(ctx, "n").Val(), "one cut only; the client reconnects")

	retries := client(t, &redis.Options{Addr: p.Addr(), MaxRetries: 3})
	p.CutAfterReply(2)
	assert.EqualValues(t, 5, retries.Incr(ctx, "n").Val(), "cut twice, so run three times for one call")
	assert.Equal(t, 3, p.Cuts())

	p.CutAfterReply(1, "INCR")
	require.NoError(t, retries.Set(ctx, "k", "v", 0).Err(), "a command not named is not cut")
	assert.Equal(t, 3, p.Cuts())
	assert.EqualValues(t, 7, retries.Incr(ctx, "n").Val())
	assert.Equal(t, 4, p.Cuts())
}

// TestReplicaThroughProxy: a replica replicates through the proxy; with a
// latency its master's writes wait in the proxy, and closing the proxy
// loses them, as when a lagging replica's master dies.
func TestReplicaThroughProxy(t *testing.T) {
	master := redistest.Start(t)
	replica := redistest.Start(t)
	p := faultproxy.Start(t, master)
	ctx := context.Background()
	m := client(t, &redis.Options{Addr: master})
	r := client(t, &redis.Options{Addr: replica})
	host, port, _ := net.SplitHostPort(p.Addr())
	require.NoError(t, r.Do(ctx, "replicaof", host, port).Err())
	require.NoError(t, m.Set(ctx, "a", "1", 0).Err())
	require.Eventually(t, func() bool { return r.Get(ctx, "a").Val() == "1" }, 30*time.Second, 20*time.Millisecond)
	acked, err := m.Do(ctx, "wait", 1, 5000).Int()
	require.NoError(t, err)
	assert.Equal(t, 1, acked)

	p.SetLatency(time.Hour)
	require.NoError(t, m.Set(ctx, "b", "2", 0).Err())
	acked, err = m.Do(ctx, "wait", 1, 300).Int()
	require.NoError(t, err)
	assert.Zero(t, acked, "the replica did not get the write")
	require.NoError(t, p.Close())
	require.NoError(t, r.Do(ctx, "replicaof", "no", "one").Err())
	assert.ErrorIs(t, r.Get(ctx, "b").Err(), redis.Nil, "the held write is lost")
	assert.Equal(t, "1", r.Get(ctx, "a").Val())
}

func TestUpstreamDown(t *testing.T) {
	s := redistest.StartServer(t)
	p := faultproxy.Start(t, s.Addr())
	s.Kill()
	rdb := client(t, &redis.Options{Addr: p.Addr(), MaxRetries: -1, DialerRetries: 1})
	assert.Error(t, rdb.Ping(context.Background()).Err())
}
