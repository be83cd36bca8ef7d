package otpkit_test

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// forgedEvents is how many forged events with huge ids the bound tests
// send, and forgedIDBytes how long each id is.
const (
	forgedEvents  = 2000
	forgedIDBytes = 60 << 10
)

// forgedEvent is the i-th forged event: a valid envelope around an id of
// forgedIDBytes, unique per i.
func forgedEvent(i int) string {
	id := strings.Repeat("x", forgedIDBytes-8) + strconv.Itoa(10_000_000+i)
	return `{"id":"` + id + `","name":"verify_code.success"}`
}

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC() // the first may leave finalizers' objects for the second
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// 2,000 forged events with 60 KiB ids (120 MB of ids) leave the default
// in-memory Deduper, and so the heap, no bigger than a few hundred KiB:
// an id is bounded before it becomes a key. The worst case: a handler
// without a token, which anyone can post to.
func TestWebhookForgedLongIDsDoNotGrowTheHeap(t *testing.T) {
	var calls atomic.Int32
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error { calls.Add(1); return nil },
		otpkit.WithoutWebhookToken(), otpkit.WithWebhookMaxBody(128<<10))
	// One event first, so that what the handler allocates once is not
	// counted.
	require.Equal(t, http.StatusOK, webhookPost(t, h, "", docWebhookEvent))

	before := heapInUse()
	for i := range forgedEvents {
		code := webhookPost(t, h, "", forgedEvent(i))
		if code != http.StatusBadRequest {
			require.Equal(t, http.StatusBadRequest, code, "event %d", i)
		}
	}
	growth := heapInUse() - before
	runtime.KeepAlive(h)
	t.Logf("heap growth after %d forged events with %d-byte ids: %d KiB", forgedEvents, forgedIDBytes, growth>>10)
	assert.Less(t, growth, int64(256<<10), "the heap grew by %d KiB", growth>>10)
	assert.EqualValues(t, 1, calls.Load(), "fn never sees a forged id")
}
