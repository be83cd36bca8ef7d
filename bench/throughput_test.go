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

// BenchmarkThroughput pushes verifications through the mock over loopback
// from 64 concurrent clients, one sub-benchmark per provider, each next to
// the ceiling: the same client against a handler that writes the mock's
// recorded answers with no work at all. One op is one verification (two
// HTTP requests); verifications/s is the figure to compare:
//
//	go test -run XXX -bench Throughput -count 8 ./bench | tee t.txt
//	benchstat -col /server t.txt
func BenchmarkThroughput(b *testing.B) {
	ceil := recordCeiling(b)
	for _, f := range flows {
		b.Run("provider="+f.name+"/server=ceiling", func(b *testing.B) {
			srv := httptest.NewServer(ceil.handler)
			defer srv.Close()
			load(b, newClient(b, srv.URL), f, ceil.codes)
		})
		b.Run("provider="+f.name+"/server=mock", func(b *testing.B) {
			srv := mock.NewServer()
			defer srv.Close()
			c, err := srv.Client()
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseIdleConnections()
			load(b, c, f, srv.LastCode)
		})
	}
}

// recipients numbers the verifications of every run in this process, so
// that no two share a recipient.
var recipients atomic.Int64

// load runs b.N verifications of f with c from clients goroutines and
// reports verifications/s.
func load(b *testing.B, c *otpkit.Client, f flow, codes codeSource) {
	ctx := context.Background()
	first := int(recipients.Add(int64(b.N))) - b.N
	var next atomic.Int64
	var failure sync.Once
	var firstErr error
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := f.verify(ctx, c, codes, first+i); err != nil {
					failure.Do(func() { firstErr = err })
					next.Store(int64(b.N)) // stop the others
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "verifications/s")
}
