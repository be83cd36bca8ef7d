package otpkit_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// Examples from the Tryvox docs (status and check pages).
var tryvoxStatusExamples = []string{
	`{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"pending","attempts":0,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}`,
	`{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"pending","attempts":1,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}`,
	`{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"pending","attempts":3,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}`,
	`{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"approved","attempts":2,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}`,
	`{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"failed","attempts":5,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}`,
	`{"verification_id":"ver_abc123","to":"+919876543210","channel":"voice","status":"expired","attempts":1,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}`,
}

const tryvoxCheckExample = `{"verification_id":"ver_abc123","status":"approved","to":"+919876543210","channel":"sms"}`

const tryvoxStartExample = `{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"pending","created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}`

func TestTryvoxExamplesRoundTrip(t *testing.T) {
	for i, raw := range append(tryvoxStatusExamples, tryvoxCheckExample, tryvoxStartExample) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, out := reencode[otpkit.Verification](t, raw)
			assert.JSONEq(t, raw, out)
		})
	}
	v, _ := reencode[otpkit.Verification](t, tryvoxStatusExamples[2])
	assert.Equal(t, "ver_abc123", v.ID)
	assert.Equal(t, 3, v.Attempts)
	assert.Equal(t, 2, v.RemainingAttempts())
	assert.Equal(t, time.Date(2026, 4, 9, 10, 10, 0, 0, time.UTC), v.ExpiresAt)
	assert.Equal(t, otpkit.VerificationPending, v.Status)
}

func TestStartVerificationRequest(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/verify/start", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		assert.Equal(t, "Bearer "+testTryvoxKey, r.Header.Get("Authorization"))
		assert.Equal(t, testTenant, r.Header.Get("X-Tenant-ID"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Empty(t, r.Header.Get("X-LOX24-AUTH-TOKEN"))
		testJSONBody(t, r, `{"to":"+919876543210","channel":"sms","code_length":6,"locale":"de","custom_message":"Code: {{code}}","app_name":"Shop"}`)
		writeJSON(w, http.StatusOK, `{"data":`+tryvoxStartExample+`}`)
	})
	v, err := c.StartVerification(context.Background(), &otpkit.StartVerificationRequest{
		To: "+919876543210", Channel: otpkit.ChannelSMS, CodeLength: 6, Locale: "de", CustomMessage: "Code: {{code}}", AppName: "Shop",
	})
	require.NoError(t, err)
	assert.Equal(t, "ver_abc123", v.ID)
	assert.Equal(t, otpkit.VerificationPending, v.Status)
	assert.Equal(t, time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC), v.CreatedAt)
}

func TestStartVerificationValidatesBeforeSending(t *testing.T) {
	var calls atomic.Int32
	srv := newCountingServer(t, &calls, http.StatusOK, `{"data":{}}`)
	c, err := otpkit.NewClient(otpkit.WithBaseURL(srv), otpkit.WithTryvoxKey(testTryvoxKey, testTenant))
	require.NoError(t, err)
	cases := []struct {
		req   otpkit.StartVerificationRequest
		field string
	}{
		{otpkit.StartVerificationRequest{Channel: otpkit.ChannelSMS}, "to"},
		{otpkit.StartVerificationRequest{To: "+4917012345678"}, "channel"},
		{otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelTelegram}, "channel"},
		{otpkit.StartVerificationRequest{To: "017012345678", Channel: otpkit.ChannelSMS}, "to"},
		{otpkit.StartVerificationRequest{To: "+0170123456", Channel: otpkit.ChannelVoice}, "to"},
		{otpkit.StartVerificationRequest{To: "+12345", Channel: otpkit.ChannelWhatsApp}, "to"},
		{otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelEmail}, "to"},
		{otpkit.StartVerificationRequest{To: "user@example.com", Channel: otpkit.ChannelSMS}, "to"},
		{otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS, CodeLength: 3}, "code_length"},
		{otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS, CodeLength: 9}, "code_length"},
		{otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS, CustomMessage: "no placeholder"}, "custom_message"},
	}
	for _, tc := range cases {
		_, err := c.StartVerification(context.Background(), &tc.req)
		var ve *otpkit.ValidationError
		require.ErrorAs(t, err, &ve, "%+v", tc.req)
		assert.Equal(t, tc.field, ve.Field, "%+v", tc.req)
		assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	}
	for _, code := range []string{"", "123", "123456789", "12a456", " 123456"} {
		_, err := c.CheckCode(context.Background(), "ver_abc123", code)
		var ve *otpkit.ValidationError
		require.ErrorAs(t, err, &ve, "%q", code)
		assert.Equal(t, "code", ve.Field)
		assert.NotContains(t, err.Error(), code+"\"", "the code is not echoed")
	}
	_, err = c.CheckCode(context.Background(), "", "123456")
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	_, err = c.GetStatus(context.Background(), "")
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	_, err = c.StartVerification(context.Background(), nil)
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	assert.Zero(t, calls.Load())

	// Email is fine on the email channel, and the boundaries are valid.
	_, err = c.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "user@example.com", Channel: otpkit.ChannelEmail, CodeLength: 8})
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr, "sent; the fake answers without data")
	assert.EqualValues(t, 1, calls.Load())
}

func TestTryvoxErrorCodesMapToSentinels(t *testing.T) {
	cases := []struct {
		status   int
		code     string
		sentinel error
	}{
		{400, "VALIDATION_FAILED", otpkit.ErrInvalidRequest},
		{401, "UNAUTHORIZED", otpkit.ErrUnauthorized},
		{403, "FORBIDDEN", otpkit.ErrForbidden},
		{404, "NOT_FOUND", otpkit.ErrNotFound},
		{400, "VERIFICATION_FAILED", otpkit.ErrInvalidCode},
		{422, "VERIFICATION_FAILED", otpkit.ErrInvalidCode},
		{429, "MAX_ATTEMPTS_EXCEEDED", otpkit.ErrMaxAttempts},
		{429, "RATE_LIMITED", otpkit.ErrRateLimited},
		{502, "DELIVERY_FAILED", otpkit.ErrDeliveryFailed},
		{500, "INTERNAL_ERROR", otpkit.ErrServer},
		{418, "SOMETHING_NEW", nil},
		{503, "SOMETHING_NEW", otpkit.ErrServer},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.code), func(t *testing.T) {
			c, mux, _ := setup(t)
			var n atomic.Int32
			mux.HandleFunc("POST /v1/verify/check", func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				writeJSON(w, tc.status, fmt.Sprintf(`{"error":{"code":%q,"message":"msg","details":[{"field":"code","reason":"bad"}]}}`, tc.code))
			})
			_, err := c.CheckCode(context.Background(), "ver_abc123", "123456")
			var apiErr *otpkit.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, "msg", apiErr.Message)
			assert.Equal(t, []otpkit.FieldError{{Field: "code", Message: "bad"}}, apiErr.Fields)
			for _, s := range []error{otpkit.ErrInvalidRequest, otpkit.ErrUnauthorized, otpkit.ErrForbidden, otpkit.ErrNotFound,
				otpkit.ErrInvalidCode, otpkit.ErrMaxAttempts, otpkit.ErrRateLimited, otpkit.ErrDeliveryFailed, otpkit.ErrServer,
				otpkit.ErrInsufficientFunds, otpkit.ErrMissingCredentials} {
				assert.Equal(t, s == tc.sentinel, apiErr.Is(s), "%v", s)
			}
			assert.EqualValues(t, 1, n.Load(), "a check is never retried")
		})
	}
}

// tryvoxScript is a scripted Tryvox: one verification with a code, the
// documented attempt rules and a clock the test moves.
type tryvoxScript struct {
	code     string
	attempts int
	status   otpkit.VerificationStatus
	now      time.Time
	created  time.Time
}

func (s *tryvoxScript) handler(t *testing.T) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/verify/check", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		require.NoError(t, decodeJSON(r, &body))
		assert.Equal(t, "ver_abc123", body["verification_id"])
		if s.now.Sub(s.created) >= 10*time.Minute && s.status == otpkit.VerificationPending {
			s.status = otpkit.VerificationExpired
		}
		switch s.status {
		case otpkit.VerificationFailed:
			writeJSON(w, 429, `{"error":{"code":"MAX_ATTEMPTS_EXCEEDED","message":"Maximum verification attempts exceeded. Please request a new code."}}`)
			return
		case otpkit.VerificationApproved, otpkit.VerificationExpired:
			writeJSON(w, 404, `{"error":{"code":"NOT_FOUND","message":"Verification not found or has expired"}}`)
			return
		}
		s.attempts++
		if body["code"] == s.code {
			s.status = otpkit.VerificationApproved
			writeJSON(w, 200, `{"data":`+tryvoxCheckExample+`}`)
			return
		}
		if s.attempts >= 5 {
			s.status = otpkit.VerificationFailed
			writeJSON(w, 429, `{"error":{"code":"MAX_ATTEMPTS_EXCEEDED","message":"Maximum verification attempts exceeded. Please request a new code."}}`)
			return
		}
		writeJSON(w, 400, `{"error":{"code":"VERIFICATION_FAILED","message":"Invalid verification code"}}`)
	})
	mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fmt.Sprintf(`{"data":{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":%q,"attempts":%d,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}}`, s.status, s.attempts))
	})
	return mux
}

func TestTryvoxTimelines(t *testing.T) {
	ctx := context.Background()
	newScript := func(t *testing.T) (*otpkit.Client, *tryvoxScript) {
		c, mux, _ := setup(t)
		s := &tryvoxScript{code: "482913", status: otpkit.VerificationPending, created: time.Now(), now: time.Now()}
		mux.Handle("/", s.handler(t))
		return c, s
	}
	t.Run("three wrong then right is approved", func(t *testing.T) {
		c, _ := newScript(t)
		for i := 0; i < 3; i++ {
			_, err := c.CheckCode(ctx, "ver_abc123", "000000")
			assert.ErrorIs(t, err, otpkit.ErrInvalidCode)
			v, err := c.GetStatus(ctx, "ver_abc123")
			require.NoError(t, err)
			assert.Equal(t, i+1, v.Attempts)
		}
		v, err := c.CheckCode(ctx, "ver_abc123", "482913")
		require.NoError(t, err)
		assert.Equal(t, otpkit.VerificationApproved, v.Status)
		assert.Equal(t, "+919876543210", v.To)

		_, err = c.CheckCode(ctx, "ver_abc123", "482913")
		assert.ErrorIs(t, err, otpkit.ErrNotFound, "an approved verification cannot be checked again")
	})
	t.Run("five wrong is failed", func(t *testing.T) {
		c, _ := newScript(t)
		for i := 0; i < 4; i++ {
			_, err := c.CheckCode(ctx, "ver_abc123", "000000")
			assert.ErrorIs(t, err, otpkit.ErrInvalidCode)
		}
		_, err := c.CheckCode(ctx, "ver_abc123", "000000")
		assert.ErrorIs(t, err, otpkit.ErrMaxAttempts)
		assert.NotErrorIs(t, err, otpkit.ErrInvalidCode)
		_, err = c.CheckCode(ctx, "ver_abc123", "482913")
		assert.ErrorIs(t, err, otpkit.ErrMaxAttempts, "even the right code after the lock-out")
		v, err := c.GetStatus(ctx, "ver_abc123")
		require.NoError(t, err)
		assert.Equal(t, otpkit.VerificationFailed, v.Status)
		assert.Equal(t, 0, v.RemainingAttempts())
	})
	t.Run("expired is not found", func(t *testing.T) {
		c, s := newScript(t)
		s.now = s.now.Add(10 * time.Minute)
		_, err := c.CheckCode(ctx, "ver_abc123", "482913")
		assert.ErrorIs(t, err, otpkit.ErrNotFound)
		v, err := c.GetStatus(ctx, "ver_abc123")
		require.NoError(t, err)
		assert.Equal(t, otpkit.VerificationExpired, v.Status)
	})
}

func TestTryvoxIDsAreEscaped(t *testing.T) {
	c, mux, _ := setup(t)
	var got string
	mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		writeJSON(w, 404, `{"error":{"code":"NOT_FOUND","message":"Verification not found"}}`)
	})
	_, err := c.GetStatus(context.Background(), "ver_1/../../admin?x#")
	assert.ErrorIs(t, err, otpkit.ErrNotFound)
	assert.Equal(t, "/v1/verify/ver_1%2F..%2F..%2Fadmin%3Fx%23", got)
}

func TestTryvoxMissingDataIsAnError(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"verification_id":"ver_1"}`)
	})
	_, err := c.GetStatus(context.Background(), "ver_1")
	assert.ErrorIs(t, err, otpkit.ErrServer)
}
