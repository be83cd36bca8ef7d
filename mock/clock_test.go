package mock

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// The clock saturates: however far it is advanced, it never runs backwards.
func TestClockSaturates(t *testing.T) {
	for name, h := range map[string]*Handler{"manual": NewHandler(WithClock(t0)), "real": NewHandler()} {
		t.Run(name, func(t *testing.T) {
			prev := h.Now()
			for _, d := range []time.Duration{math.MaxInt64, 1, math.MaxInt64, 1 << 62, time.Hour} {
				h.Advance(d)
				now := h.Now()
				assert.False(t, now.Before(prev), "the clock ran back from %v to %v", prev, now)
				assert.True(t, now.After(t0.AddDate(100, 0, 0)), "the clock moved far ahead: %v", now)
				prev = now
			}
		})
	}
}

// The HTTP control saturates too, and an expired verification stays
// expired.
func TestAdvanceFarExpiresTryvox(t *testing.T) {
	srv, c := newTest(t)
	v := startSMS(t, c, tvPhone)
	code, _ := srv.LastCode(tvPhone)
	for range 4 { // 4 × 2^62 ns overflows int64
		r := send(t, srv, http.MethodPost, "/_mock/clock", []byte(`{"advance":4611686018}`), ctlJSON)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.False(t, srv.Now().Before(t0), "the clock ran back to %v", srv.Now())
	}
	_, err := c.CheckCode(ctx(t), v.ID, code)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "an expired verification is never approved")
}
