package mock

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

const tvPhone = "+4917012345678"

func startSMS(t *testing.T, c *otpkit.Client, to string) *otpkit.Verification {
	t.Helper()
	v, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: to, Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	return v
}

// wrongCode is a code of the same length that is not code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestTryvoxThreeWrongThenRight(t *testing.T) {
	srv, c := newTest(t)
	v := startSMS(t, c, tvPhone)
	assert.Regexp(t, `^ver_[a-z0-9]{24}$`, v.ID)
	assert.Equal(t, otpkit.VerificationPending, v.Status)
	assert.Equal(t, t0, v.CreatedAt)
	assert.Equal(t, t0.Add(10*time.Minute), v.ExpiresAt)
	code, ok := srv.LastCode(tvPhone)
	require.True(t, ok)
	assert.Regexp(t, `^[0-9]{6}$`, code, "6 digits by default")

	for i := 1; i <= 3; i++ {
		_, err := c.CheckCode(ctx(t), v.ID, wrongCode(code))
		require.ErrorIs(t, err, otpkit.ErrInvalidCode, "wrong check %d", i)
		var apiErr *otpkit.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 400, apiErr.StatusCode)
		assert.Equal(t, "Invalid verification code", apiErr.Message)
		got, err := c.GetStatus(ctx(t), v.ID)
		require.NoError(t, err)
		assert.Equal(t, i, got.Attempts)
		assert.Equal(t, 2, got.RemainingAttempts()+i-3)
	}
	got, err := c.CheckCode(ctx(t), v.ID, code)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerificationApproved, got.Status)
	assert.Equal(t, tvPhone, got.To)
	assert.Equal(t, otpkit.ChannelSMS, got.Channel)

	st, err := c.GetStatus(ctx(t), v.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerificationApproved, st.Status)
	assert.Equal(t, 4, st.Attempts, "the correct check counts too")
	assert.Equal(t, 5, st.MaxAttempts)

	_, err = c.CheckCode(ctx(t), v.ID, code)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "an approved verification cannot be checked again")
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Verification not found or has expired", apiErr.Message)
}

func TestTryvoxFiveWrongFail(t *testing.T) {
	srv, c := newTest(t)
	v := startSMS(t, c, tvPhone)
	code, _ := srv.LastCode(tvPhone)
	for i := 1; i <= 4; i++ {
		_, err := c.CheckCode(ctx(t), v.ID, wrongCode(code))
		require.ErrorIs(t, err, otpkit.ErrInvalidCode)
	}
	_, err := c.CheckCode(ctx(t), v.ID, wrongCode(code))
	require.ErrorIs(t, err, otpkit.ErrMaxAttempts, "the 5th wrong code")
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Equal(t, "Maximum verification attempts exceeded. Please request a new code.", apiErr.Message)

	st, err := c.GetStatus(ctx(t), v.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerificationFailed, st.Status)
	assert.Equal(t, 5, st.Attempts)

	_, err = c.CheckCode(ctx(t), v.ID, code)
	require.ErrorIs(t, err, otpkit.ErrMaxAttempts, "even the right code, after the verification failed")
	st, _ = c.GetStatus(ctx(t), v.ID)
	assert.Equal(t, 5, st.Attempts, "checks of a failed verification are not counted")
}

func TestTryvoxExpiry(t *testing.T) {
	srv, c := newTest(t)
	v := startSMS(t, c, tvPhone)
	code, _ := srv.LastCode(tvPhone)

	srv.Advance(10*time.Minute - time.Second)
	st, err := c.GetStatus(ctx(t), v.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerificationPending, st.Status)

	srv.Advance(time.Second)
	st, err = c.GetStatus(ctx(t), v.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerificationExpired, st.Status)
	_, err = c.CheckCode(ctx(t), v.ID, code)
	require.ErrorIs(t, err, otpkit.ErrNotFound)

	srv.Advance(time.Hour)
	_, err = c.GetStatus(ctx(t), v.ID)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "forgotten an hour after expiry")
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Verification not found", apiErr.Message)
}

func TestTryvoxNewStartLeavesOlderRunning(t *testing.T) {
	srv, c := newTest(t)
	v1 := startSMS(t, c, tvPhone)
	code1, _ := srv.LastCode(tvPhone)
	v2 := startSMS(t, c, tvPhone)
	code2, _ := srv.LastCode(tvPhone)
	assert.NotEqual(t, v1.ID, v2.ID)
	_, err := c.CheckCode(ctx(t), v1.ID, code1)
	require.NoError(t, err)
	_, err = c.CheckCode(ctx(t), v2.ID, code2)
	require.NoError(t, err)
	assert.Len(t, srv.MessagesTo(tvPhone), 2)
}

func TestTryvoxRateLimit(t *testing.T) {
	srv, c := newTest(t)
	for i := 0; i < 5; i++ {
		startSMS(t, c, tvPhone)
		srv.Advance(10 * time.Minute)
	}
	// Starts at 0, 10, 20, 30, 40 min; now is 50 min: the sixth within the hour.
	_, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelVoice})
	require.ErrorIs(t, err, otpkit.ErrRateLimited)
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "RATE_LIMITED", apiErr.Code)
	assert.Equal(t, 10*time.Minute, apiErr.RetryAfter, "until the oldest start leaves the window")
	assert.Len(t, srv.MessagesTo(tvPhone), 5, "a refused start sends nothing")

	startSMS(t, c, "+4917099999999") // another recipient is not limited

	srv.Advance(10*time.Minute - time.Second)
	raw := send(t, srv, "POST", "/v1/verify/start", []byte(`{"to":"`+tvPhone+`","channel":"sms"}`), tryvoxAuth)
	assert.Equal(t, 429, raw.Status)
	assert.Equal(t, "1", raw.Header.Get("Retry-After"))
	assert.JSONEq(t, `{"error":{"code":"RATE_LIMITED","message":"Too many verification requests for this recipient. Please try again later."}}`, string(raw.Body))

	srv.Advance(time.Second)
	startSMS(t, c, tvPhone)
}

func TestTryvoxDeliveryFailure(t *testing.T) {
	srv, c := newTest(t)
	srv.SetOutcome(tvPhone, otpkit.ChannelSMS, OutcomeFailed)
	srv.SetOutcome("USER@example.com", otpkit.ChannelEmail, OutcomeError)
	_, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	require.ErrorIs(t, err, otpkit.ErrDeliveryFailed)
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.StatusCode)
	_, err = c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: "user@example.com", Channel: otpkit.ChannelEmail})
	require.ErrorIs(t, err, otpkit.ErrDeliveryFailed, "recipients compare without case for email")
	assert.Empty(t, srv.Messages())
	assert.Equal(t, 0, srv.Stats().TryvoxVerifications, "no verification is created")

	v := startSMS(t, c, "+4917000000000")
	assert.NotEmpty(t, v.ID)
	_, err = c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelVoice})
	require.NoError(t, err, "another channel delivers")

	srv.SetOutcome(tvPhone, otpkit.ChannelSMS, OutcomeDelivered)
	startSMS(t, c, tvPhone)
}

func TestTryvoxCustomMessageAndLength(t *testing.T) {
	srv, c := newTest(t)
	v, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: "a@b.io", Channel: otpkit.ChannelEmail,
		CodeLength: 8, CustomMessage: "Shop: {{code}} is your code"})
	require.NoError(t, err)
	m, ok := srv.LastMessage("a@b.io")
	require.True(t, ok)
	assert.Regexp(t, `^[0-9]{8}$`, m.Code)
	assert.Equal(t, "Shop: "+m.Code+" is your code", m.Text)
	assert.Equal(t, Message{ID: v.ID, Provider: otpkit.ProviderTryvox, Channel: otpkit.ChannelEmail, To: "a@b.io",
		Code: m.Code, Text: m.Text, Time: t0}, m)

	_, err = c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelWhatsApp, AppName: "Shop", Locale: "de"})
	require.NoError(t, err)
	m, _ = srv.LastMessage(tvPhone)
	assert.Equal(t, "Shop: Ihr Bestätigungscode lautet "+m.Code, m.Text)
}

func TestTryvoxWireShapes(t *testing.T) {
	srv, _ := newTest(t)
	r := send(t, srv, "POST", "/v1/verify/start", []byte(`{"to":"+919876543210","channel":"sms"}`), tryvoxAuth)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	var start struct{ Data map[string]any }
	require.NoError(t, json.Unmarshal(r.Body, &start))
	id := start.Data["verification_id"].(string)
	assert.JSONEq(t, fmt.Sprintf(`{"data":{"verification_id":%q,"to":"+919876543210","channel":"sms","status":"pending",
		"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}}`, id), string(r.Body))

	r = send(t, srv, "GET", "/v1/verify/"+id, nil, tryvoxAuth)
	assert.JSONEq(t, fmt.Sprintf(`{"data":{"verification_id":%q,"to":"+919876543210","channel":"sms","status":"pending",
		"attempts":0,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}}`, id), string(r.Body))

	code, _ := srv.LastCode("+919876543210")
	r = send(t, srv, "POST", "/v1/verify/check", []byte(`{"verification_id":"`+id+`","code":"`+wrongCode(code)+`"}`), tryvoxAuth)
	assert.Equal(t, 400, r.Status)
	assert.JSONEq(t, `{"error":{"code":"VERIFICATION_FAILED","message":"Invalid verification code"}}`, string(r.Body))
	r = send(t, srv, "POST", "/v1/verify/check", []byte(`{"verification_id":"`+id+`","code":"`+code+`"}`), tryvoxAuth)
	assert.JSONEq(t, fmt.Sprintf(`{"data":{"verification_id":%q,"status":"approved","to":"+919876543210","channel":"sms"}}`, id), string(r.Body))
	r = send(t, srv, "POST", "/v1/verify/check", []byte(`{"verification_id":"`+id+`","code":"`+code+`"}`), tryvoxAuth)
	assert.Equal(t, 404, r.Status)
	assert.JSONEq(t, `{"error":{"code":"NOT_FOUND","message":"Verification not found or has expired"}}`, string(r.Body))

	r = send(t, srv, "GET", "/v1/verify/ver_unknown", nil, tryvoxAuth)
	assert.Equal(t, 404, r.Status)
	assert.JSONEq(t, `{"error":{"code":"NOT_FOUND","message":"Verification not found"}}`, string(r.Body))
}

func TestTryvoxAuth(t *testing.T) {
	const otherKey, otherTenant = "tvx_sk_test_other", "acc_other"
	srv, c := newTest(t, WithTryvoxKey(TryvoxAPIKey, TryvoxTenantID), WithTryvoxKey(otherKey, otherTenant))
	v := startSMS(t, c, tvPhone)
	body := []byte(`{"to":"` + tvPhone + `","channel":"sms"}`)

	for name, tc := range map[string]struct {
		hdr  map[string]string
		code int
		want string
	}{
		"no key":      {map[string]string{"X-Tenant-ID": TryvoxTenantID}, 401, `{"error":{"code":"UNAUTHORIZED","message":"Invalid or missing API key"}}`},
		"unknown key": {map[string]string{"Authorization": "Bearer tvx_sk_live_nope", "X-Tenant-ID": TryvoxTenantID}, 401, `{"error":{"code":"UNAUTHORIZED","message":"Invalid or missing API key"}}`},
		"not bearer":  {map[string]string{"Authorization": "Basic " + TryvoxAPIKey, "X-Tenant-ID": TryvoxTenantID}, 401, `{"error":{"code":"UNAUTHORIZED","message":"Invalid or missing API key"}}`},
		"no tenant": {map[string]string{"Authorization": "Bearer " + TryvoxAPIKey}, 400,
			`{"error":{"code":"VALIDATION_FAILED","message":"X-Tenant-ID header is required","details":[{"field":"X-Tenant-ID","reason":"is required"}]}}`},
		"other tenant": {map[string]string{"Authorization": "Bearer " + TryvoxAPIKey, "X-Tenant-ID": otherTenant}, 403,
			`{"error":{"code":"FORBIDDEN","message":"API key is not allowed for this tenant"}}`},
	} {
		r := send(t, srv, "POST", "/v1/verify/start", body, tc.hdr)
		assert.Equal(t, tc.code, r.Status, name)
		assert.JSONEq(t, tc.want, string(r.Body), name)
	}
	assert.Len(t, srv.Messages(), 1, "no refused request sent anything")

	oc, err := srv.Client(otpkit.WithTryvoxKey(otherKey, otherTenant))
	require.NoError(t, err)
	_, err = oc.GetStatus(ctx(t), v.ID)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "another tenant's id")
	_, err = oc.CheckCode(ctx(t), v.ID, "123456")
	require.ErrorIs(t, err, otpkit.ErrNotFound)
	st, _ := c.GetStatus(ctx(t), v.ID)
	assert.Equal(t, 0, st.Attempts, "another tenant's check spends nothing")

	fc, err := srv.Client(otpkit.WithTryvoxKey(TryvoxAPIKey, otherTenant))
	require.NoError(t, err)
	_, err = fc.GetStatus(ctx(t), v.ID)
	require.ErrorIs(t, err, otpkit.ErrForbidden)
}

func TestTryvoxValidation(t *testing.T) {
	srv, _ := newTest(t)
	for name, tc := range map[string]struct {
		path, body string
		want       string
	}{
		"malformed": {"/v1/verify/start", `{"to":`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request body must be a JSON object","details":[{"field":"body","reason":"must be a JSON object"}]}}`},
		"empty": {"/v1/verify/start", ``,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request body must be a JSON object","details":[{"field":"body","reason":"must be a JSON object"}]}}`},
		"array": {"/v1/verify/check", `[]`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request body must be a JSON object","details":[{"field":"body","reason":"must be a JSON object"}]}}`},
		"missing": {"/v1/verify/start", `{}`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request validation failed","details":[{"field":"channel","reason":"is required"},{"field":"to","reason":"is required"}]}}`},
		"wrong type": {"/v1/verify/start", `{"to":4917012345678,"channel":"sms","code_length":"6"}`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request validation failed","details":[{"field":"to","reason":"must be a string"},{"field":"code_length","reason":"must be an integer"}]}}`},
		"float length": {"/v1/verify/start", `{"to":"+4917012345678","channel":"sms","code_length":6.5}`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request validation failed","details":[{"field":"code_length","reason":"must be an integer"}]}}`},
		"bad fields": {"/v1/verify/start", `{"to":"12345","channel":"fax","code_length":9,"custom_message":"hi"}`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request validation failed","details":[{"field":"channel","reason":"must be one of sms, voice, whatsapp, email"},{"field":"code_length","reason":"must be between 4 and 8"},{"field":"custom_message","reason":"must contain {{code}}"}]}}`},
		"bad email": {"/v1/verify/start", `{"to":"+4917012345678","channel":"email"}`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request validation failed","details":[{"field":"to","reason":"must be a valid email address"}]}}`},
		"short code": {"/v1/verify/check", `{"verification_id":"ver_x","code":"12"}`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Code must be 4-8 digits","details":[{"field":"code","reason":"Code must be 4-8 digits"}]}}`},
		"letters": {"/v1/verify/check", `{"verification_id":"ver_x","code":"12ab56"}`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Code must be 4-8 digits","details":[{"field":"code","reason":"Code must be 4-8 digits"}]}}`},
		"numeric code": {"/v1/verify/check", `{"verification_id":"ver_x","code":123456}`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request validation failed","details":[{"field":"code","reason":"must be a string"}]}}`},
		"no id": {"/v1/verify/check", `{"code":"123456"}`,
			`{"error":{"code":"VALIDATION_FAILED","message":"Request validation failed","details":[{"field":"verification_id","reason":"is required"}]}}`},
	} {
		r := send(t, srv, "POST", tc.path, []byte(tc.body), tryvoxAuth)
		assert.Equal(t, 400, r.Status, name)
		assert.JSONEq(t, tc.want, string(r.Body), name)
	}
	assert.Empty(t, srv.Messages())
}

func TestTryvoxValidationSpendsNoAttempt(t *testing.T) {
	srv, c := newTest(t)
	v := startSMS(t, c, tvPhone)
	r := send(t, srv, "POST", "/v1/verify/check", []byte(`{"verification_id":"`+v.ID+`","code":"1"}`), tryvoxAuth)
	require.Equal(t, 400, r.Status)
	st, err := c.GetStatus(ctx(t), v.ID)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Attempts)
}
