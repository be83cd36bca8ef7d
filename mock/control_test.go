package mock

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// ctl sends a /_mock/ request to srv and decodes the JSON answer into out
// (when non-nil), returning the status.
func ctl(t *testing.T, srv *Server, method, path, body string, out any) int {
	t.Helper()
	var hdr map[string]string
	if method != "GET" {
		hdr = ctlJSON // as a CI job sends every control write
	}
	r := send(t, srv, method, path, []byte(body), hdr)
	assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"), "%s %s", method, path)
	if out != nil {
		require.NoError(t, json.Unmarshal(r.Body, out), "%s %s: %s", method, path, r.Body)
	}
	return r.Status
}

func TestControlHealthAndClock(t *testing.T) {
	srv, _ := newTest(t)
	var health map[string]string
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/health", "", &health))
	assert.Equal(t, map[string]string{"status": "ok", "now": "2026-04-09T10:00:00Z"}, health)

	var now map[string]string
	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/clock", `{"advance":"10m"}`, &now))
	assert.Equal(t, "2026-04-09T10:10:00Z", now["now"], "the new now")
	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/clock", `{"advance":90}`, &now))
	assert.Equal(t, "2026-04-09T10:11:30Z", now["now"], "a number is seconds")
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/clock", "", &now))
	assert.Equal(t, t0.Add(11*time.Minute+30*time.Second), srv.Now())

	var e map[string]string
	for _, body := range []string{``, `{`, `{"advance":"soon"}`, `{"advance":"-1m"}`, `{}`, `{"advance":"1m","extra":1}`, `[]`, `{"advance":"1m"} {}`} {
		assert.Equal(t, 400, ctl(t, srv, "POST", "/_mock/clock", body, &e), body)
		assert.NotEmpty(t, e["error"], body)
	}
	assert.Equal(t, t0.Add(11*time.Minute+30*time.Second), srv.Now(), "bad requests did not move the clock")
	assert.Equal(t, 405, ctl(t, srv, "DELETE", "/_mock/clock", "", &e))
	assert.Equal(t, 404, ctl(t, srv, "GET", "/_mock/nope", "", &e))
	assert.Equal(t, 404, ctl(t, srv, "GET", "/_mock", "", &e))
	assert.Empty(t, srv.Requests(), "control requests are not logged")
}

func TestControlMessagesAndRequests(t *testing.T) {
	srv, c := newTest(t)
	var msgs []map[string]any
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/messages", "", &msgs))
	assert.Empty(t, msgs)

	v := startSMS(t, c, tvPhone)
	startSMS(t, c, "+4917000000001")
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/messages?to=%2B"+tvPhone[1:], "", &msgs))
	require.Len(t, msgs, 1)
	code, _ := srv.LastCode(tvPhone)
	assert.Equal(t, map[string]any{"id": v.ID, "provider": "tryvox", "channel": "sms", "to": tvPhone, "code": code,
		"text": "Your verification code is " + code, "time": "2026-04-09T10:00:00Z"}, msgs[0])
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/messages", "", &msgs))
	assert.Len(t, msgs, 2)
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/messages?to=+"+tvPhone[1:], "", &msgs))
	assert.Len(t, msgs, 1, "an unescaped + (a space once decoded) still finds the recipient")

	var reqs []map[string]any
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/requests", "", &reqs))
	require.Len(t, reqs, 2)
	assert.Equal(t, map[string]any{"method": "POST", "path": "/v1/verify/start", "provider": "tryvox", "status": float64(200),
		"time": "2026-04-09T10:00:00Z"}, reqs[0])
}

func TestControlFaults(t *testing.T) {
	srv, c := newTest(t)
	var ok map[string]string
	require.Equal(t, 201, ctl(t, srv, "POST", "/_mock/faults",
		`{"route":"POST /v1/verify/start","status":503,"retry_after":"2s","count":2}`, &ok))
	var list []map[string]any
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/faults", "", &list))
	assert.Equal(t, []map[string]any{{"route": "POST /v1/verify/start", "status": float64(503), "retry_after": "2s",
		"count": float64(2), "remaining": float64(2)}}, list)

	_, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 2*time.Second, apiErr.RetryAfter)
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/faults", "", &list))
	assert.Equal(t, float64(1), list[0]["remaining"])

	require.Equal(t, 200, ctl(t, srv, "DELETE", "/_mock/faults", "", &ok))
	startSMS(t, c, tvPhone)

	require.Equal(t, 201, ctl(t, srv, "POST", "/_mock/faults", `{"route":"/v1/verify/{id}","delay":"1ms","drop_connection":true,"after_handler":true}`, &ok))
	var e map[string]string
	for _, body := range []string{`{"route":"nope","status":500}`, `{"route":"/x"}`, `{"route":"/x","status":500,"delay":"forever"}`,
		`{"route":"/x","status":"500"}`, `{"route":"/x","status":500,"remaining":3}`, `{"route":"/x","status":500,"retry_after":-1}`} {
		assert.Equal(t, 400, ctl(t, srv, "POST", "/_mock/faults", body, &e), body)
		assert.NotEmpty(t, e["error"])
	}
	assert.Equal(t, 1, srv.Stats().Faults)
}

func TestControlOutcomesNumberStatusAccount(t *testing.T) {
	srv, c := newTest(t)
	var ok map[string]string
	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/outcomes", `{"recipient":"`+tvPhone+`","channel":"sms","outcome":"failed"}`, &ok))
	_, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	require.ErrorIs(t, err, otpkit.ErrDeliveryFailed)
	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/outcomes", `{"recipient":"`+tvPhone+`","channel":"sms","outcome":"delivered"}`, &ok))
	startSMS(t, c, tvPhone)
	var e map[string]string
	assert.Equal(t, 400, ctl(t, srv, "POST", "/_mock/outcomes", `{"recipient":"x","channel":"sms","outcome":"lost"}`, &e))
	assert.Equal(t, 400, ctl(t, srv, "POST", "/_mock/outcomes", `{"recipient":"x","channel":"sms"}`, &e))

	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/number_status", `{"recipient":"447123123456","status":"Valid"}`, &ok))
	st := sendCode(t, c, &otpkit.SendCodeRequest{To: "447123123456"})
	assert.Equal(t, "Valid", st.NumberStatus)
	assert.Equal(t, 400, ctl(t, srv, "POST", "/_mock/number_status", `{"status":"Valid"}`, &e))

	var acct map[string]any
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/account", "", &acct))
	assert.Equal(t, map[string]any{"balance_cents": float64(0), "balance_limited": false, "inactive": false}, acct)
	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/account", `{"balance_cents":5,"inactive":true}`, &acct))
	assert.Equal(t, map[string]any{"balance_cents": float64(5), "balance_limited": true, "inactive": true}, acct)
	_, err = c.ListVerifyCodes(ctx(t), nil)
	require.ErrorIs(t, err, otpkit.ErrForbidden)
	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/account", `{"inactive":false}`, &acct))
	_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
	require.ErrorIs(t, err, otpkit.ErrInsufficientFunds)
}

func TestControlResetAndStats(t *testing.T) {
	srv, c := newTest(t, WithBalance(100))
	startSMS(t, c, tvPhone)
	srv.InjectFault("/x", Fault{Status: 500})
	var stats Stats
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/stats", "", &stats))
	assert.Equal(t, Stats{TryvoxVerifications: 1, TryvoxRateWindows: 1, Messages: 1, Requests: 1, Faults: 1}, stats)
	var ok map[string]string
	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/reset", "", &ok))
	assert.Equal(t, Stats{}, srv.Stats())
	assert.Equal(t, 405, ctl(t, srv, "GET", "/_mock/reset", "", &ok))
}
