package otpkit

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBackoffIsExponentialWithFullJitter(t *testing.T) {
	c, err := NewClient()
	require.NoError(t, err)
	minWait, maxWait := 200*time.Millisecond, 5*time.Second
	for attempt := 0; attempt < 12; attempt++ {
		ceiling := min(maxWait, minWait<<attempt)
		seen := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			d := c.backoff(minWait, maxWait, attempt, nil)
			require.GreaterOrEqual(t, d, minWait)
			require.LessOrEqual(t, d, ceiling, "attempt %d", attempt)
			seen[d] = true
		}
		if attempt > 0 {
			assert.Greater(t, len(seen), 50, "waits are jittered")
		}
	}
	assert.Equal(t, minWait, c.backoff(minWait, maxWait, 0, nil), "the first retry waits MinWait")
	resp := &http.Response{Header: http.Header{"Retry-After": {"2"}}}
	assert.Equal(t, 2*time.Second, c.backoff(minWait, maxWait, 0, resp), "Retry-After replaces the backoff")
	d := c.backoff(minWait, maxWait, 1000, nil)
	assert.True(t, d >= minWait && d <= maxWait, "no overflow for late attempts: %v", d)
}

func TestNotSentClassifiesTransportErrors(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	dns := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "x"}}}
	dialTimeout := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}}
	reset := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	eof := &url.Error{Op: "Post", URL: "http://x", Err: io.EOF}
	assert.True(t, notSent(refused))
	assert.True(t, notSent(dns))
	assert.False(t, notSent(dialTimeout), "a timeout is never retried for a write")
	assert.False(t, notSent(reset))
	assert.False(t, notSent(eof))
	assert.False(t, notSent(errors.New("something")))
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestCheckRetryPolicy(t *testing.T) {
	c, err := NewClient()
	require.NoError(t, err)
	read := context.WithValue(context.Background(), callStateKey{}, &callState{})
	write := context.WithValue(context.Background(), callStateKey{}, &callState{write: true})
	status := func(code int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	for code, want := range map[int]bool{200: false, 400: false, 404: false, 429: true, 500: true, 501: false, 502: true, 503: true, 504: true} {
		got, _ := c.checkRetry(read, status(code, ""), nil)
		assert.Equal(t, want, got, "GET %d", code)
		got, _ = c.checkRetry(write, status(code, ""), nil)
		assert.False(t, got, "a write is never retried after status %d", code)
	}
	got, _ := c.checkRetry(read, status(503, "31"), nil)
	assert.False(t, got, "Retry-After over the 30 s cap is not waited")
	got, _ = c.checkRetry(read, status(503, "30"), nil)
	assert.True(t, got)

	cancelled, cancel := context.WithCancel(read)
	cancel()
	got, err = c.checkRetry(cancelled, status(503, ""), nil)
	assert.False(t, got)
	assert.ErrorIs(t, err, context.Canceled)
}
