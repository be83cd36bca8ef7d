package otpkit

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseRetryAfter: any header value gives a wait that is never
// negative, at most a year in the seconds form, and the number itself when
// it is a plain count of seconds.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "1", "120", " 7 ", "-1", "1.5", "3600", "99999999999999999999",
		"Sun, 22 Nov 2026 10:00:30 GMT", "Sunday, 22-Nov-26 10:00:30 GMT", "Sun Nov 22 10:00:30 2026", "Fri, 31 Dec 9999 23:59:59 GMT", "soon"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, now)
		assert.GreaterOrEqual(t, d, time.Duration(0))
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			want := time.Duration(min(max(n, 0), 365*24*3600)) * time.Second
			assert.Equal(t, want, d)
		}
		if ht, err := http.ParseTime(strings.TrimSpace(v)); err == nil && ht.After(now) && ht.Sub(now) < 1000*time.Hour {
			assert.Equal(t, ht.Sub(now), d)
		}
	})
}

// FuzzPlainText: a message taken from a non-JSON error body is one short
// line of valid UTF-8, and never markup.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"Client ID or API key isn't active or invalid!\n", "<!DOCTYPE html><html>", "   ", "first\nsecond",
		"\x00binary", "{\"detail\":1}", strings.Repeat("é", 150), "\xff\xfe", "\ufeff<!DOCTYPE html>\n<html>", "\xcb<"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := plainText(body)
		assert.LessOrEqual(t, len(s), 200)
		assert.True(t, utf8.ValidString(s), "%q", s)
		assert.NotContains(t, s, "\n")
		assert.False(t, strings.HasPrefix(s, "<"), "%q", s)
	})
}

// TestPlainTextDropsHiddenMarkup: an HTML page behind a byte-order mark, or
// a body that is not text, is no message.
func TestPlainTextDropsHiddenMarkup(t *testing.T) {
	assert.Equal(t, "", plainText([]byte("\ufeff<!DOCTYPE html>\n<html><body>502</body></html>")))
	assert.Equal(t, "", plainText([]byte("\xcb<html>")))
	assert.Equal(t, "", plainText([]byte("\x89PNG\r\n")))
	assert.Equal(t, "Service Unavailable", plainText([]byte("\ufeffService Unavailable\r\n")))
}

// fuzzTransport answers every request with one canned response and counts
// the requests.
type fuzzTransport struct {
	status     int
	retryAfter string
	body       []byte
	requests   int
}

func (ft *fuzzTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ft.requests++
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if ft.retryAfter != "" {
		h.Set("Retry-After", ft.retryAfter)
	}
	return &http.Response{StatusCode: ft.status, Header: h, Body: io.NopCloser(bytes.NewReader(ft.body)),
		ContentLength: int64(len(ft.body)), Request: req}, nil
}

// fuzzCalls are the eight calls with valid arguments; write marks those
// never retried.
var fuzzCalls = []struct {
	write bool
	do    func(*Client) (any, error)
}{
	{true, func(c *Client) (any, error) {
		return c.CreateVerifyCode(context.Background(), &CreateVerifyCodeRequest{Phone: "+491701234567", RoutingStrategy: []RoutingStep{{Channel: ChannelSMS}}})
	}},
	{false, func(c *Client) (any, error) { return c.GetVerifyCode(context.Background(), "d7ad7539") }},
	{false, func(c *Client) (any, error) { return c.ListVerifyCodes(context.Background(), nil) }},
	{true, func(c *Client) (any, error) {
		return c.StartVerification(context.Background(), &StartVerificationRequest{To: "+4917012345678", Channel: ChannelSMS})
	}},
	{false, func(c *Client) (any, error) { return c.GetStatus(context.Background(), "ver_1") }},
	{true, func(c *Client) (any, error) { return c.CheckCode(context.Background(), "ver_1", "123456") }},
	{true, func(c *Client) (any, error) {
		return c.SendCode(context.Background(), &SendCodeRequest{To: "447123123456"})
	}},
	{true, func(c *Client) (any, error) { return c.ValidateCode(context.Background(), "0d5c94d4", "123456") }},
}

// FuzzClientResponses drives every call through the whole response path
// (retry policy, body cap, error parsing, model decoding) with an arbitrary
// answer: no panic; a result or an error, never both or neither; an error
// is an *APIError classified by its status; a write is sent once; a read is
// retried only on a retryable status; a success carries its id.
func FuzzClientResponses(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{201, `{"id":"d7ad7539-fb8f-4dbb-a7f7-7c40babec969","user_id":12345,"phone":"+491701234567","routing_strategy":[{"channel":"telegram","timeout_sec":30},{"channel":"voice","sender_id":"LOX24","template":"Your code is {{code}}"},{"channel":"sms","sender_id":"LOX24","template":"Your code is {{code}}"}],"status":10,"delivered_channel":"sms","cost":120,"currency":"EUR","code":"1234","code_length":4,"payload":"yours payload here","lang":"EN","created_at":1779903448,"updated_at":1779903510,"history":[{"id":"bccaff09-59f2-11f1-a685-7c10c91d54a1","channel":"telegram","status":20,"processed_at":1779903478,"external_id":"tg_msg_001"}],"is_code_deleted":false}`},
		{200, `[{"id":"d7ad7539","status":0,"created_at":1779903448}]`},
		{200, `{"data":{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"pending","attempts":1,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}}`},
		{200, `{"data":{"verification_id":"ver_abc123","status":"approved","to":"+919876543210","channel":"sms"}}`},
		{404, `{"error":{"code":"NOT_FOUND","message":"Verification not found"}}`},
		{400, `{"error":{"code":"VERIFICATION_FAILED","message":"Invalid verification code"}}`},
		{429, `{"error":{"code":"MAX_ATTEMPTS_EXCEEDED","message":"Maximum verification attempts exceeded. Please request a new code."}}`},
		{400, `{"error":{"code":"VALIDATION_FAILED","message":"Code must be 4-8 digits"}}`},
		{202, `{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeNotVerified","numberStatus":"Unknown","created":"2015-10-21T13:28:06.419Z"}`},
		{200, `{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeVerified","numberStatus":"Unknown","created":"2015-10-21T13:28:06.419Z","verified":"2015-10-21T13:29:11.000Z"}`},
		{204, ``},
		{400, `[{"property":"verifyCode","failureCode":"CodeEmpty","details":"verifyCode cannot be null or empty"}]`},
		{400, `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"phone: This value is too short. It should have 5 characters or more.","violations":[{"propertyPath":"phone","message":"This value is too short. It should have 5 characters or more.","code":"9ff3fdc4-b214-49db-8718-39c315e33d45"}]}`},
		{401, `Client ID or API key isn't active or invalid!`},
		{503, `<html><body>Service Unavailable</body></html>`},
		{200, `{}`},
	}
	for i, s := range seeds {
		f.Add(uint8(i), s.status, "", []byte(s.body))
	}
	f.Add(uint8(4), 429, "120", []byte(`{"error":{"code":"RATE_LIMITED","message":"slow down"}}`))
	f.Add(uint8(1), 503, "Sun, 22 Nov 2026 10:00:30 GMT", []byte(``))
	f.Fuzz(func(t *testing.T, which uint8, status int, retryAfter string, body []byte) {
		status = 100 + abs(status)%500
		call := fuzzCalls[int(which)%len(fuzzCalls)]
		ft := &fuzzTransport{status: status, retryAfter: retryAfter, body: body}
		c, err := NewClient(WithBaseURL("http://fuzz.invalid"), WithLOX24Token("1234567:abc"), WithTryvoxKey("tvx_sk_test_1", "acc_1"),
			WithDotdigitalAuth("u", "p"), WithHTTPClient(&http.Client{Transport: ft}),
			WithRetryPolicy(RetryPolicy{MaxRetries: 2, MaxRetryAfter: -1})) // no waits: never waits for a Retry-After
		require.NoError(t, err)

		v, err := call.do(c)
		retryable := status == 429 || status == 500 || status == 502 || status == 503 || status == 504
		switch {
		case call.write, !retryable, parseRetryAfter(retryAfter, time.Now()) > 0:
			assert.Equal(t, 1, ft.requests, "sent once")
		default:
			assert.Equal(t, 3, ft.requests, "a read is retried on %d", status)
		}
		if err == nil {
			require.False(t, reflect.ValueOf(v).IsNil(), "a success has a result")
			assert.True(t, status >= 200 && status < 300, "a %d is no success", status)
			switch r := v.(type) {
			case *VerifyCode:
				assert.NotEmpty(t, r.ID)
			case *Verification:
				assert.NotEmpty(t, r.ID)
			case *CodeStatus:
				assert.NotEmpty(t, r.RequestID)
			}
			return
		}
		assert.True(t, v == nil || reflect.ValueOf(v).IsNil(), "an error has no result")
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr, "%v", err)
		if status >= 200 && status < 300 {
			// A success whose body is unusable; an answer without its id
			// says 200 whatever the 2xx was.
			assert.True(t, apiErr.StatusCode == status || apiErr.StatusCode == http.StatusOK, "%d", apiErr.StatusCode)
		} else {
			assert.Equal(t, status, apiErr.StatusCode)
		}
		assert.NotEmpty(t, apiErr.Error())
		assert.LessOrEqual(t, len(apiErr.Body), maxErrorBody)
		if status >= 500 || (status < 400 && status != 204) {
			if apiErr.Provider != ProviderTryvox || apiErr.Code == "" {
				assert.ErrorIs(t, err, ErrServer)
			}
		}
		if status == 204 && apiErr.Provider == ProviderDotdigital {
			assert.ErrorIs(t, err, ErrNotFound)
		}
	})
}
