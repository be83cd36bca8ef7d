package mock

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

func TestFaultStatusAndRetryAfter(t *testing.T) {
	srv, c := newTest(t)
	srv.InjectFault("POST /v1/verify/start", Fault{Status: 503, RetryAfter: 1500 * time.Millisecond})
	_, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	require.ErrorIs(t, err, otpkit.ErrServer)
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, "INTERNAL_ERROR", apiErr.Code)
	assert.Equal(t, 2*time.Second, apiErr.RetryAfter, "whole seconds, rounded up")
	assert.Empty(t, srv.Messages(), "the fault answered instead of the provider")

	startSMS(t, c, tvPhone) // Count 0 means one request
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, Request{Method: "POST", Path: "/v1/verify/start", Provider: otpkit.ProviderTryvox, Status: 503, Time: t0, Fault: true}, reqs[0])
	assert.False(t, reqs[1].Fault)
	assert.Equal(t, 200, reqs[1].Status)
}

func TestFaultShapesPerProvider(t *testing.T) {
	srv, _ := newTest(t)
	srv.InjectFault("/verify_codes", Fault{Status: 500})
	srv.InjectFault("GET /v1/verify/{id}", Fault{Status: 429, RetryAfter: time.Minute})
	srv.InjectFault("PUT /webapi/verify/{id}/validate", Fault{Status: 401})
	srv.InjectFault("POST /WEBAPI/VERIFY", Fault{Status: 400})

	r := send(t, srv, "POST", "/verify_codes", nil, nil) // any method, and before any auth
	assert.Equal(t, 500, r.Status)
	assert.JSONEq(t, `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"Internal Server Error"}`, string(r.Body))
	assert.Regexp(t, lox24RequestIDRE, r.Header.Get("X-LOX24-REQUEST-ID"))

	r = send(t, srv, "GET", "/v1/verify/ver_anything", nil, tryvoxAuth)
	assert.Equal(t, 429, r.Status)
	assert.Equal(t, "60", r.Header.Get("Retry-After"))
	assert.JSONEq(t, `{"error":{"code":"RATE_LIMITED","message":"Too Many Requests"}}`, string(r.Body))

	r = send(t, srv, "PUT", "/WebApi/Verify/0d5c94d4-df1f-4fc8-82d2-1f64ea548704/Validate", []byte(`{}`), ddAuth)
	assert.Equal(t, 401, r.Status, "dotdigital routes match in any case")
	assert.Equal(t, `Basic realm="dotdigital"`, r.Header.Get("WWW-Authenticate"))
	assert.Empty(t, r.Body)

	r = send(t, srv, "POST", "/webapi/verify", []byte(`{"to":"447123123456"}`), ddAuth)
	assert.Equal(t, 400, r.Status)
	assert.JSONEq(t, `[{"property":"","failureCode":"PayloadInvalid","details":"Bad Request"}]`, string(r.Body))
	assert.Equal(t, 0, srv.Stats().Faults, "all used up")
}

func TestFaultCountAndOrder(t *testing.T) {
	srv, c := newTest(t)
	srv.InjectFault("POST /v1/verify/start", Fault{Status: 502, Count: 2})
	srv.InjectFault("POST /v1/verify/start", Fault{Status: 504})
	srv.InjectFault("GET /v1/verify/start", Fault{Status: 500}) // another method: never matches a start
	var got []int
	for i := 0; i < 4; i++ {
		_, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
		var apiErr *otpkit.APIError
		if errors.As(err, &apiErr) {
			got = append(got, apiErr.StatusCode)
		} else {
			require.NoError(t, err)
			got = append(got, 200)
		}
	}
	assert.Equal(t, []int{502, 502, 504, 200}, got)

	srv.InjectFault("/v1/verify/{id}", Fault{Status: 503, Count: -1})
	for i := 0; i < 5; i++ {
		r := send(t, srv, "GET", "/v1/verify/ver_x", nil, tryvoxAuth)
		assert.Equal(t, 503, r.Status, "a negative count never runs out")
	}
	srv.ClearFaults()
	assert.Equal(t, 404, send(t, srv, "GET", "/v1/verify/ver_x", nil, tryvoxAuth).Status)
}

func TestFaultRouteMatching(t *testing.T) {
	for _, tc := range []struct {
		route, method, path string
		want                bool
	}{
		{"GET /v1/verify/{id}", "GET", "/v1/verify/ver_abc", true},
		{"GET /v1/verify/{id}", "GET", "/v1/verify/", false},
		{"GET /v1/verify/{id}", "GET", "/v1/verify/a/b", false},
		{"GET /v1/verify/{id}", "POST", "/v1/verify/ver_abc", false},
		{"get /v1/verify/{id}", "GET", "/v1/verify/ver_abc", true},
		{"/verify_codes", "DELETE", "/verify_codes", true},
		{"/verify_codes", "GET", "/VERIFY_CODES", false},
		{"/verify_codes", "GET", "/verify_codes/x", false},
		{"PUT /WebApi/Verify/{requestId}/validate", "PUT", "/webapi/verify/abc/VALIDATE", true},
		{"POST /webapi/verify", "POST", "/WebApi/Verify", true},
		{"POST /webapi/verify", "POST", "/WebApi/Verify/x", false},
		{"/", "GET", "/", true},
	} {
		e, err := parseFault(tc.route, Fault{Status: 500})
		require.NoError(t, err)
		assert.Equal(t, tc.want, e.matches(tc.method, tc.path), "%s vs %s %s", tc.route, tc.method, tc.path)
	}
	h := NewHandler()
	for _, bad := range []struct {
		route string
		f     Fault
	}{
		{"v1/verify/start", Fault{Status: 500}},
		{"POST", Fault{Status: 500}},
		{"POST /a?b=1", Fault{Status: 500}},
		{"/x", Fault{}},
		{"/x", Fault{Status: 42}},
		{"/x", Fault{Status: 500, Delay: -1}},
		{"GET /_mock/health", Fault{Status: 500}},
	} {
		assert.Panics(t, func() { h.InjectFault(bad.route, bad.f) }, bad.route)
	}
}

func TestFaultDelay(t *testing.T) {
	srv, c := newTest(t)
	srv.InjectFault("POST /v1/verify/start", Fault{Delay: 30 * time.Millisecond})
	start := time.Now()
	startSMS(t, c, tvPhone)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "latency, then the normal answer")
	assert.True(t, srv.Requests()[0].Fault)

	// A delay ends when the client gives up, leaving nothing behind.
	srv.InjectFault("GET /v1/verify/{id}", Fault{Delay: time.Hour, Status: 500})
	cctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.GetStatus(cctx, "ver_x")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Eventually(t, func() bool {
		reqs := srv.Requests()
		return len(reqs) == 2 && reqs[1].Status == 0 && reqs[1].Fault
	}, 5*time.Second, time.Millisecond, "logged with status 0 once the handler returned")
}

// A write held by a delay ends when its client leaves, and is not acted on:
// no message is sent and nothing is charged later.
func TestFaultDelayOnAWriteEndsWhenTheClientLeaves(t *testing.T) {
	srv, c := newTest(t)
	srv.InjectFault("POST /v1/verify/start", Fault{Delay: time.Hour})
	cctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.StartVerification(cctx, &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Eventually(t, func() bool {
		reqs := srv.Requests()
		return len(reqs) == 1 && reqs[0].Status == 0
	}, 5*time.Second, time.Millisecond, "the handler returned without an answer")
	assert.Empty(t, srv.Messages(), "nothing was sent")
}

func TestFaultDelayEndsOnClose(t *testing.T) {
	srv := NewServer()
	srv.InjectFault("/v1/verify/{id}", Fault{Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/v1/verify/x")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return srv.Connections() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(5 * time.Millisecond) // let the request reach the handler
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the delay")
	}
	<-done
}

func TestFaultDropConnection(t *testing.T) {
	srv, c := newTest(t)
	srv.InjectFault("POST /v1/verify/start", Fault{DropConnection: true})
	_, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	require.Error(t, err)
	var apiErr *otpkit.APIError
	assert.False(t, errors.As(err, &apiErr), "a transport error, not an answer: %v", err)
	assert.Empty(t, srv.Messages(), "dropped before the provider ran")
	// The client sees the drop as soon as the connection closes, which can
	// be before the handler returned and logged.
	require.Eventually(t, func() bool { return len(srv.Requests()) == 1 }, 5*time.Second, time.Millisecond)
	reqs := srv.Requests()
	assert.Equal(t, 0, reqs[0].Status)
	assert.True(t, reqs[0].Fault)
	startSMS(t, c, tvPhone)
}

func TestFaultAfterHandler(t *testing.T) {
	srv, c := newTest(t)
	srv.InjectFault("POST /v1/verify/start", Fault{DropConnection: true, AfterHandler: true})
	_, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	require.Error(t, err)
	_, ok := srv.LastCode(tvPhone)
	assert.True(t, ok, "the provider sent the code; only the answer was lost")

	srv.InjectFault("POST /v1/verify/check", Fault{Status: 504, AfterHandler: true})
	code, _ := srv.LastCode(tvPhone)
	id := srv.Messages()[0].ID
	_, err = c.CheckCode(ctx(t), id, wrongCode(code))
	require.ErrorIs(t, err, otpkit.ErrServer)
	st, err := c.GetStatus(ctx(t), id)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Attempts, "the check was counted behind the 504")

	srv.InjectFault("GET /v1/verify/{id}", Fault{Delay: time.Millisecond, AfterHandler: true})
	st, err = c.GetStatus(ctx(t), id)
	require.NoError(t, err, "without status or drop the real answer goes through")
	assert.Equal(t, 1, st.Attempts)
}

func TestFaultDropWithoutServer(t *testing.T) {
	h := NewHandler()
	h.InjectFault("/v1/verify/start", Fault{DropConnection: true})
	r := do(h, "POST", "/v1/verify/start", `{}`, tryvoxAuth)
	assert.Equal(t, 502, r.Status, "no connection to drop: a bad gateway")
}

func TestClientRetriesReadsOnInjected503(t *testing.T) {
	srv := NewServer(WithClock(t0))
	t.Cleanup(srv.Close)
	c, err := srv.Client(otpkit.WithRetryPolicy(otpkit.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	require.NoError(t, err)
	srv.InjectFault("GET /verify_codes", Fault{Status: 503, Count: 2})
	list, err := c.ListVerifyCodes(ctx(t), nil)
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.Len(t, srv.Requests(), 3)
}
