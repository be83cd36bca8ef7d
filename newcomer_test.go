package otpkit_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

func TestCodesEqual(t *testing.T) {
	assert.True(t, otpkit.CodesEqual("482913", "482913"))
	assert.False(t, otpkit.CodesEqual("482913", "482914"))
	assert.False(t, otpkit.CodesEqual("482913", "48291"), "a prefix is not the code")
	assert.False(t, otpkit.CodesEqual("482913", "4829130"))
	assert.False(t, otpkit.CodesEqual("", ""), "no code kept matches nothing")
	assert.False(t, otpkit.CodesEqual("482913", ""))
	assert.False(t, otpkit.CodesEqual("", "482913"))
}

// A fresh verification has Tryvox's 5 attempts left, although the start
// answer carries no max_attempts; each wrong check takes one, which
// GetStatus shows.
func TestRemainingAttemptsAfterStart(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()

	v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	assert.Zero(t, v.MaxAttempts, "the start answer has no max_attempts")
	assert.Equal(t, 5, v.RemainingAttempts())

	_, err = c.CheckCode(ctx, v.ID, "000000")
	require.ErrorIs(t, err, otpkit.ErrInvalidCode)
	st, err := c.GetStatus(ctx, v.ID)
	require.NoError(t, err)
	assert.Equal(t, 4, st.RemainingAttempts())

	code, ok := srv.CodeFor(v.ID)
	require.True(t, ok)
	approved, err := c.CheckCode(ctx, v.ID, code)
	require.NoError(t, err)
	assert.Zero(t, approved.RemainingAttempts(), "an approved verification takes no more checks")
}

func TestRemainingAttemptsByStatus(t *testing.T) {
	for _, tc := range []struct {
		v    otpkit.Verification
		want int
	}{
		{otpkit.Verification{Status: otpkit.VerificationPending}, 5},
		{otpkit.Verification{}, 5},
		{otpkit.Verification{Status: otpkit.VerificationPending, Attempts: 2, MaxAttempts: 5}, 3},
		{otpkit.Verification{Status: otpkit.VerificationPending, Attempts: 2, MaxAttempts: 3}, 1},
		{otpkit.Verification{Status: otpkit.VerificationPending, Attempts: 7, MaxAttempts: 5}, 0},
		{otpkit.Verification{Status: otpkit.VerificationApproved, Attempts: 1, MaxAttempts: 5}, 0},
		{otpkit.Verification{Status: otpkit.VerificationExpired}, 0},
		{otpkit.Verification{Status: otpkit.VerificationFailed, Attempts: 5, MaxAttempts: 5}, 0},
	} {
		assert.Equal(t, tc.want, tc.v.RemainingAttempts(), "%+v", tc.v)
	}
}

// Errors raised before any request satisfy ErrNotSent and not
// ErrUnavailable: an app may send elsewhere without sending twice.
func TestNotSentBeforeAnyRequest(t *testing.T) {
	c, err := otpkit.NewClient(otpkit.WithTryvoxKey(testTryvoxKey, testTenant), otpkit.WithBaseURL("http://127.0.0.1:1"))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = c.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
	require.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	assert.ErrorIs(t, err, otpkit.ErrNotSent)
	assert.NotErrorIs(t, err, otpkit.ErrUnavailable)

	_, err = c.CheckCode(ctx, "ver_abc123", "12")
	var ve *otpkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	assert.ErrorIs(t, err, otpkit.ErrNotSent)
	assert.NotErrorIs(t, err, otpkit.ErrUnavailable)

	var noCtx context.Context
	_, err = c.GetStatus(noCtx, "ver_abc123")
	assert.ErrorIs(t, err, otpkit.ErrNotSent)
}

// The caller's own context running out is its error, not ErrUnavailable;
// the call's own timeout (WithTimeout) is ErrUnavailable.
func TestUnavailableIsNotTheCallersContext(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	srv.InjectFault("GET /v1/verify/{id}", mock.Fault{Delay: 2 * time.Second, Count: -1})

	c, err := srv.Client(otpkit.WithRetryPolicy(otpkit.RetryPolicy{}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.GetStatus(ctx, "ver_abc123")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, otpkit.ErrUnavailable, "the caller gave up: its own error")
	assert.NotErrorIs(t, err, otpkit.ErrNotSent)

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = c.GetStatus(ctx, "ver_abc123")
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, otpkit.ErrUnavailable)

	c, err = srv.Client(otpkit.WithRetryPolicy(otpkit.RetryPolicy{}), otpkit.WithTimeout(100*time.Millisecond))
	require.NoError(t, err)
	_, err = c.GetStatus(context.Background(), "ver_abc123")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, otpkit.ErrUnavailable, "the call's own timeout: the provider did not answer in time")
	assert.NotErrorIs(t, err, otpkit.ErrNotSent)
}

// A provider that acts and then holds its answer past the client's
// timeout: the code went out exactly once, the client's error is
// ErrUnavailable but not ErrNotSent (so an app does not fail over and send
// a second code), and the request was sent once. Set up through the HTTP
// control, as a CI job would.
func TestHeldAnswerAfterTheProviderActed(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	resp, err := http.Post(srv.URL+"/_mock/faults", "application/json",
		strings.NewReader(`{"route":"POST /v1/verify/start","delay":"1s","after_handler":true,"count":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	c, err := srv.Client(otpkit.WithTimeout(200 * time.Millisecond))
	require.NoError(t, err)
	start := time.Now()
	_, err = c.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	assert.Less(t, time.Since(start), 900*time.Millisecond, "the client gave up at its timeout")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, otpkit.ErrUnavailable)
	assert.NotErrorIs(t, err, otpkit.ErrNotSent, "the provider may have acted (it did)")

	// The mock logs the request when its handler ends, a moment after the
	// client left.
	require.Eventually(t, func() bool { return len(srv.Requests()) > 0 }, 3*time.Second, 5*time.Millisecond)
	assert.Len(t, srv.Requests(), 1, "the client sent the start once")
	assert.Len(t, srv.Messages(), 1, "the provider sent the code once")
}

// A name that does not resolve: nothing left, so a write is ErrNotSent
// (and retried like a read), and the provider is ErrUnavailable.
func TestUnresolvedNameIsNotSent(t *testing.T) {
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, &net.DNSError{Err: "no such host", Name: "api.tryvox.invalid", IsNotFound: true}
	}}
	c, err := otpkit.NewClient(otpkit.WithTryvoxKey(testTryvoxKey, testTenant), otpkit.WithBaseURL("http://api.tryvox.invalid"),
		otpkit.WithHTTPClient(&http.Client{Transport: tr}), otpkit.WithRetryPolicy(faultRetries))
	require.NoError(t, err)
	_, err = c.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	var dnsErr *net.DNSError
	require.ErrorAs(t, err, &dnsErr)
	assert.ErrorIs(t, err, otpkit.ErrUnavailable)
	assert.ErrorIs(t, err, otpkit.ErrNotSent)
	assert.EqualValues(t, 1+faultRetries.MaxRetries, dials.Load())
}

// A read whose first attempt reached the server and whose retries were
// refused: the last error is a refused dial, but the call as a whole may
// have arrived, so it is not ErrNotSent.
func TestNotSentCountsEveryAttempt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // the request arrived; no answer
		}
	}))
	t.Cleanup(srv.Close)
	var dials atomic.Int32
	tr := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}}
	c, err := otpkit.NewClient(otpkit.WithTryvoxKey(testTryvoxKey, testTenant), otpkit.WithBaseURL(srv.URL),
		otpkit.WithHTTPClient(&http.Client{Transport: tr}), otpkit.WithRetryPolicy(faultRetries))
	require.NoError(t, err)
	_, err = c.GetStatus(context.Background(), "ver_abc123")
	require.ErrorIs(t, err, syscall.ECONNREFUSED, "the last attempt was refused")
	assert.ErrorIs(t, err, otpkit.ErrUnavailable)
	assert.NotErrorIs(t, err, otpkit.ErrNotSent, "the first attempt reached the server")
	assert.GreaterOrEqual(t, dials.Load(), int32(2))
}
