package bench

import (
	"context"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// clients is how many goroutines share one otpkit client in the load
// benchmarks: a CI run's parallel tests.
const clients = 64

// chunk is how many verifications run against one server before the
// benchmark switches to the other.
const chunk = 1000

// BenchmarkThroughput pushes verifications through the mock over loopback
// from 64 goroutines sharing one otpkit client, one sub-benchmark per
// provider, and the same verifications through the ceiling: the same
// client against a handler that replays the mock's recorded answers with
// no work at all. The two alternate in chunks of 1,000 verifications
// (ceiling first in even chunks, mock first in odd ones), so that load
// from other processes on a shared machine weighs on both alike and the
// ratio stays meaningful even when the absolute rates move.
//
// One op is one verification against each server (four HTTP requests).
// Reported:
//
//   - mock-verifications/s and ceiling-verifications/s;
//   - mock/ceiling: their ratio (the goal is at least 0.6).
//
// Reproduce with
//
//	go test -run XXX -bench Throughput -count 10 ./bench | tee t.txt
//	benchstat t.txt
func BenchmarkThroughput(b *testing.B) {
	ceil := recordCeiling(b)
	for _, f := range flows {
		b.Run("provider="+f.name, func(b *testing.B) {
			csrv := httptest.NewServer(ceil.handler)
			defer csrv.Close()
			ceilClient := newClient(b, csrv.URL)

			msrv := mock.NewServer()
			defer msrv.Close()
			mockClient, err := msrv.Client()
			if err != nil {
				b.Fatal(err)
			}
			defer mockClient.CloseIdleConnections()

			first := int(recipients.Add(int64(b.N))) - b.N
			var ceilTime, mockTime time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for done, round := 0, 0; done < b.N; round++ {
				n := min(chunk, b.N-done)
				runCeil := func() { ceilTime += load(b, ceilClient, f, ceil.codes, first+done, n) }
				runMock := func() { mockTime += load(b, mockClient, f, msrv.LastCode, first+done, n) }
				if round%2 == 0 {
					runCeil()
					runMock()
				} else {
					runMock()
					runCeil()
				}
				done += n
			}
			b.StopTimer()
			ceilRate := float64(b.N) / ceilTime.Seconds()
			mockRate := float64(b.N) / mockTime.Seconds()
			b.ReportMetric(ceilRate, "ceiling-verifications/s")
			b.ReportMetric(mockRate, "mock-verifications/s")
			b.ReportMetric(mockRate/ceilRate, "mock/ceiling")
		})
	}
}

// recipients numbers the verifications of every run in this process, so
// that no two share a recipient.
var recipients atomic.Int64

// load runs verifications first … first+n-1 of f with c from clients
// goroutines and returns how long they took. The first error ends the
// benchmark.
func load(b *testing.B, c *otpkit.Client, f flow, codes codeSource, first, n int) time.Duration {
	ctx := context.Background()
	var next atomic.Int64
	var failure sync.Once
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range min(clients, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f.verify(ctx, c, codes, first+i); err != nil {
					failure.Do(func() { firstErr = err })
					next.Store(int64(n)) // stop the others
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return elapsed
}
