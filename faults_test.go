package otpkit_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// The fault suite: every call against every way a provider or the network
// can fail. For each pair it pins down how many requests reached the server
// (a write at most one once any byte of it may have arrived, a read as many
// as the retry policy allows), the error the caller gets, and that no
// secret shows in it. The tests verify that no goroutine is left behind.

// faultRetries is the retry policy of the suite: 3 retries, tiny waits.
var faultRetries = otpkit.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}

// oneRetry is for the rows whose every attempt takes long.
var oneRetry = otpkit.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}

// promptly bounds "returns at once" generously: a loaded machine (the
// whole fault suite at once under -race, other builds beside it)
// stretches a prompt call to several seconds, and the bound only has to
// stay well under DefaultTimeout (30 s), which a call that waited for its
// deadline would take.
const promptly = 10 * time.Second

// faultCall is one client call. write marks the calls that may send a
// message or spend an attempt.
type faultCall struct {
	name  string
	write bool
	do    func(ctx context.Context, c *otpkit.Client) error
}

// rawCalls are the eight calls with fixed arguments, for servers that do
// not care what is asked.
var rawCalls = []faultCall{
	{"CreateVerifyCode", true, func(ctx context.Context, c *otpkit.Client) error {
		_, err := c.CreateVerifyCode(ctx, validCreate())
		return err
	}},
	{"GetVerifyCode", false, func(ctx context.Context, c *otpkit.Client) error {
		_, err := c.GetVerifyCode(ctx, "d7ad7539-fb8f-4dbb-a7f7-7c40babec969")
		return err
	}},
	{"ListVerifyCodes", false, func(ctx context.Context, c *otpkit.Client) error {
		_, err := c.ListVerifyCodes(ctx, &otpkit.ListVerifyCodesOptions{Page: 2})
		return err
	}},
	{"StartVerification", true, func(ctx context.Context, c *otpkit.Client) error {
		_, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
		return err
	}},
	{"GetStatus", false, func(ctx context.Context, c *otpkit.Client) error {
		_, err := c.GetStatus(ctx, "ver_abc123")
		return err
	}},
	{"CheckCode", true, func(ctx context.Context, c *otpkit.Client) error {
		_, err := c.CheckCode(ctx, "ver_abc123", "482913")
		return err
	}},
	{"SendCode", true, func(ctx context.Context, c *otpkit.Client) error {
		_, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
		return err
	}},
	{"ValidateCode", true, func(ctx context.Context, c *otpkit.Client) error {
		_, err := c.ValidateCode(ctx, "0d5c94d4-df1f-4fc8-82d2-1f64ea548704", "771234")
		return err
	}},
}

// faultCodes are the verification codes the calls send; none may show in
// an error.
var faultCodes = []string{"482913", "771234"}

// runConcurrently runs f as a subtest of t for every item, all at once (not
// limited by -parallel, so waits overlap), and returns when all are done.
func runConcurrently[T any](t *testing.T, items []T, name func(T) string, f func(*testing.T, T)) {
	t.Helper()
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name(it), func(t *testing.T) { f(t, it) })
		}()
	}
	wg.Wait()
}

// ---------------------------------------------------------------------------
// A hand-written server on a raw listener.

// rawServer accepts connections on 127.0.0.1 and answers each request with
// behave, byte by byte as a test wants it, broken ones included.
type rawServer struct {
	url      string
	behave   rawBehaviour
	requests atomic.Int32 // requests of which at least one byte arrived

	connServer
}

// rawBehaviour answers one request on conn. req is nil when the behaviour
// asked to act after the first bytes (midRequest). It returns whether the
// connection may serve another request.
type rawBehaviour struct {
	midRequest bool // act after the first byte instead of the whole request
	answer     func(conn net.Conn, req *http.Request) (keepAlive bool)
}

func newRawServer(t *testing.T, b rawBehaviour) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &rawServer{url: "http://" + ln.Addr().String(), behave: b}
	s.start(ln, s.serve)
	t.Cleanup(s.close)
	return s
}

func (s *rawServer) serve(conn net.Conn) {
	br := bufio.NewReader(conn)
	for {
		if _, err := br.Peek(1); err != nil {
			return
		}
		s.requests.Add(1)
		if s.behave.midRequest {
			s.behave.answer(conn, nil)
			return
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		if !s.behave.answer(conn, req) {
			return
		}
	}
}

// reset closes conn with a TCP RST instead of a FIN.
func reset(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// waitForClient blocks until the client closes conn (or the server does).
func waitForClient(conn net.Conn) { _, _ = io.Copy(io.Discard, conn) }

// respond writes a whole response and keeps the connection.
func respond(status int, header string, body string) func(net.Conn, *http.Request) bool {
	return func(conn net.Conn, _ *http.Request) bool {
		_, err := fmt.Fprintf(conn, "HTTP/1.1 %d %s\r\n%sContent-Length: %d\r\n\r\n%s",
			status, http.StatusText(status), header, len(body), body)
		return err == nil
	}
}

// dialCounter counts the dials of a transport.
type dialCounter struct{ n atomic.Int32 }

func (d *dialCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.n.Add(1)
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// transports collects every transport a suite made, to close their idle
// connections before looking for leaks.
type transports struct {
	mu  sync.Mutex
	all []*http.Transport
}

func (ts *transports) add(tr *http.Transport) {
	ts.mu.Lock()
	ts.all = append(ts.all, tr)
	ts.mu.Unlock()
}

func (ts *transports) closeIdle() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, tr := range ts.all {
		tr.CloseIdleConnections()
	}
}

// ---------------------------------------------------------------------------
// The expectations.

// outcome is what a fault must produce for one call.
type outcome struct {
	requests int // that reached the server
	check    func(t *testing.T, err error)
}

func isSentinel(want error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		require.Error(t, err)
		assert.ErrorIs(t, err, want)
		var apiErr *otpkit.APIError
		assert.ErrorAs(t, err, &apiErr, "a provider's answer is an *APIError")
	}
}

func apiError(want error, f func(t *testing.T, e *otpkit.APIError)) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		require.Error(t, err)
		assert.ErrorIs(t, err, want)
		var apiErr *otpkit.APIError
		require.ErrorAs(t, err, &apiErr)
		f(t, apiErr)
	}
}

// isTimeout: the call's deadline ran out.
func isTimeout(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var apiErr *otpkit.APIError
	assert.False(t, errors.As(err, &apiErr), "a timeout is not a provider's answer: %v", err)
}

// isBrokenConnection: the connection broke before an answer; a network
// error, neither an answer nor a timeout.
func isBrokenConnection(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var apiErr *otpkit.APIError
	assert.False(t, errors.As(err, &apiErr), "no answer arrived: %v", err)
	assert.False(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.True(t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE),
		"want EOF, a reset or a broken pipe: %v", err)
}

// isNoAnswer: the connection broke before a whole answer arrived; neither
// an answer nor a timeout.
func isNoAnswer(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var apiErr *otpkit.APIError
	assert.False(t, errors.As(err, &apiErr), "no answer arrived: %v", err)
	assert.False(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
}

// isRefused: the dial was refused.
func isRefused(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr, "a refused dial is a *net.OpError: %v", err)
	assert.Equal(t, "dial", opErr.Op)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	var netErr net.Error
	assert.ErrorAs(t, err, &netErr)
}

// rawFault is one row of the raw-listener table.
type rawFault struct {
	name      string
	behave    rawBehaviour
	refused   bool                // no server: a closed port
	policy    *otpkit.RetryPolicy // nil: faultRetries
	timeout   time.Duration       // WithTimeout; 0: the default
	attemptTO time.Duration       // http.Client.Timeout, per attempt
	read      outcome             // for GET
	write     outcome             // for POST/PUT
	minTime   time.Duration       // a read takes at least this long (waits honoured)
	bulk      bool                // megabytes of answer: one read and one write only
	// unavailable and notSent say whether the error of a read and a write
	// matches ErrUnavailable (no whole answer) and ErrNotSent (nothing
	// can have reached the server).
	unavailable, notSent bool
}

// retryAfterDate is an HTTP date 1.5 to 2.5 s ahead (the format has whole
// seconds): still ahead when a loaded machine's client reads it a second
// later. The call waits until that date, so it takes more than 1.5 s from
// its start whenever the client read it.
func retryAfterDate() string {
	return time.Now().Add(2500 * time.Millisecond).UTC().Format(http.TimeFormat)
}

const htmlPage = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"

func rawFaults() []rawFault {
	all := 1 + faultRetries.MaxRetries // what a read makes when every attempt fails
	one := func(check func(*testing.T, error)) outcome { return outcome{1, check} }
	hang := func(conn net.Conn, _ *http.Request) bool { waitForClient(conn); return false }
	return []rawFault{
		{
			name: "connection refused", refused: true, unavailable: true, notSent: true,
			// No byte can have arrived: writes are retried like reads.
			read: outcome{0, isRefused}, write: outcome{0, isRefused},
		},
		{
			name: "reset mid-request", unavailable: true,
			// The first bytes arrived; the rest is never read.
			behave: rawBehaviour{midRequest: true, answer: func(conn net.Conn, _ *http.Request) bool {
				reset(conn)
				return false
			}},
			read: outcome{all, isBrokenConnection}, write: one(isBrokenConnection),
		},
		{
			name: "reset after the body was sent", unavailable: true,
			behave: rawBehaviour{answer: func(conn net.Conn, _ *http.Request) bool { reset(conn); return false }},
			read:   outcome{all, isBrokenConnection}, write: one(isBrokenConnection),
		},
		{
			name: "closed after the body was sent", unavailable: true,
			behave: rawBehaviour{answer: func(conn net.Conn, _ *http.Request) bool { return false }},
			read:   outcome{all, isBrokenConnection}, write: one(isBrokenConnection),
		},
		{
			name: "reset after half the headers", unavailable: true,
			behave: rawBehaviour{answer: func(conn net.Conn, _ *http.Request) bool {
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Ty")
				reset(conn)
				return false
			}},
			read: outcome{all, isNoAnswer}, write: one(isNoAnswer),
		},
		{
			// The call's own timeout spends its whole budget: nothing is
			// left to retry with, for reads either.
			name: "no headers within the call timeout", timeout: 1500 * time.Millisecond, unavailable: true,
			behave: rawBehaviour{answer: hang},
			read:   one(isTimeout), write: one(isTimeout),
		},
		{
			// An http.Client.Timeout bounds each attempt: reads try again,
			// writes never.
			name: "no headers within the attempt timeout", attemptTO: 1500 * time.Millisecond, policy: &oneRetry, unavailable: true,
			behave: rawBehaviour{answer: hang},
			read:   outcome{2, isTimeout}, write: one(isTimeout),
		},
		{
			name: "body stalls past the call timeout", timeout: 1500 * time.Millisecond, unavailable: true,
			behave: rawBehaviour{answer: func(conn net.Conn, _ *http.Request) bool {
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\":")
				waitForClient(conn)
				return false
			}},
			read: one(isTimeout), write: one(isTimeout),
		},
		{
			name:   "5xx storm",
			behave: rawBehaviour{answer: stormOf5xx()},
			read: outcome{all, apiError(otpkit.ErrServer, func(t *testing.T, e *otpkit.APIError) {
				assert.GreaterOrEqual(t, e.StatusCode, 500, "the provider's last answer")
			})},
			write: one(isSentinel(otpkit.ErrServer)),
		},
		{
			name:   "429 with Retry-After in seconds",
			policy: &oneRetry,
			behave: rawBehaviour{answer: respond(429, "Retry-After: 1\r\nContent-Type: application/json\r\n", `{"error":{"code":"RATE_LIMITED","message":"Too many requests"}}`)},
			read: outcome{2, apiError(otpkit.ErrRateLimited, func(t *testing.T, e *otpkit.APIError) {
				assert.Equal(t, time.Second, e.RetryAfter)
			})},
			minTime: 900 * time.Millisecond,
			write: one(apiError(otpkit.ErrRateLimited, func(t *testing.T, e *otpkit.APIError) {
				assert.Equal(t, time.Second, e.RetryAfter, "the caller learns how long to wait")
			})),
		},
		{
			name:   "429 with Retry-After as an HTTP date",
			policy: &oneRetry,
			behave: rawBehaviour{answer: func(conn net.Conn, r *http.Request) bool {
				return respond(429, "Retry-After: "+retryAfterDate()+"\r\n", `{"title":"An error occurred","detail":"Too many requests"}`)(conn, r)
			}},
			read: outcome{2, apiError(otpkit.ErrRateLimited, func(t *testing.T, e *otpkit.APIError) {
				assert.Greater(t, e.RetryAfter, time.Duration(0))
				assert.LessOrEqual(t, e.RetryAfter, 2500*time.Millisecond)
			})},
			minTime: 1400 * time.Millisecond,
			write: one(apiError(otpkit.ErrRateLimited, func(t *testing.T, e *otpkit.APIError) {
				assert.Greater(t, e.RetryAfter, time.Duration(0))
			})),
		},
		{
			name: "429 with Retry-After beyond MaxRetryAfter",
			behave: rawBehaviour{answer: func(conn net.Conn, r *http.Request) bool {
				date := time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat)
				return respond(429, "Retry-After: "+date+"\r\n", ``)(conn, r)
			}},
			read: one(apiError(otpkit.ErrRateLimited, func(t *testing.T, e *otpkit.APIError) {
				assert.InDelta(t, float64(2*time.Hour), float64(e.RetryAfter), float64(5*time.Second), "not waited for: handed to the caller")
			})),
			write: one(apiError(otpkit.ErrRateLimited, func(t *testing.T, e *otpkit.APIError) {
				assert.InDelta(t, float64(2*time.Hour), float64(e.RetryAfter), float64(5*time.Second))
			})),
		},
		{
			name: "success body larger than MaxResponseBytes", bulk: true,
			behave: rawBehaviour{answer: func(conn net.Conn, _ *http.Request) bool {
				n := otpkit.MaxResponseBytes + 100
				body := `{"data":{"verification_id":"ver_1","to":"` + strings.Repeat("9", n) + `"}}`
				respond(200, "Content-Type: application/json\r\n", body)(conn, nil)
				return false
			}},
			read: one(tooLarge), write: one(tooLarge),
		},
		{
			name: "endless success body", bulk: true,
			behave: rawBehaviour{answer: func(conn net.Conn, _ *http.Request) bool {
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[")
				chunk := []byte(strings.Repeat(`{"id":"x"},`, 3000))
				for i := 0; i < 2000; i++ { // bounded: at most ~64 MiB
					if _, err := conn.Write(chunk); err != nil {
						break
					}
				}
				return false
			}},
			read: one(tooLarge), write: one(tooLarge),
		},
		{
			name: "error body larger than MaxResponseBytes", bulk: true,
			behave: rawBehaviour{answer: func(conn net.Conn, _ *http.Request) bool {
				respond(503, "Content-Type: text/plain\r\n", strings.Repeat("x", otpkit.MaxResponseBytes+4096))(conn, nil)
				return false
			}},
			read:  outcome{all, apiError(otpkit.ErrServer, cappedBody)},
			write: one(apiError(otpkit.ErrServer, cappedBody)),
		},
		{
			// The status arrived, the whole answer did not.
			name: "body cut short of its Content-Length", unavailable: true,
			behave: rawBehaviour{answer: func(conn net.Conn, _ *http.Request) bool {
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"data\":{\"verification_id\":\"ver_1\"")
				return false
			}},
			read: one(badSuccess), write: one(badSuccess),
		},
		{
			name:   "truncated JSON",
			behave: rawBehaviour{answer: respond(200, "Content-Type: application/json\r\n", `{"data":{"verification_id":"ver_1","status":"pen`)},
			read:   one(badSuccess), write: one(badSuccess),
		},
		{
			// A proxy's or another API's "{}": nothing to go on with.
			name:   "empty JSON object as the success body",
			behave: rawBehaviour{answer: respond(200, "Content-Type: application/json\r\n", `{}`)},
			read:   one(badSuccess), write: one(badSuccess),
		},
		{
			name:   "non-JSON success body",
			behave: rawBehaviour{answer: respond(200, "Content-Type: text/plain\r\n", "OK")},
			read:   one(badSuccess), write: one(badSuccess),
		},
		{
			name:   "HTML error page (502)",
			behave: rawBehaviour{answer: respond(502, "Content-Type: text/html\r\n", htmlPage)},
			read: outcome{all, apiError(otpkit.ErrServer, func(t *testing.T, e *otpkit.APIError) {
				assert.Equal(t, "Bad Gateway", e.Message, "markup is not a message")
				assert.Equal(t, htmlPage, string(e.Body))
			})},
			write: one(apiError(otpkit.ErrServer, func(t *testing.T, e *otpkit.APIError) {
				assert.Equal(t, "Bad Gateway", e.Message)
			})),
		},
		{
			name:   "HTML 404 page",
			behave: rawBehaviour{answer: respond(404, "Content-Type: text/html\r\n", "<html><body><h1>Not Found</h1></body></html>")},
			read:   one(isSentinel(otpkit.ErrNotFound)), write: one(isSentinel(otpkit.ErrNotFound)),
		},
		{
			name:   "HTML page with 200 (a captive portal)",
			behave: rawBehaviour{answer: respond(200, "Content-Type: text/html\r\n", "<html><body>Please log in</body></html>")},
			read:   one(badSuccess), write: one(badSuccess),
		},
		{
			name:   "empty 401",
			behave: rawBehaviour{answer: respond(401, "WWW-Authenticate: Basic realm=\"dotdigital\"\r\n", "")},
			read:   one(isSentinel(otpkit.ErrUnauthorized)), write: one(isSentinel(otpkit.ErrUnauthorized)),
		},
	}
}

// stormOf5xx answers 500, 502, 503 and 504 in turn.
func stormOf5xx() func(net.Conn, *http.Request) bool {
	var n atomic.Int32
	statuses := []int{500, 502, 503, 504}
	return func(conn net.Conn, r *http.Request) bool {
		s := statuses[int(n.Add(1)-1)%len(statuses)]
		return respond(s, "Content-Type: application/json\r\n", `{"error":{"code":"INTERNAL_ERROR","message":"boom"}}`)(conn, r)
	}
}

func tooLarge(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, otpkit.ErrServer)
	assert.Contains(t, err.Error(), "exceeds")
}

func badSuccess(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, otpkit.ErrServer)
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusOK, apiErr.StatusCode)
}

func cappedBody(t *testing.T, e *otpkit.APIError) {
	t.Helper()
	assert.NotEmpty(t, e.Body)
	assert.LessOrEqual(t, len(e.Body), 64<<10, "APIError.Body is capped")
}

// TestFaults runs the raw-listener table and the mock table (in
// faults_mock_test.go). Every fault × call pair runs at once within a wave,
// in two waves: first the timeouts and waits, which are light, together
// with the mock table; then the rest, whose bulk transfers could otherwise
// delay a request past its deadline before it even reached the server.
func TestFaults(t *testing.T) {
	var trs transports
	verifyNoLeaks(t, trs.closeIdle)

	var timed, rest []rawFault
	for _, f := range rawFaults() {
		if f.timeout > 0 || f.attemptTO > 0 || f.minTime > 0 {
			timed = append(timed, f)
		} else {
			rest = append(rest, f)
		}
	}
	name := func(f rawFault) string { return f.name }
	run := func(t *testing.T, f rawFault) { runRawFault(t, &trs, f) }
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		t.Run("raw listeners, timed", func(t *testing.T) { runConcurrently(t, timed, name, run) })
	}()
	go func() {
		defer wg.Done()
		t.Run("mock", func(t *testing.T) { runMockFaults(t, &trs) })
	}()
	wg.Wait()
	t.Run("raw listeners", func(t *testing.T) { runConcurrently(t, rest, name, run) })
}

func runRawFault(t *testing.T, trs *transports, f rawFault) {
	calls := rawCalls
	if f.bulk { // the same path for every call: one read, one write
		calls = []faultCall{rawCalls[0], rawCalls[4]}
	}
	runConcurrently(t, calls, func(c faultCall) string { return c.name }, func(t *testing.T, call faultCall) {
		var url string
		var srv *rawServer
		if f.refused {
			url = "http://" + closedPort(t)
		} else {
			srv = newRawServer(t, f.behave)
			url = srv.url
		}
		dials := &dialCounter{}
		tr := &http.Transport{DialContext: dials.dial, MaxIdleConnsPerHost: 4}
		trs.add(tr)
		policy := faultRetries
		if f.policy != nil {
			policy = *f.policy
		}
		opts := []otpkit.Option{
			otpkit.WithBaseURL(url),
			otpkit.WithLOX24Token(testLOX24Token),
			otpkit.WithTryvoxKey(testTryvoxKey, testTenant),
			otpkit.WithDotdigitalAuth(testDDUser, testDDPassword),
			otpkit.WithRetryPolicy(policy),
			otpkit.WithHTTPClient(&http.Client{Transport: tr, Timeout: f.attemptTO}),
		}
		if f.timeout > 0 {
			opts = append(opts, otpkit.WithTimeout(f.timeout))
		}
		c, err := otpkit.NewClient(opts...)
		require.NoError(t, err)

		want := f.read
		if call.write {
			want = f.write
		}
		// What the client did, to tell its decisions from the timing of
		// a loaded machine: attempts it started, requests it wrote whole.
		var attempts, written atomic.Int32
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GetConn: func(string) { attempts.Add(1) },
			WroteRequest: func(i httptrace.WroteRequestInfo) {
				if i.Err == nil {
					written.Add(1)
				}
			},
		})
		start := time.Now()
		err = call.do(ctx, c)
		took := time.Since(start)

		want.check(t, err)
		assert.Equal(t, f.unavailable, errors.Is(err, otpkit.ErrUnavailable), "ErrUnavailable: %v", err)
		assert.Equal(t, f.notSent, errors.Is(err, otpkit.ErrNotSent), "ErrNotSent: %v", err)
		assertNoSecrets(t, err.Error(), faultCodes...)
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			assertNoSecrets(t, fmt.Sprintf(verb, err), faultCodes...)
		}
		if f.refused {
			assert.EqualValues(t, 1+policy.MaxRetries, dials.n.Load(),
				"a refused dial never sent a byte: retried for writes too")
		} else if f.timeout > 0 || f.attemptTO > 0 {
			// A timeout can run out before a request of a loaded machine
			// reached the server: the client's attempts are exact, the
			// server got what the client wrote, never more.
			assert.EqualValues(t, want.requests, attempts.Load(), "attempts the client made")
			tr.CloseIdleConnections()
			require.True(t, srv.settle(promptly), "the client closes its connections")
			assert.LessOrEqual(t, written.Load(), srv.requests.Load(), "every request the client wrote reached the server")
			assert.LessOrEqual(t, srv.requests.Load(), int32(want.requests), "requests that reached the server")
		} else {
			assert.EqualValues(t, want.requests, srv.requests.Load(), "requests that reached the server")
		}
		assert.Less(t, took, promptly+f.timeout)
		if !call.write && f.minTime > 0 {
			assert.GreaterOrEqual(t, took, f.minTime, "the wait the provider asked for is honoured")
		}
	})
}
