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
