package otpkit

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func response(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"1":                             time.Second,
		" 120 ":                         2 * time.Minute,
		"-5":                            0,
		"1.5":                           0,
		"soon":                          0,
		"99999999999999999999":          365 * 24 * time.Hour, // too large to parse: longer than any wait
		"-99999999999999999999":         0,
		"Sun, 22 Nov 2026 10:00:30 GMT": 30 * time.Second,
		"Sun, 22 Nov 2026 09:00:00 GMT": 0,
		"999999999999":                  365 * 24 * time.Hour,
	}
	for in, want := range cases {
		assert.Equal(t, want, parseRetryAfter(in, now), "%q", in)
	}
}

func TestParseAPIErrorCapsTheBody(t *testing.T) {
	body := []byte(`{"title":"x","detail":"` + strings.Repeat("a", 2*maxErrorBody) + `"}`)
	e := parseAPIError(ProviderLOX24, "GET", "/verify_codes", response(500), body)
	assert.Len(t, e.Body, maxErrorBody)
	assert.ErrorIs(t, e, ErrServer)
	assert.Equal(t, "Internal Server Error", e.Message, "a cut body is not JSON any more")
}

func TestPlainTextMessages(t *testing.T) {
	assert.Equal(t, "Client ID or API key isn't active or invalid!", plainText([]byte("Client ID or API key isn't active or invalid!\n")))
	assert.Equal(t, "", plainText([]byte("<!DOCTYPE html><html>…")))
	assert.Equal(t, "", plainText([]byte("   ")))
	assert.Equal(t, "first", plainText([]byte("first\nsecond")))
	assert.Len(t, plainText([]byte(strings.Repeat("x", 500))), 200)
}

// fuzzErrorParsing checks what must hold for any body: no panic, a status
// that decides when the body does not, a capped Body and an Error string.
func fuzzErrorParsing(t *testing.T, p Provider, status int, body []byte) {
	e := parseAPIError(p, "POST", "/x", response(status, "Retry-After", "3"), body)
	require.NotNil(t, e)
	assert.Equal(t, status, e.StatusCode)
	assert.LessOrEqual(t, len(e.Body), maxErrorBody)
	assert.NotEmpty(t, e.Error())
	assert.Equal(t, 3*time.Second, e.RetryAfter)
	if p != ProviderTryvox || e.Code == "" {
		// Without a provider code the status alone decides.
		if status == 404 {
			assert.True(t, errors.Is(e, ErrNotFound))
		}
		if status >= 500 {
			assert.True(t, errors.Is(e, ErrServer))
		}
	}
}

func FuzzParseLOX24Error(f *testing.F) {
	f.Add(400, []byte(`{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"phone: This value is too short. It should have 5 characters or more.","violations":[{"propertyPath":"phone","message":"This value is too short. It should have 5 characters or more.","code":"9ff3fdc4-b214-49db-8718-39c315e33d45"}]}`))
	f.Add(401, []byte(`Client ID or API key isn't active or invalid!`))
	f.Add(404, []byte(``))
	f.Add(429, []byte(`{"detail":"IP address was temporary blocked"}`))
	f.Add(500, []byte(`<html>`))
	f.Add(422, []byte(`{"violations":null}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		status = 400 + abs(status)%200
		fuzzErrorParsing(t, ProviderLOX24, status, body)
	})
}

func FuzzParseTryvoxError(f *testing.F) {
	f.Add(404, []byte(`{"error":{"code":"NOT_FOUND","message":"Verification not found"}}`))
	f.Add(400, []byte(`{"error":{"code":"VERIFICATION_FAILED","message":"Invalid verification code"}}`))
	f.Add(429, []byte(`{"error":{"code":"MAX_ATTEMPTS_EXCEEDED","message":"Maximum verification attempts exceeded. Please request a new code."}}`))
	f.Add(400, []byte(`{"error":{"code":"VALIDATION_FAILED","message":"Code must be 4-8 digits","details":[{"field":"code","reason":"x"}]}}`))
	f.Add(500, []byte(`{"error":null}`))
	f.Add(502, []byte(`{"error":"string"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		status = 400 + abs(status)%200
		fuzzErrorParsing(t, ProviderTryvox, status, body)
	})
}

func FuzzParseDotdigitalError(f *testing.F) {
	f.Add(400, []byte(`[{"property":"verifyCode","failureCode":"CodeEmpty","details":"verifyCode cannot be null or empty"}]`))
	f.Add(400, []byte(`{"property":"","failureCode":"PayloadInvalid","details":"x"}`))
	f.Add(401, []byte(``))
	f.Add(400, []byte(`[null,1,"x"]`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		status = 400 + abs(status)%200
		fuzzErrorParsing(t, ProviderDotdigital, status, body)
	})
}

// FuzzDecodeModels feeds arbitrary JSON to every response model: decoding
// may fail but never panics, and what decodes encodes again and decodes to
// the same value.
func FuzzDecodeModels(f *testing.F) {
	f.Add([]byte(`{"id":"d7ad7539-fb8f-4dbb-a7f7-7c40babec969","user_id":12345,"status":10,"created_at":1779903448,"history":[{"id":"h","channel":"sms","status":10,"processed_at":1779903510,"external_id":null}],"code":"1234"}`))
	f.Add([]byte(`{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"pending","attempts":0,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}`))
	f.Add([]byte(`{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeVerified","numberStatus":"Unknown","created":"2015-10-21T13:28:06.419Z","verified":"2015-10-21T13:29:11.000Z"}`))
	f.Add([]byte(`{"created_at":"x","verified":5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip[VerifyCode](t, data)
		roundTrip[Verification](t, data)
		roundTrip[CodeStatus](t, data)
	})
}

func roundTrip[T any](t *testing.T, data []byte) {
	var v T
	if json.Unmarshal(data, &v) != nil {
		return
	}
	out, err := json.Marshal(v)
	require.NoError(t, err)
	var again T
	require.NoError(t, json.Unmarshal(out, &again), "%s", out)
	out2, err := json.Marshal(again)
	require.NoError(t, err)
	assert.JSONEq(t, string(out), string(out2))
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // math.MinInt
			return 0
		}
		return -n
	}
	return n
}
