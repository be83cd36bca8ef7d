package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// The operation log: a decision on a recipient's record keeps its answer
// in the record (lib.lua's ofind and oadd). These tests run check.lua
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
// after other callers' decisions on the same recipient (a send, checks,
// a failure) still finds its answer and counts nothing again; a right
// code's retry answers "verified", not "no code".
func TestOperationLogAnswersARetryAfterOtherDecisions(t *testing.T) {
	s := New(redis.NewClient(&redis.Options{Addr: redistest.Start(t)}))
	t.Cleanup(func() { s.rdb.Close() })
	ctx := context.Background()
	now := time.Now()
	rules := verify.CheckRules{MaxAttempts: 5, Failures: verify.Rate{Count: 10, Per: time.Hour}}
	right, wrong := []byte("the right code's MAC, 32 bytes.."), []byte("a wrong code's MAC, 32 bytes...")
	require.NoError(t, s.Issue(ctx, now, "r", right, time.Hour))

	first := opID()
	require.Equal(t, "1 4", s.checkAs(ctx, first, now, "r", wrong, rules))
	require.NoError(t, s.AllowSend(ctx, now, verify.SendRules{Recipient: "r", RecipientSends: verify.Rate{Count: 5, Per: time.Hour}}))
	require.Equal(t, "1 3", s.checkAs(ctx, opID(), now, "r", wrong, rules))
	require.NoError(t, s.RecordFailure(ctx, now, "r", rules.Failures))

	assert.Equal(t, "1 4", s.checkAs(ctx, first, now, "r", wrong, rules), "the retry answers what its first run answered")
	assert.Equal(t, "1 2", s.checkAs(ctx, opID(), now, "r", wrong, rules), "and counted nothing again")

	verified := opID()
	require.Equal(t, "0", s.checkAs(ctx, verified, now, "r", right, rules))
	require.Equal(t, "1 4", s.checkAs(ctx, first, now, "r", wrong, rules), "the code's end keeps the log")
	assert.Equal(t, "0", s.checkAs(ctx, verified, now, "r", right, rules), "a used code's retry answers verified")
	assert.Equal(t, "3", s.checkAs(ctx, opID(), now, "r", right, rules), "a new check finds no code")
}

// TestOperationLogKeepsAnswersForOpTTL: the log drops the answers older
// than opTTL at the next decision that counts, and keeps at most 32, so
// that a busy record does not grow; a record that holds nothing but
// answers lives opTTL.
func TestOperationLogKeepsAnswersForOpTTL(t *testing.T) {
	s := New(redis.NewClient(&redis.Options{Addr: redistest.Start(t)}))
	t.Cleanup(func() { s.rdb.Close() })
	ctx := context.Background()
	now := time.Now()
	rules := verify.CheckRules{MaxAttempts: 1 << 20}
	right, wrong := []byte("the right code's MAC, 32 bytes.."), []byte("a wrong code's MAC, 32 bytes...")
	key := s.recipientKey("r")
	size := func() int64 { n, err := s.rdb.StrLen(ctx, key).Result(); require.NoError(t, err); return n }

	require.NoError(t, s.Issue(ctx, now, "r", right, time.Hour))
	bare := size()
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = opID()
		require.Equal(t, "1 "+itoa((1<<20)-i-1), s.checkAs(ctx, ids[i], now, "r", wrong, rules))
	}
	full := size()
	entry := int64(19 + len("1 1048575"))
	assert.Equal(t, bare+2+32*entry, full, "32 answers kept")
	assert.Equal(t, "1 "+itoa((1<<20)-40), s.checkAs(ctx, ids[39], now, "r", wrong, rules), "the newest is found")
	assert.Equal(t, "1 "+itoa((1<<20)-41), s.checkAs(ctx, ids[0], now, "r", wrong, rules), "the oldest was dropped: counted anew")

	later := now.Add(opTTL)
	require.Equal(t, "1 "+itoa((1<<20)-42), s.checkAs(ctx, opID(), later, "r", wrong, rules))
	assert.Equal(t, bare+2+entry, size(), "one answer kept after opTTL: the others dropped")

	// A code that lives one second, verified: its record would go with it,
	// but it keeps the answer for opTTL.
	require.NoError(t, s.Issue(ctx, now, "q", right, time.Second))
	verified := opID()
	require.Equal(t, "0", s.checkAs(ctx, verified, now, "q", right, rules))
	ttl, err := s.rdb.PTTL(ctx, s.recipientKey("q")).Result()
	require.NoError(t, err)
	assert.InDelta(t, opTTL.Seconds(), ttl.Seconds(), 2, "a record left with answers alone lives opTTL")
	assert.Equal(t, "0", s.checkAs(ctx, verified, now.Add(2*time.Second), "q", right, rules), "its retry, after the code's expiry")
}

func itoa(n int) string { return millis(time.Duration(n) * time.Millisecond) }
