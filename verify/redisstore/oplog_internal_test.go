package redisstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// The operation log: a decision on a recipient's record keeps its answer
// in the record (lib.lua's olive). These tests run check.lua
// with chosen operation ids, as go-redis's retry re-sends one: the cut
// connection itself is once_test.go's.

// checkAs runs the store's check script as Store.Check does, with the
// operation id id, and returns its answer.
func (s *Store) checkAs(ctx context.Context, id string, now time.Time, recipient string, mac []byte, c verify.CheckRules) string {
	ms, ns := nowArgs(now)
	ans, err := s.run(ctx, checkScript, []string{s.recipientKey(recipient)}, ms, ns, macKey(mac), c.MaxAttempts,
		c.Failures.Count, millis(c.Failures.Per), millis(bucketOf(c.Conversion)), "", id).Text()
	if err != nil {
		return err.Error()
	}
	return ans
}

// TestOperationLogAnswersARetryAfterOtherDecisions: a retry that comes
// after other callers' decisions on the same recipient still finds its
// answer and counts nothing again, however many came in between (the
// record keeps two answers, olive moves the older ones out for opTTL); a
// right code's retry answers "verified", not "no code". On a Cluster too,
// where a moved answer's key, which no script declares, is in the
// record's slot.
func TestOperationLogAnswersARetryAfterOtherDecisions(t *testing.T) {
	t.Run("one server", func(t *testing.T) {
		testOperationLogAfterOtherDecisions(t, redis.NewClient(&redis.Options{Addr: redistest.Start(t)}))
	})
	t.Run("cluster", func(t *testing.T) {
		testOperationLogAfterOtherDecisions(t, redis.NewClusterClient(&redis.ClusterOptions{Addrs: redistest.StartCluster(t, 3)}))
	})
}

// movedAnswers returns the keys of the answers moved out of key's record.
func movedAnswers(t *testing.T, rdb redis.UniversalClient, key string) []string {
	ctx := context.Background()
	c, ok := rdb.(*redis.ClusterClient)
	if !ok {
		keys, err := rdb.Keys(ctx, key+":op:*").Result()
		require.NoError(t, err)
		return keys
	}
	var mu sync.Mutex
	var keys []string
	require.NoError(t, c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		found, err := node.Keys(ctx, key+":op:*").Result()
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, found...)
		return err
	}))
	return keys
}

func testOperationLogAfterOtherDecisions(t *testing.T, rdb redis.UniversalClient) {
	s := New(rdb)
	t.Cleanup(func() { s.rdb.Close() })
	ctx := context.Background()
	now := time.Now()
	rules := verify.CheckRules{MaxAttempts: 8, Failures: verify.Rate{Count: 20, Per: time.Hour}}
	right, wrong := []byte("the right code's MAC, 32 bytes.."), []byte("a wrong code's MAC, 32 bytes...")
	require.NoError(t, s.Issue(ctx, now, "r", right, time.Hour))

	first := opID()
	require.Equal(t, "1 7", s.checkAs(ctx, first, now, "r", wrong, rules))
	require.NoError(t, s.AllowSend(ctx, now, verify.SendRules{Recipient: "r", RecipientSends: verify.Rate{Count: 5, Per: time.Hour}}))
	assert.Equal(t, "1 7", s.checkAs(ctx, first, now, "r", wrong, rules), "the retry answers what its first run answered")
	assert.Equal(t, "1 6", s.checkAs(ctx, opID(), now, "r", wrong, rules), "and counted nothing again")
	assert.Equal(t, "1 7", s.checkAs(ctx, first, now, "r", wrong, rules), "after two more decisions: its answer was moved out")
	for left := 5; left > 2; left-- {
		require.Equal(t, "1 "+itoa(left), s.checkAs(ctx, opID(), now, "r", wrong, rules))
	}
	assert.Equal(t, "1 7", s.checkAs(ctx, first, now, "r", wrong, rules), "after five more")
	assert.Equal(t, "1 2", s.checkAs(ctx, opID(), now, "r", wrong, rules), "no retry counted: one attempt each")

	verified := opID()
	require.Equal(t, "0", s.checkAs(ctx, verified, now, "r", right, rules))
	for range 3 {
		require.NoError(t, s.RecordFailure(ctx, now, "r", rules.Failures))
	}
	assert.Equal(t, "0", s.checkAs(ctx, verified, now, "r", right, rules), "a used code's retry answers verified")
	assert.Equal(t, "3", s.checkAs(ctx, opID(), now, "r", right, rules), "a new check finds no code")
	assert.Equal(t, "1 7", s.checkAs(ctx, first, now, "r", wrong, rules), "the first still")
	moved := movedAnswers(t, s.rdb, s.recipientKey("r"))
	assert.Len(t, moved, 9, "every answer but the record's two, each under a key of its own")
	for _, key := range moved {
		ttl, err := s.rdb.PTTL(ctx, key).Result()
		require.NoError(t, err)
		assert.True(t, ttl > 0 && ttl <= opTTL, "%v", ttl)
	}

	// Once opTTL has passed, a retry cannot come: the answers moved out are
	// gone, and the record stops looking for them.
	later := now.Add(opTTL + time.Second)
	require.NoError(t, s.Issue(ctx, later, "r", right, time.Hour))
	assert.Equal(t, "1 7", s.checkAs(ctx, opID(), later, "r", wrong, rules))
	assert.Equal(t, "1 6", s.checkAs(ctx, opID(), later, "r", wrong, rules))
	assert.Equal(t, "1 5", s.checkAs(ctx, opID(), later, "r", wrong, rules))
	moved = movedAnswers(t, s.rdb, s.recipientKey("r"))
	assert.Len(t, moved, 10, "the first two at later moved nothing out (opTTL old), the third one")
	// An id asked for by a call at a time opTTL after its answer's is not
	// looked for out of the record (no retry comes that late): decided anew.
	assert.Equal(t, "1 4", s.checkAs(ctx, first, later.Add(opTTL), "r", wrong, rules))
}

// TestOperationLogKeepsTwoAnswersForOpTTL: however many decisions count on
// a record, its log holds two answers; a record left with answers alone
// lives opTTL, so that a right code's retry finds its answer after the
// code's expiry.
func TestOperationLogKeepsTwoAnswersForOpTTL(t *testing.T) {
	s := New(redis.NewClient(&redis.Options{Addr: redistest.Start(t)}))
	t.Cleanup(func() { s.rdb.Close() })
	ctx := context.Background()
	now := time.Now()
	rules := verify.CheckRules{MaxAttempts: 1 << 20}
	right, wrong := []byte("the right code's MAC, 32 bytes.."), []byte("a wrong code's MAC, 32 bytes...")
	size := func(r string) int64 {
		n, err := s.rdb.StrLen(ctx, s.recipientKey(r)).Result()
		require.NoError(t, err)
		return n
	}

	require.NoError(t, s.Issue(ctx, now, "r", right, time.Hour))
	bare := size("r")
	for i := range 40 {
		require.Equal(t, "1 "+itoa((1<<20)-i-1), s.checkAs(ctx, opID(), now, "r", wrong, rules))
	}
	// Two entries: an id and "1 10485xx" each.
	assert.Equal(t, bare+2*int64(len(opID())+len("1 1048575")), size("r"), "two answers kept")

	require.NoError(t, s.Issue(ctx, now, "q", right, time.Second))
	verified := opID()
	require.Equal(t, "0", s.checkAs(ctx, verified, now, "q", right, rules))
	ttl, err := s.rdb.PTTL(ctx, s.recipientKey("q")).Result()
	require.NoError(t, err)
	assert.InDelta(t, opTTL.Seconds(), ttl.Seconds(), 2, "a record left with answers alone lives opTTL")
	assert.Equal(t, "0", s.checkAs(ctx, verified, now.Add(2*time.Second), "q", right, rules), "its retry, after the code's expiry")
}

func itoa(n int) string { return millis(time.Duration(n) * time.Millisecond) }
