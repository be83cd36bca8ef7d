package otpkit_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// A Retry-After in seconds too large to parse is longer than any wait the
// client takes: the read is not retried at once, and the error says to wait.
func TestHugeRetryAfterIsLong(t *testing.T) {
	for _, v := range []string{"99999999999999999999", "18446744073709551616", " 123456789012345678901234567890 "} {
		c, mux, api := setup(t)
		mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", v)
			writeJSON(w, http.StatusServiceUnavailable, `{"error":{"code":"INTERNAL_ERROR","message":"busy"}}`)
		})
		_, err := c.GetStatus(context.Background(), "ver_abc123")
		var apiErr *otpkit.APIError
		require.ErrorAs(t, err, &apiErr, v)
		assert.EqualValues(t, 1, api.calls.Load(), "%q: not retried at once", v)
		assert.Greater(t, apiErr.RetryAfter, 30*time.Second, "%q", v)
	}
}
