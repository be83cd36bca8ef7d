package otpkit_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// The fault suite against the mock's fault injection. Besides the requests
// and the error, it checks the side effect on the provider's state: a write
// took effect at most once (one message sent, one attempt spent), also when
// the provider did the work and the answer was lost.

// mockCall is a call against the mock: prepare creates what it needs (a
// verification to check, ...) before any fault is injected and returns the
// call; effects counts how often the provider acted on it (messages sent,
// attempts spent), with faults cleared.
type mockCall struct {
	name    string
	route   string // the mock's fault route
	write   bool
	prepare func(t *testing.T, srv *mock.Server, c *otpkit.Client) (call func(context.Context) error, effects func() int)
}

const (
	mockLOX24Phone = "+491701234567"
	mockTryvoxTo   = "+4917012345678"
	mockDotdigitTo = "447123123456"
	mockWrongCode  = "000000"
	mockLOX24Code  = "482913"
)

func mockCreateRequest() *otpkit.CreateVerifyCodeRequest {
	return &otpkit.CreateVerifyCodeRequest{Phone: mockLOX24Phone, Code: mockLOX24Code,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}}
}

var mockCalls = []mockCall{
	{"CreateVerifyCode", "POST /verify_codes", true, func(t *testing.T, srv *mock.Server, c *otpkit.Client) (func(context.Context) error, func() int) {
		return func(ctx context.Context) error {
				_, err := c.CreateVerifyCode(ctx, mockCreateRequest())
				return err
			}, func() int {
				return srv.Stats().LOX24Codes
			}
	}},
	{"GetVerifyCode", "GET /verify_codes/{id}", false, func(t *testing.T, srv *mock.Server, c *otpkit.Client) (func(context.Context) error, func() int) {
		vc, err := c.CreateVerifyCode(context.Background(), mockCreateRequest())
		require.NoError(t, err)
		return func(ctx context.Context) error {
			got, err := c.GetVerifyCode(ctx, vc.ID)
			if err == nil {
				assert.Equal(t, vc.ID, got.ID)
				assert.True(t, got.Matches(mockLOX24Code))
			}
			return err
		}, nil
	}},
	{"ListVerifyCodes", "GET /verify_codes", false, func(t *testing.T, srv *mock.Server, c *otpkit.Client) (func(context.Context) error, func() int) {
		_, err := c.CreateVerifyCode(context.Background(), mockCreateRequest())
		require.NoError(t, err)
		return func(ctx context.Context) error {
			list, err := c.ListVerifyCodes(ctx, nil)
			if err == nil {
				assert.Len(t, list, 1)
			}
			return err
		}, nil
	}},
	{"StartVerification", "POST /v1/verify/start", true, func(t *testing.T, srv *mock.Server, c *otpkit.Client) (func(context.Context) error, func() int) {
		return func(ctx context.Context) error {
				_, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: mockTryvoxTo, Channel: otpkit.ChannelSMS})
				return err
			}, func() int {
				return len(srv.MessagesTo(mockTryvoxTo))
			}
	}},
	{"GetStatus", "GET /v1/verify/{id}", false, func(t *testing.T, srv *mock.Server, c *otpkit.Client) (func(context.Context) error, func() int) {
		v, err := c.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: mockTryvoxTo, Channel: otpkit.ChannelSMS})
		require.NoError(t, err)
		return func(ctx context.Context) error {
			got, err := c.GetStatus(ctx, v.ID)
			if err == nil {
				assert.Equal(t, otpkit.VerificationPending, got.Status)
			}
			return err
		}, nil
	}},
	{"CheckCode", "POST /v1/verify/check", true, func(t *testing.T, srv *mock.Server, c *otpkit.Client) (func(context.Context) error, func() int) {
		v, err := c.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: mockTryvoxTo, Channel: otpkit.ChannelSMS})
		require.NoError(t, err)
		code, ok := srv.LastCode(mockTryvoxTo)
		require.True(t, ok)
		return func(ctx context.Context) error {
				_, err := c.CheckCode(ctx, v.ID, code)
				return err
			}, func() int {
				st, err := c.GetStatus(context.Background(), v.ID)
				require.NoError(t, err)
				return st.Attempts
			}
	}},
	{"SendCode", "POST /webapi/verify", true, func(t *testing.T, srv *mock.Server, c *otpkit.Client) (func(context.Context) error, func() int) {
		return func(ctx context.Context) error {
				_, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: mockDotdigitTo})
				return err
			}, func() int {
				return len(srv.MessagesTo(mockDotdigitTo))
			}
	}},
	{"ValidateCode", "PUT /webapi/verify/{id}/validate", true, func(t *testing.T, srv *mock.Server, c *otpkit.Client) (func(context.Context) error, func() int) {
		st, err := c.SendCode(context.Background(), &otpkit.SendCodeRequest{To: mockDotdigitTo})
		require.NoError(t, err)
		code, ok := srv.LastCode(mockDotdigitTo)
		require.True(t, ok)
		return func(ctx context.Context) error {
				got, err := c.ValidateCode(ctx, st.RequestID, code)
				if err == nil {
					assert.Equal(t, otpkit.CodeVerified, got.Status)
				}
				return err
			}, func() int {
				// A validated requestId is discarded: 204 means the
				// provider acted on the validate.
				_, err := c.ValidateCode(context.Background(), st.RequestID, mockWrongCode)
				if errors.Is(err, otpkit.ErrNotFound) {
					return 1
				}
				require.NoError(t, err)
				return 0
			}
	}},
}

// mockFault is one row of the mock table.
type mockFault struct {
	name    string
	fault   mock.Fault
	timeout time.Duration // WithTimeout; 0: the default
	// reads: requests a read makes and whether it then succeeds.
	readRequests int
	readOK       bool
	// writes: whether the provider acted (effects 1) and the error.
	writeActed bool
	check      func(t *testing.T, err error) // the error of a write, and of a read that fails
	minRead    time.Duration                 // a read takes at least this long
	// unavailable: the error (of a write, and of a read that fails) matches
	// ErrUnavailable. None of the rows is ErrNotSent: every request reached
	// the mock.
	unavailable bool
	// clientTimeout is WithTimeout: the call's own timeout, which (unlike
	// the caller's context) is ErrUnavailable when it runs out.
	clientTimeout time.Duration
}

func mockFaults() []mockFault {
	all := 1 + faultRetries.MaxRetries
	return []mockFault{
		{
			name:         "503 storm",
			fault:        mock.Fault{Status: http.StatusServiceUnavailable, Count: -1},
			readRequests: all, check: isSentinel(otpkit.ErrServer),
		},
		{
			name:         "one 429 with Retry-After 1s",
			fault:        mock.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Count: 1},
			readRequests: 2, readOK: true, minRead: 900 * time.Millisecond,
			check: apiError(otpkit.ErrRateLimited, func(t *testing.T, e *otpkit.APIError) {
				assert.Equal(t, time.Second, e.RetryAfter)
			}),
		},
		{
			name:         "429 with Retry-After beyond MaxRetryAfter",
			fault:        mock.Fault{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Minute, Count: -1},
			readRequests: 1,
			check: apiError(otpkit.ErrRateLimited, func(t *testing.T, e *otpkit.APIError) {
				assert.Equal(t, 2*time.Minute, e.RetryAfter)
			}),
		},
		{
			// The client gives up while the mock holds the request: the
			// mock ends the delay without acting, and the client sends
			// nothing again. (A provider that acts and then loses the
			// answer is the "acted, then the connection dropped" row.)
			name:         "answer slower than the timeout",
			fault:        mock.Fault{Delay: 700 * time.Millisecond, Count: -1},
			timeout:      300 * time.Millisecond,
			readRequests: 1, writeActed: false, check: isTimeout,
		},
		{
			name:         "latency within the timeout",
			fault:        mock.Fault{Delay: 20 * time.Millisecond, Count: 1},
			readRequests: 1, readOK: true, writeActed: true,
		},
		{
			// One more than the policy's attempts: net/http itself replays
			// an idempotent request once when a kept-alive connection
			// closes without an answer (never a POST or PUT).
			name:         "dropped connection",
			fault:        mock.Fault{DropConnection: true, Count: -1},
			readRequests: all + 1, check: isBrokenConnection, unavailable: true,
		},
		{
			name:         "acted, then the connection dropped",
			fault:        mock.Fault{DropConnection: true, AfterHandler: true, Count: 1},
			readRequests: 2, readOK: true, writeActed: true, check: isBrokenConnection, unavailable: true,
		},
		{
			// The provider acts and then holds its answer past the call's
			// own timeout: the client gives up on a write that took effect,
			// and must not send it again (a failover to another provider
			// would send a second message).
			// (The timeout also bounds the calls that prepare the row, so it
			// leaves room for a busy machine.)
			name:          "acted, then the answer held past the call timeout",
			fault:         mock.Fault{Delay: 5 * time.Second, AfterHandler: true, Count: 1},
			clientTimeout: 1500 * time.Millisecond,
			readRequests:  1, writeActed: true, check: isTimeout, unavailable: true,
		},
		{
			name:         "acted, then 503",
			fault:        mock.Fault{Status: http.StatusServiceUnavailable, AfterHandler: true, Count: 1},
			readRequests: 2, readOK: true, writeActed: true, check: isSentinel(otpkit.ErrServer),
		},
	}
}

// routeRequests counts the logged requests of a call's route.
func routeRequests(srv *mock.Server, call mockCall) int {
	method, path, _ := strings.Cut(call.route, " ")
	prefix, withID := strings.CutSuffix(path, "{id}")
	if i := strings.Index(path, "{id}"); i >= 0 {
		prefix, withID = path[:i], true
	}
	n := 0
	for _, r := range srv.Requests() {
		if r.Method != method {
			continue
		}
		if withID && strings.HasPrefix(strings.ToLower(r.Path), strings.ToLower(prefix)) || !withID && r.Path == path {
			n++
		}
	}
	return n
}

// runMockFaults runs the mock table; TestFaults calls it.
func runMockFaults(t *testing.T, trs *transports) {
	runConcurrently(t, mockFaults(), func(f mockFault) string { return f.name }, func(t *testing.T, f mockFault) {
		runConcurrently(t, mockCalls, func(c mockCall) string { return c.name }, func(t *testing.T, call mockCall) {
			srv := mock.NewServer()
			t.Cleanup(srv.Close)
			tr := &http.Transport{}
			trs.add(tr)
			opts := []otpkit.Option{otpkit.WithRetryPolicy(faultRetries), otpkit.WithHTTPClient(&http.Client{Transport: tr})}
			if f.clientTimeout > 0 {
				opts = append(opts, otpkit.WithTimeout(f.clientTimeout))
			}
			c, err := srv.Client(opts...)
			require.NoError(t, err)
			// Every call's first attempt goes over a kept-alive connection,
			// the common case in production and the one where net/http
			// may replay a request by itself.
			_, err = c.ListVerifyCodes(context.Background(), nil)
			require.NoError(t, err)
			do, effects := call.prepare(t, srv, c)
			requestsBefore := routeRequests(srv, call)
			srv.InjectFault(call.route, f.fault)

			ctx := context.Background()
			if f.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, f.timeout)
				defer cancel()
			}
			start := time.Now()
			err = do(ctx)
			took := time.Since(start)
			assert.Less(t, took, promptly+f.timeout+f.clientTimeout)
			srv.ClearFaults()
			if err != nil {
				assert.Equal(t, f.unavailable, errors.Is(err, otpkit.ErrUnavailable), "ErrUnavailable: %v", err)
				assert.False(t, errors.Is(err, otpkit.ErrNotSent), "the request reached the mock: %v", err)
			}

			want := 1
			if !call.write {
				want = f.readRequests
			}
			// The mock logs a request when its handler ends, which for a
			// client that gave up can be a moment after the call returned.
			// Nothing is sent after the call returned, so the count is
			// final once it is reached.
			requests := waitForCount(func() int { return routeRequests(srv, call) - requestsBefore }, want)
			if !call.write {
				assert.Equal(t, f.readRequests, requests, "requests of the read")
				if f.readOK {
					assert.NoError(t, err)
				} else {
					f.check(t, err)
				}
				if f.minRead > 0 {
					assert.GreaterOrEqual(t, took, f.minRead, "Retry-After is honoured")
				}
				return
			}
			assert.Equal(t, 1, requests, "a write reaches the provider once")
			if f.check == nil {
				assert.NoError(t, err)
			} else {
				f.check(t, err)
			}
			if err != nil {
				assertNoSecrets(t, err.Error(), mockSecrets()...)
			}
			acted := effects()
			if f.writeActed {
				assert.Equal(t, 1, acted, "the provider acted exactly once")
			} else {
				assert.Equal(t, 0, acted, "the provider did not act")
			}
		})
	})
}

// waitForCount polls count until it reaches want or 3 s passed, and
// returns the last value.
func waitForCount(count func() int, want int) int {
	deadline := time.Now().Add(3 * time.Second)
	for {
		n := count()
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mockSecrets are the mock's credentials and the codes the calls send.
func mockSecrets() []string {
	_, lox24Key, _ := strings.Cut(mock.LOX24Token, ":")
	basic := base64.StdEncoding.EncodeToString([]byte(mock.DotdigitalUsername + ":" + mock.DotdigitalPassword))
	return []string{mock.LOX24Token, lox24Key, mock.TryvoxAPIKey, mock.DotdigitalPassword, basic, mockLOX24Code}
}
