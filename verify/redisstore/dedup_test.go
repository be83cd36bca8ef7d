package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// forged is how many forged events with huge ids the tests send, and
// idBytes how long each id is.
const (
	forged  = 2000
	idBytes = 60 << 10
)

// forgedID is the i-th forged id, unique per i.
func forgedID(i int) string { return strings.Repeat("x", idBytes-8) + strconv.Itoa(10_000_000+i) }

var usedMemory = regexp.MustCompile(`(?m)^used_memory:(\d+)\r?$`)

// redisMemory is INFO memory's used_memory.
func redisMemory(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	require.NoError(t, err)
	m := usedMemory.FindStringSubmatch(info)
	require.NotNil(t, m, "used_memory in INFO memory")
	n, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(t, err)
	return n
}

// 2,000 forged events with 60 KiB ids, posted to a handler that shares a
// redisstore.Store (without a token, the worst case), leave Redis no bigger
// than a few hundred KiB: the handler refuses the ids before the store
// sees them. A server of the test's own, so that nothing else moves
// used_memory.
func TestWebhookForgedLongIDsDoNotGrowRedis(t *testing.T) {
	rdb := oneServer(t, redistest.Start(t))
	s := store(rdb)
	var calls atomic.Int32
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error { calls.Add(1); return nil },
		otpkit.WithoutWebhookToken(), otpkit.WithWebhookMaxBody(128<<10), otpkit.WithWebhookDedup(s))
	post := func(id string) int {
		rec := httptest.NewRecorder()
		body := `{"id":"` + id + `","name":"verify_code.success"}`
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hooks/lox24", strings.NewReader(body)))
		return rec.Code
	}
	require.Equal(t, http.StatusOK, post("f47ac10b-58cc-4372-a567-0e02b2c3d479"), "a real event is handled")

	before := redisMemory(t, rdb)
	for i := range forged {
		if code := post(forgedID(i)); code != http.StatusBadRequest {
			require.Equal(t, http.StatusBadRequest, code, "event %d", i)
		}
	}
	growth := redisMemory(t, rdb) - before
	t.Logf("Redis used_memory growth after %d forged events with %d-byte ids: %d KiB", forged, idBytes, growth>>10)
	assert.Less(t, growth, int64(256<<10), "Redis grew by %d KiB", growth>>10)
	assert.EqualValues(t, 1, calls.Load(), "fn never sees a forged id")
}

// Called directly, the store keeps each key bounded too: an id longer than
// 64 bytes is stored as its SHA-256, so 2,000 claims of 60 KiB ids cost
// what 2,000 claims of short ids do.
func TestDedupKeysAreBounded(t *testing.T) {
	rdb := oneServer(t, redistest.Start(t))
	s := redisstore.New(rdb, redisstore.WithPrefix("p:"))
	ctx := context.Background()

	before := redisMemory(t, rdb)
	for i := range forged {
		got, err := s.Claim(ctx, forgedID(i), forgedID(i), time.Hour)
		require.NoError(t, err)
		require.True(t, got)
	}
	growth := redisMemory(t, rdb) - before
	t.Logf("Redis used_memory growth after %d claims of %d-byte ids: %d KiB", forged, idBytes, growth>>10)
	assert.Less(t, growth, int64(1<<20), "Redis grew by %d KiB", growth>>10)

	keys, err := rdb.Keys(ctx, "p:*").Result()
	require.NoError(t, err)
	assert.Len(t, keys, forged)
	for _, k := range keys {
		assert.LessOrEqual(t, len(k), 100, "a key of a long id")
		v, err := rdb.Get(ctx, k).Result()
		require.NoError(t, err)
		assert.LessOrEqual(t, len(v), 80, "the value of a long holder")
	}
}
