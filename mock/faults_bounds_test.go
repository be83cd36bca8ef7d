package mock

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An informational status cannot be injected (the wire would carry a 1xx
// and then the real answer), nor a Retry-After too large to send.
func TestFaultRefusesInformationalStatusAndHugeRetryAfter(t *testing.T) {
	h := NewHandler()
	for _, f := range []Fault{
		{Status: 100}, {Status: 101}, {Status: 199},
		{Status: 503, RetryAfter: math.MaxInt64},
		{Status: 503, RetryAfter: maxFaultRetryAfter + time.Second},
	} {
		assert.Panics(t, func() { h.InjectFault("/v1/verify/start", f) }, "%+v", f)
	}
	assert.Zero(t, h.Stats().Faults)

	srv := NewServer()
	t.Cleanup(srv.Close)
	for _, body := range []string{
		`{"route":"/v1/verify/start","status":100}`,
		`{"route":"/v1/verify/start","status":150}`,
		`{"route":"/v1/verify/start","status":503,"retry_after":4611686018}`,
		`{"route":"/v1/verify/start","status":503,"retry_after":"2540400h"}`,
	} {
		r := send(t, srv, http.MethodPost, "/_mock/faults", []byte(body), ctlJSON)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", body, r.Body)
		assert.True(t, strings.Contains(string(r.Body), "status") || strings.Contains(string(r.Body), "retry_after"), "%s", r.Body)
	}
	assert.Zero(t, srv.Stats().Faults)

	// The largest allowed Retry-After goes out as a positive number of seconds.
	h.InjectFault("/v1/verify/start", Fault{Status: 503, RetryAfter: maxFaultRetryAfter})
	resp := do(h, http.MethodPost, "/v1/verify/start", `{}`, tryvoxAuth)
	assert.Equal(t, http.StatusServiceUnavailable, resp.Status)
	assert.Equal(t, "86400", resp.Header.Get("Retry-After"))
}
