package otpkit_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// The fault suite over HTTP/2. Go's HTTP/2 clients replay a request whose
// stream the server reset, on a fresh connection, whenever they can rewind
// its body; a write must still reach the server at most once when the
// server may have acted on it. A stream refused before it was read, or
// dropped by a GOAWAY naming a lower stream id, was provably not acted on:
// a replay is allowed there.

// h2Transport is one way a Client talks HTTP/2.
type h2Transport struct {
	name string
	// client builds the Client for srv with opts; closeIdle closes its
	// idle connections.
	client func(t *testing.T, srv *h2Server, opts []otpkit.Option) (c *otpkit.Client, closeIdle func())
}

var h2Transports = []h2Transport{
	{"default transport", func(t *testing.T, srv *h2Server, opts []otpkit.Option) (*otpkit.Client, func()) {
		c, err := otpkit.NewClient(opts...)
		require.NoError(t, err)
		otpkit.TrustForTest(c, srv.pool)
		return c, c.CloseIdleConnections
	}},
	{"WithHTTPClient net/http", func(t *testing.T, srv *h2Server, opts []otpkit.Option) (*otpkit.Client, func()) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.pool}, ForceAttemptHTTP2: true}
		c, err := otpkit.NewClient(append(opts, otpkit.WithHTTPClient(&http.Client{Transport: tr}))...)
		require.NoError(t, err)
		return c, tr.CloseIdleConnections
	}},
	{"WithHTTPClient HTTP/2 only behind middleware", func(t *testing.T, srv *h2Server, opts []otpkit.Option) (*otpkit.Client, func()) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.pool}, Protocols: new(http.Protocols)}
		tr.Protocols.SetHTTP2(true)
		c, err := otpkit.NewClient(append(opts, otpkit.WithHTTPClient(&http.Client{Transport: middleware{tr}}))...)
		require.NoError(t, err)
		return c, tr.CloseIdleConnections
	}},
}

// middleware is a user's RoundTripper around a transport (logging,
// tracing): the client cannot see the transport behind it.
type middleware struct{ next http.RoundTripper }

func (m middleware) RoundTrip(r *http.Request) (*http.Response, error) { return m.next.RoundTrip(r) }

// h2Outcome is what a mode must produce for one call.
type h2Outcome struct {
	// processed bounds the requests the server read whole (and may have
	// acted on); arrived bounds those whose headers arrived.
	minProcessed, maxProcessed int
	maxArrived                 int // 0: no bound
	// check looks at the error; nil means the call must fail with a
	// network error (no provider answer, no timeout).
	check func(t *testing.T, err error)
}

type h2Fault struct {
	mode h2Mode
	// timeout and readTimeout are WithTimeout for writes and reads; 0:
	// the default.
	timeout, readTimeout time.Duration
	read, write          h2Outcome
}

func h2Faults() []h2Fault {
	notFound := isSentinel(otpkit.ErrNotFound)
	// failed: the write reached the server and may have been acted on:
	// unavailable, and not provably unsent.
	failed := func(t *testing.T, err error) {
		t.Helper()
		isNoAnswer(t, err)
		assert.ErrorIs(t, err, otpkit.ErrUnavailable)
		assert.NotErrorIs(t, err, otpkit.ErrNotSent, "the server read the write: it may have acted")
	}
	// refused: every attempt was refused unread, so nothing was sent.
	refused := func(t *testing.T, err error) {
		t.Helper()
		isNoAnswer(t, err)
		assert.ErrorIs(t, err, otpkit.ErrUnavailable)
		assert.ErrorIs(t, err, otpkit.ErrNotSent, "every stream was refused unread")
	}
	// gaveUp: the call failed without an answer, maybe at its deadline
	// while the transport replayed a read.
	gaveUp := func(t *testing.T, err error) {
		t.Helper()
		require.Error(t, err)
		var apiErr *otpkit.APIError
		assert.False(t, errors.As(err, &apiErr), "no answer arrived: %v", err)
	}
	return []h2Fault{
		{mode: h2Answer,
			read:  h2Outcome{1, 1, 1, notFound},
			write: h2Outcome{1, 1, 1, notFound}},
		// The server read the write whole, maybe acted, then reset the
		// stream: the write is an error and is not sent again.
		{mode: h2ResetOnce,
			read:  h2Outcome{2, 2, 2, notFound},
			write: h2Outcome{1, 1, 1, failed}},
		// net/http replays such a read on a new connection without a
		// counter (hundreds a second, until the deadline); the client lets
		// two requests an attempt go at once, then counts each replay as a
		// retry, and stops when the retries are used up: long before the
		// deadline, with a bounded number of requests.
		{mode: h2ResetAlways, timeout: 4 * time.Second, readTimeout: 4 * time.Second,
			read:  h2Outcome{1, maxReadReplays, maxReadReplays, failed},
			write: h2Outcome{1, 1, 1, failed}},
		// Refused before it was read, or dropped by a GOAWAY naming a lower
		// stream: not processed, so the client's retry sends a write again.
		{mode: h2RefuseOnce,
			read:  h2Outcome{1, 1, 2, notFound},
			write: h2Outcome{1, 1, 2, notFound}},
		{mode: h2RefuseAlways, timeout: 4 * time.Second, readTimeout: time.Second,
			read:  h2Outcome{0, 0, 0, gaveUp},
			write: h2Outcome{0, 0, 1 + faultRetries.MaxRetries, refused}},
		{mode: h2GoAwayOnce,
			read:  h2Outcome{1, 1, 2, notFound},
			write: h2Outcome{1, 1, 2, notFound}},
	}
}

// maxReadReplays bounds the requests of a read whose every stream the
// server resets: a small constant per attempt.
var maxReadReplays = 2 * (1 + faultRetries.MaxRetries)

// h2Calls are every write and two reads.
func h2Calls() []faultCall {
	var calls []faultCall
	for _, c := range rawCalls {
		if c.write || c.name == "GetStatus" || c.name == "GetVerifyCode" {
			calls = append(calls, c)
		}
	}
	return calls
}

func TestFaultsHTTP2(t *testing.T) {
	var mu sync.Mutex
	var closers []func()
	verifyNoLeaks(t, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range closers {
			f()
		}
	})
	// Every mode × transport × call at once, in two waves: the modes that
	// fault every request (whose calls run longest) last.
	var once, always []h2Fault
	for _, f := range h2Faults() {
		if f.readTimeout > 0 {
			always = append(always, f)
		} else {
			once = append(once, f)
		}
	}
	for _, wave := range [][]h2Fault{once, always} {
		runH2Faults(t, wave, func(f func()) {
			mu.Lock()
			defer mu.Unlock()
			closers = append(closers, f)
		})
	}
}

func runH2Faults(t *testing.T, faults []h2Fault, addCloser func(func())) {
	runConcurrently(t, faults, func(f h2Fault) string { return f.mode.String() }, func(t *testing.T, f h2Fault) {
		runConcurrently(t, h2Transports, func(tr h2Transport) string { return tr.name }, func(t *testing.T, tr h2Transport) {
			runConcurrently(t, h2Calls(), func(c faultCall) string { return c.name }, func(t *testing.T, call faultCall) {
				srv := newH2Server(t, f.mode)
				opts := []otpkit.Option{
					otpkit.WithBaseURL(srv.url),
					otpkit.WithLOX24Token(testLOX24Token),
					otpkit.WithTryvoxKey(testTryvoxKey, testTenant),
					otpkit.WithDotdigitalAuth(testDDUser, testDDPassword),
					otpkit.WithRetryPolicy(faultRetries),
				}
				if timeout := f.timeout; timeout > 0 {
					if !call.write && f.readTimeout > 0 {
						timeout = f.readTimeout
					}
					opts = append(opts, otpkit.WithTimeout(timeout))
				}
				c, closeIdle := tr.client(t, srv, opts)
				addCloser(closeIdle)

				want := f.read
				if call.write {
					want = f.write
				}
				start := time.Now()
				err := call.do(context.Background(), c)
				took := time.Since(start)

				want.check(t, err)
				if err != nil {
					assert.NotContains(t, err.Error(), "GetBody", "net/http's advice does not apply")
				}
				assertNoSecrets(t, fmt.Sprintf("%v %+v", err, err), faultCodes...)
				processed, arrived := int(srv.processed.Load()), int(srv.arrived.Load())
				assert.GreaterOrEqual(t, processed, want.minProcessed, "requests the server read whole")
				assert.LessOrEqual(t, processed, want.maxProcessed, "requests the server read whole")
				if want.maxArrived > 0 {
					assert.LessOrEqual(t, arrived, want.maxArrived, "requests that reached the server")
				}
				if call.write || f.mode == h2ResetAlways {
					assert.Less(t, took, promptly, "not retried until the deadline")
				}
				closeIdle()
			})
		})
	})
}
