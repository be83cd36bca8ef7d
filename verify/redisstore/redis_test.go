package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// fillRecipient is the i-th recipient of fillStore.
func fillRecipient(i int) string { return fmt.Sprintf("+49%011d", 17000000000+i*7919000) }

// fillKeys is how many keys fillStore makes: per recipient its record, an
// IP and a webhook event; and its prefixes.
func fillKeys(digits int) int {
	prefixes := map[string]bool{}
	for i := range 30 {
		prefixes[fillRecipient(i)[1:1+digits]] = true
	}
	// Per recipient its record, its IP's log and its webhook mark; per
	// prefix its record (send log and conversion counter); one conversion
	// counter for the country (every recipient is +49).
	return 3*30 + len(prefixes) + 1
}

// fillStore makes every kind of key the store writes, through g and s, and
// returns the codes it issued (used, locked and live ones).
func fillStore(t *testing.T, g *verify.Guard, s *redisstore.Store) []string {
	ctx := context.Background()
	var codes []string
	for i := range 30 {
		r := fillRecipient(i)
		require.NoError(t, g.AllowSend(ctx, r, fmt.Sprintf("192.0.2.%d", i)))
		code, err := g.Issue(ctx, r)
		require.NoError(t, err)
		codes = append(codes, code)
		wrong := "1" + code[1:]
		if wrong == code {
			wrong = "2" + code[1:]
		}
		require.ErrorIs(t, g.Check(ctx, r, wrong), otpkit.ErrInvalidCode)
		require.NoError(t, g.RecordFailure(ctx, r))
		switch i % 3 {
		case 0:
			require.NoError(t, g.Check(ctx, r, code)) // used
		case 1:
			code, err = g.Issue(ctx, r) // replaced, live
			require.NoError(t, err)
			codes = append(codes, code)
		}
		got, err := s.Claim(ctx, fmt.Sprintf("event-%d", i), "holder", time.Minute)
		require.NoError(t, err)
		require.True(t, got)
		if i%2 == 0 {
			require.NoError(t, s.Done(ctx, fmt.Sprintf("event-%d", i), time.Hour))
		}
	}
	return codes
}

// checkKeys scans every key of prefix on rdb (a server or a Cluster node):
// no key or value holds a code in clear, every key has a TTL. It returns
// the number of keys but the operations' answers, which live for 30 s at
// most (see the once scripts).
func checkKeys(t *testing.T, rdb *redis.Client, prefix string, codes []string) int {
	ctx := context.Background()
	n := 0
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		ttl, err := rdb.PTTL(ctx, key).Result()
		require.NoError(t, err)
		assert.Positive(t, ttl, "key %q has no TTL", key)
		// An operation's answer: under an operation's key, or moved out of a
		// recipient's record (its key, ":op:" and the operation's id).
		if strings.HasPrefix(key, prefix+"op:") || strings.HasPrefix(key, prefix+"rcpt:{") && strings.Contains(key, "}:op:") {
			assert.LessOrEqual(t, ttl, 30*time.Second, "an operation's answer is kept briefly")
		} else {
			n++
		}
		var content strings.Builder
		content.WriteString(key)
		switch typ := rdb.Type(ctx, key).Val(); typ {
		case "string":
			content.WriteString(rdb.Get(ctx, key).Val())
		case "hash":
			for f, v := range rdb.HGetAll(ctx, key).Val() {
				content.WriteString(" " + f + "=" + v)
			}
		default:
			t.Errorf("key %q is a %s", key, typ)
		}
		for _, code := range codes {
			assert.NotContains(t, content.String(), code, "key %q holds a code in clear", key)
		}
	}
	require.NoError(t, iter.Err())
	return n
}

func TestNoCodeInClearEveryKeyHasTTL(t *testing.T) {
	// 10-digit codes: a 6-digit one could turn up inside a stored timestamp
	// by chance, a 10-digit one practically never.
	l := verify.Limits{CodeLength: 10, SendInterval: -1, MaxFailures: 100}
	t.Run("one server", func(t *testing.T) {
		rdb := oneServer(t, redistest.Addr(t))
		p := uniquePrefix()
		s := redisstore.New(rdb, redisstore.WithPrefix(p))
		codes := fillStore(t, newGuard(t, s, newClock(), l), s)
		assert.Equal(t, fillKeys(8), checkKeys(t, rdb, p, codes), "keys: recipients, IPs, hooks, prefixes")
	})
	t.Run("cluster", func(t *testing.T) {
		rdb := cluster(t, sharedCluster(t))
		p := uniquePrefix()
		s := redisstore.New(rdb, redisstore.WithPrefix(p))
		codes := fillStore(t, newGuard(t, s, newClock(), l), s)
		var mu sync.Mutex
		total := 0
		require.NoError(t, rdb.ForEachMaster(context.Background(), func(ctx context.Context, node *redis.Client) error {
			n := checkKeys(t, node, p, codes)
			mu.Lock()
			total += n
			mu.Unlock()
			return nil
		}))
		assert.Equal(t, fillKeys(8), total)
	})
}

func TestRedisStoppedThenRestarted(t *testing.T) {
	srv := redistest.StartServer(t) // its own server: this test stops it
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: 300 * time.Millisecond,
		ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	c := newClock()
	g := newGuard(t, redisstore.New(rdb), c, verify.Limits{MaxAttempts: 3, SendInterval: -1,
		RecipientSends: verify.Rate{Count: 2, Per: time.Hour}})
	ctx := context.Background()
	const r = "+4917012345678"
	require.NoError(t, g.AllowSend(ctx, r, "192.0.2.1"))
	require.NoError(t, g.AllowSend(ctx, r, "192.0.2.1"))
	code, err := g.Issue(ctx, r)
	require.NoError(t, err)
	wrong := "1" + code[1:]
	if wrong == code {
		wrong = "2" + code[1:]
	}
	require.ErrorIs(t, g.Check(ctx, r, wrong), otpkit.ErrInvalidCode)

	srv.Stop()
	err = g.Check(ctx, r, code)
	require.Error(t, err, "Redis down: never verified")
	assert.False(t, errors.Is(err, otpkit.ErrInvalidCode) || errors.Is(err, otpkit.ErrNotFound), "a store failure, not a decision: %v", err)
	err = g.AllowSend(ctx, "+4917000000000", "192.0.2.9")
	require.Error(t, err, "Redis down: never allowed")
	assert.NotErrorIs(t, err, otpkit.ErrRateLimited)
	_, err = g.Issue(ctx, r)
	require.Error(t, err)
	require.Error(t, g.AllowCheck(ctx, r))

	require.NoError(t, srv.Restart())
	c.Advance(time.Minute)
	var le *verify.LimitError
	require.ErrorAs(t, g.AllowSend(ctx, r, "192.0.2.1"), &le, "the send count survived the restart")
	assert.Equal(t, verify.RuleRecipientSends, le.Rule)
	var ice *verify.InvalidCodeError
	require.ErrorAs(t, g.Check(ctx, r, wrong), &ice)
	assert.Equal(t, 1, ice.AttemptsLeft, "the attempts survived the restart")
	require.NoError(t, g.Check(ctx, r, code))
}

// commandCalls reads INFO commandstats: calls per command.
func commandCalls(t *testing.T, rdb *redis.Client) map[string]int {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	require.NoError(t, err)
	calls := map[string]int{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
		require.NoError(t, err)
		calls[strings.TrimPrefix(name, "cmdstat_")] = n
	}
	return calls
}

func TestOneRoundTripPerDecision(t *testing.T) {
	addr := redistest.Addr(t)
	rdb, admin := oneServer(t, addr), oneServer(t, addr)
	sent := &commandCounter{}
	rdb.AddHook(sent)
	ctx := context.Background()
	g := newGuard(t, store(rdb), newClock(), verify.Limits{SendInterval: -1})
	// Load the scripts (the first EVALSHA of each is answered NOSCRIPT).
	code, err := g.Issue(ctx, "+4917000000000")
	require.NoError(t, err)
	require.NoError(t, g.Check(ctx, "+4917000000000", code))
	require.NoError(t, g.AllowSend(ctx, "+4917000000000", "192.0.2.1"))

	// In order: Check needs the code Issue made.
	for _, step := range []struct {
		name string
		do   func() error
	}{
		{"Issue", func() error { code, err = g.Issue(ctx, "+4917012345678"); return err }},
		{"Check", func() error { return g.Check(ctx, "+4917012345678", code) }},
		{"AllowSend (recipient, IP and prefix rules)", func() error {
			return g.AllowSend(ctx, "+4917012345678", "192.0.2.1")
		}},
	} {
		name, do := step.name, step.do
		require.NoError(t, admin.ConfigResetStat(ctx).Err())
		sent.reset()
		require.NoError(t, do(), name)
		// commandstats also counts the commands a script runs; a round trip
		// is a command the client sent.
		calls := commandCalls(t, admin)
		assert.Equal(t, 1, calls["evalsha"], "%s: EVALSHA calls", name)
		assert.Zero(t, calls["eval"], "%s: EVAL calls", name)
		assert.Equal(t, []string{"evalsha"}, sent.names(), "%s: commands the client sent", name)
	}
}

// commandCounter is a go-redis hook that records the commands a client sends.
type commandCounter struct {
	mu   sync.Mutex
	sent []string
}

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.mu.Lock()
		c.sent = append(c.sent, cmd.Name())
		c.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.mu.Lock()
		for _, cmd := range cmds {
			c.sent = append(c.sent, cmd.Name())
		}
		c.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (c *commandCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = nil
}

func (c *commandCounter) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}
