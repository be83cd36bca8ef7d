package verify_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/convbench"
)

// heap returns the live heap after a full collection.
func heap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkMemoryStoreHeap fills a MemoryStore with 50,000 recipients, each
// with one send (from its own IPv4 address; the prefix rule, whose entries
// recipients share, off) and a live code, and reports
// the heap they hold; then moves the clock past every window, lets the
// store prune, and reports what is left over the empty store's heap. Two
// rounds show that the heap stays flat.
func BenchmarkMemoryStoreHeap(b *testing.B) {
	const n = 50_000
	var perRecipient, afterExpiry, afterSecond float64
	for range b.N {
		var mu sync.Mutex
		now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		store := verify.NewMemoryStore()
		g, err := verify.NewGuard(store, verify.WithClock(clock), verify.WithLimits(verify.Limits{PrefixSends: verify.Rate{Count: -1}}))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		base := heap()
		fill := func(round int) {
			for i := range n {
				r := fmt.Sprintf("+49%d%010d", 150+round, i*7)
				if err := g.AllowSend(ctx, r, fmt.Sprintf("10.%d.%d.%d", round, i/256%256, i%256)); err != nil {
					b.Fatal(err)
				}
				if _, err := g.Issue(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		}
		expire := func() {
			mu.Lock()
			now = now.Add(25 * time.Hour)
			mu.Unlock()
			_ = g.AllowCheck(ctx, "+4900000000000") // any call prunes
		}
		fill(0)
		perRecipient = float64(heap()-base) / n
		expire()
		afterExpiry = float64(heap() - base)
		fill(1)
		expire()
		afterSecond = float64(heap() - base)
		runtime.KeepAlive(store)
	}
	b.ReportMetric(perRecipient, "B/recipient")
	b.ReportMetric(afterExpiry, "B-left-after-expiry")
	b.ReportMetric(afterSecond, "B-left-after-2nd-round")
}

// BenchmarkAllowSendConversion: Guard.AllowSend on a MemoryStore with the
// conversion guard on against off (see verify/internal/convbench).
func BenchmarkAllowSendConversion(b *testing.B) {
	convbench.Run(b, func(*testing.B) verify.Store { return verify.NewMemoryStore() })
}
