package otpkit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// A read counts its requests with an httptrace.ClientTrace; a trace the
// caller put in the context still sees every connection.
func TestReadKeepsTheCallersTrace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c, err := otpkit.NewClient(otpkit.WithBaseURL(srv.URL), otpkit.WithTryvoxKey(testTryvoxKey, testTenant))
	require.NoError(t, err)
	defer c.CloseIdleConnections()

	var got atomic.Int32
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { got.Add(1) },
	})
	for range 2 {
		_, err = c.GetStatus(ctx, "ver_abc123")
		assert.ErrorIs(t, err, otpkit.ErrNotFound)
	}
	assert.Equal(t, int32(2), got.Load(), "the caller's GotConn ran once a call")
}

// With retries off, a read whose every stream the server resets gets
// net/http's one replay and no more: the call fails at once, not at its
// deadline.
func TestReadReplaysWithRetriesOff(t *testing.T) {
	srv := newH2Server(t, h2ResetAlways)
	c, err := otpkit.NewClient(otpkit.WithBaseURL(srv.url), otpkit.WithTryvoxKey(testTryvoxKey, testTenant),
		otpkit.WithRetryPolicy(otpkit.RetryPolicy{}), otpkit.WithTimeout(promptly))
	require.NoError(t, err)
	otpkit.TrustForTest(c, srv.pool)
	defer c.CloseIdleConnections()

	_, err = c.GetStatus(context.Background(), "ver_abc123")
	isNoAnswer(t, err)
	assert.ErrorIs(t, err, otpkit.ErrUnavailable)
	assert.NotErrorIs(t, err, otpkit.ErrNotSent, "the server read the requests")
	assert.Contains(t, err.Error(), "in a row")
	assert.LessOrEqual(t, int(srv.arrived.Load()), 2+1, "the request and net/http's replay (and one it may send as the call ends)")
	assert.GreaterOrEqual(t, int(srv.processed.Load()), 2)
}
