package otpkit_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// A write to a host whose last answer came over HTTP/1 carries a GetBody,
// for net/http's HTTP/1 resend after a stale kept-alive connection. Should
// that host now speak HTTP/2, the GetBody refuses Go's HTTP/2 replay: the
// server still gets each write at most once. Nothing of such a write is
// provably unsent once its headers left, so it is not retried either.
func TestHTTP2NeverReplaysAWriteWithGetBody(t *testing.T) {
	modes := []struct {
		mode      h2Mode
		processed int // requests read whole
	}{
		{h2ResetOnce, 1},
		{h2ResetAlways, 1},
		{h2RefuseOnce, 0},
		{h2RefuseAlways, 0},
		{h2GoAwayOnce, 0},
	}
	var calls []faultCall
	for _, c := range rawCalls {
		if c.write {
			calls = append(calls, c)
		}
	}
	// Unencrypted HTTP/2 too: its connection does not tell, but the
	// HTTP/2 client asking for the body does.
	h2c := h2Transport{"WithHTTPClient unencrypted HTTP/2", func(t *testing.T, srv *h2Server, opts []otpkit.Option) (*otpkit.Client, func()) {
		tr := &http.Transport{Protocols: new(http.Protocols)}
		tr.Protocols.SetUnencryptedHTTP2(true)
		c, err := otpkit.NewClient(append(opts, otpkit.WithHTTPClient(&http.Client{Transport: tr}))...)
		require.NoError(t, err)
		return c, tr.CloseIdleConnections
	}}
	for _, m := range modes {
		for _, tr := range append(h2Transports[:len(h2Transports):len(h2Transports)], h2c) {
			t.Run(m.mode.String()+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				for _, call := range calls {
					newServer := newH2Server
					if tr.name == h2c.name {
						newServer = newH2CServer
					}
					srv := newServer(t, m.mode)
					c, closeIdle := tr.client(t, srv, []otpkit.Option{
						otpkit.WithBaseURL(srv.url),
						otpkit.WithLOX24Token(testLOX24Token),
						otpkit.WithTryvoxKey(testTryvoxKey, testTenant),
						otpkit.WithDotdigitalAuth(testDDUser, testDDPassword),
						otpkit.WithRetryPolicy(faultRetries),
					})
					otpkit.AssumeHTTP1ForTest(c)
					err := call.do(context.Background(), c)
					closeIdle()
					require.Error(t, err, call.name)
					isNoAnswer(t, err)
					assert.ErrorIs(t, err, otpkit.ErrUnavailable, call.name)
					assert.NotErrorIs(t, err, otpkit.ErrNotSent, "%s: its headers were sent", call.name)
					assert.NotContains(t, err.Error(), "GetBody", call.name)
					assert.EqualValues(t, 1, srv.arrived.Load(), "%s: requests that reached the server", call.name)
					assert.EqualValues(t, m.processed, srv.processed.Load(), "%s: requests read whole", call.name)
				}
			})
		}
	}
}
