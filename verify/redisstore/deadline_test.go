package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/internal/faultproxy"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// TestRecommendedClientHoldsDeadlines: with the client options of the
// README (ExampleOpen), a store call ends at its context's deadline
// whatever Redis does. go-redis's defaults held such a call 5s.
func TestRecommendedClientHoldsDeadlines(t *testing.T) {
	addr := redistest.Start(t)
	for _, fault := range []string{"black hole", "black hole, new connection", "latency", "down"} {
		t.Run(fault, func(t *testing.T) {
			p := faultproxy.Start(t, addr)
			rdb := redis.NewClient(&redis.Options{Addr: p.Addr(), ContextTimeoutEnabled: true,
				ReadTimeout: time.Second, WriteTimeout: time.Second})
			t.Cleanup(func() { rdb.Close() })
			ctx := context.Background()
			s, err := redisstore.Open(ctx, rdb, redisstore.WithPrefix(uniquePrefix()))
			require.NoError(t, err)
			switch fault {
			case "black hole":
				p.SetBlackHole(true)
			case "black hole, new connection":
				p.SetBlackHole(true)
				p.DropConns()
			case "latency":
				p.SetLatency(time.Hour)
			case "down":
				require.NoError(t, p.Close())
			}
			const deadline = 100 * time.Millisecond
			short, cancel := context.WithTimeout(ctx, deadline)
			defer cancel()
			start := time.Now()
			_, err = s.Claim(short, "event", "holder", time.Minute)
			took := time.Since(start)
			require.Error(t, err)
			// Generous: a loaded machine may add scheduling delay, never the
			// seconds of a read timeout.
			assert.Less(t, took, deadline+900*time.Millisecond, "the call outlived its deadline")
		})
	}
}
