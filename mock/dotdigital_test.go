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

const ddPhone = "447123123456"

var guidRE = `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`

func sendCode(t *testing.T, c *otpkit.Client, req *otpkit.SendCodeRequest) *otpkit.CodeStatus {
	t.Helper()
	st, err := c.SendCode(ctx(t), req)
	require.NoError(t, err)
	return st
}

func TestDotdigitalVerify(t *testing.T) {
	srv, c := newTest(t)
	st := sendCode(t, c, &otpkit.SendCodeRequest{To: "+" + ddPhone})
	assert.Regexp(t, guidRE, st.RequestID)
	assert.Equal(t, otpkit.CodeNotVerified, st.Status)
	assert.Equal(t, ddPhone, st.PhoneNumber, "international digits, without the +")
	assert.Equal(t, "Unknown", st.NumberStatus)
	assert.Equal(t, t0, st.Created)
	assert.Nil(t, st.Verified)

	m, ok := srv.LastMessage("+" + ddPhone)
	require.True(t, ok, "recipients compare without the +")
	assert.Regexp(t, `^[0-9]{6}$`, m.Code)
	assert.Equal(t, "Your verification code is "+m.Code, m.Text)
	assert.Equal(t, Message{ID: st.RequestID, Provider: otpkit.ProviderDotdigital, Channel: otpkit.ChannelSMS,
		To: ddPhone, Code: m.Code, Text: m.Text, Time: t0}, m)

	srv.Advance(3 * time.Second)
	got, err := c.ValidateCode(ctx(t), st.RequestID, m.Code)
	require.NoError(t, err)
	assert.Equal(t, otpkit.CodeVerified, got.Status)
	require.NotNil(t, got.Verified)
	assert.Equal(t, t0.Add(3*time.Second), *got.Verified)
	assert.Equal(t, t0, got.Created)

	_, err = c.ValidateCode(ctx(t), st.RequestID, m.Code)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "a requestId is single use: 204 after that")
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 204, apiErr.StatusCode)
	assert.Equal(t, 0, srv.Stats().DotdigitalCodes, "discarded at once")
}

func TestDotdigitalLockout(t *testing.T) {
	srv, c := newTest(t)
	st := sendCode(t, c, &otpkit.SendCodeRequest{To: ddPhone})
	code, _ := srv.LastCode(ddPhone)
	for i := 1; i <= 4; i++ {
		got, err := c.ValidateCode(ctx(t), st.RequestID, wrongCode(code))
		require.NoError(t, err)
		assert.Equal(t, otpkit.CodeNotVerified, got.Status, "wrong code %d", i)
		assert.Nil(t, got.Verified)
	}
	got, err := c.ValidateCode(ctx(t), st.RequestID, wrongCode(code))
	require.NoError(t, err)
	assert.Equal(t, otpkit.CodeLocked, got.Status, "the 5th wrong code")
	_, err = c.ValidateCode(ctx(t), st.RequestID, code)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "discarded: even the right code is 204")
}

func TestDotdigitalExpiry(t *testing.T) {
	srv, c := newTest(t)
	st := sendCode(t, c, &otpkit.SendCodeRequest{To: ddPhone})
	code, _ := srv.LastCode(ddPhone)
	srv.Advance(10 * time.Minute)
	got, err := c.ValidateCode(ctx(t), st.RequestID, code)
	require.NoError(t, err)
	assert.Equal(t, otpkit.CodeExpired, got.Status, "the first validate after expiry")
	_, err = c.ValidateCode(ctx(t), st.RequestID, code)
	require.ErrorIs(t, err, otpkit.ErrNotFound)
}

func TestDotdigitalValidUntilAndBody(t *testing.T) {
	// The client computes validUntil from the host's clock while the mock's
	// clock starts in April: the validity still counts on the mock's clock.
	srv, c := newTest(t)
	st := sendCode(t, c, &otpkit.SendCodeRequest{To: "07123123456", CountryISOCode: "GBR", From: "Shop",
		Body: "Code {{code}}, valid {{validMinutes}} min", ValidUntil: time.Now().Add(5 * time.Minute)})
	assert.Equal(t, ddPhone, st.PhoneNumber, "a national number becomes international")
	m, ok := srv.LastMessage(ddPhone)
	require.True(t, ok)
	assert.Equal(t, fmt.Sprintf("Code %s, valid 5 min", m.Code), m.Text)

	srv.Advance(5*time.Minute - 2*time.Second)
	got, err := c.ValidateCode(ctx(t), st.RequestID, wrongCode(m.Code))
	require.NoError(t, err)
	assert.Equal(t, otpkit.CodeNotVerified, got.Status)
	srv.Advance(2 * time.Second)
	got, err = c.ValidateCode(ctx(t), st.RequestID, m.Code)
	require.NoError(t, err)
	assert.Equal(t, otpkit.CodeExpired, got.Status)

	r := send(t, srv, "POST", "/webapi/verify", []byte(`{"to":"447123123456","validUntil":"`+
		time.Now().Add(25*time.Hour).UTC().Format(time.RFC3339)+`"}`), ddAuth)
	assert.Equal(t, 400, r.Status)
	assert.JSONEq(t, `[{"property":"validUntil","failureCode":"ValidUntilInvalid","details":"validUntil must be at most 24 hours ahead"}]`, string(r.Body))
	r = send(t, srv, "POST", "/webapi/verify", []byte(`{"to":"447123123456","validUntil":"2020-01-01T00:00:00.000Z"}`), ddAuth)
	assert.JSONEq(t, `[{"property":"validUntil","failureCode":"ValidUntilInvalid","details":"validUntil must be in the future"}]`, string(r.Body))
	r = send(t, srv, "POST", "/webapi/verify", []byte(`{"to":"447123123456","validUntil":"tomorrow"}`), ddAuth)
	assert.JSONEq(t, `[{"property":"validUntil","failureCode":"ValidUntilInvalid","details":"validUntil must be an ISO 8601 date and time"}]`, string(r.Body))
}

func TestDotdigitalNumberStatus(t *testing.T) {
	srv, c := newTest(t)
	srv.SetNumberStatus("+"+ddPhone, "Valid")
	st := sendCode(t, c, &otpkit.SendCodeRequest{To: ddPhone})
	assert.Equal(t, "Valid", st.NumberStatus)
	srv.SetNumberStatus(ddPhone, "")
	st = sendCode(t, c, &otpkit.SendCodeRequest{To: ddPhone})
	assert.Equal(t, "Unknown", st.NumberStatus)
}

func TestDotdigitalOtherAccount(t *testing.T) {
	srv, c := newTest(t, WithDotdigitalAuth("alice", "a-pass"), WithDotdigitalAuth("bob", "b-pass"))
	st := sendCode(t, c, &otpkit.SendCodeRequest{To: ddPhone})
	code, _ := srv.LastCode(ddPhone)
	bob, err := srv.Client(otpkit.WithDotdigitalAuth("bob", "b-pass"))
	require.NoError(t, err)
	_, err = bob.ValidateCode(ctx(t), st.RequestID, code)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "another account's requestId is unknown")
	got, err := c.ValidateCode(ctx(t), st.RequestID, code)
	require.NoError(t, err)
	assert.Equal(t, otpkit.CodeVerified, got.Status)

	eve, err := srv.Client(otpkit.WithDotdigitalAuth("bob", "a-pass"))
	require.NoError(t, err)
	_, err = eve.SendCode(ctx(t), &otpkit.SendCodeRequest{To: ddPhone})
	require.ErrorIs(t, err, otpkit.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "a-pass")
}

func TestDotdigitalWireShapes(t *testing.T) {
	srv, _ := newTest(t)
	r := send(t, srv, "POST", "/webapi/verify", []byte(`{"to":"447123123456"}`), ddAuth)
	require.Equal(t, 202, r.Status)
	var sent map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &sent))
	id := sent["requestId"].(string)
	assert.JSONEq(t, fmt.Sprintf(`{"requestId":%q,"phoneNumber":"447123123456","status":"CodeNotVerified",
		"numberStatus":"Unknown","created":"2026-04-09T10:00:00.000Z"}`, id), string(r.Body))

	code, _ := srv.LastCode(ddPhone)
	// Paths match in any case, and the requestId too.
	r = send(t, srv, "PUT", "/WEBAPI/verify/"+id+"/VALIDATE", []byte(`{"code":"`+code+`"}`), ddAuth)
	require.Equal(t, 200, r.Status)
	assert.JSONEq(t, fmt.Sprintf(`{"requestId":%q,"phoneNumber":"447123123456","status":"CodeVerified",
		"numberStatus":"Unknown","created":"2026-04-09T10:00:00.000Z","verified":"2026-04-09T10:00:00.000Z"}`, id), string(r.Body))

	r = send(t, srv, "PUT", "/WebApi/Verify/"+id+"/validate", []byte(`{"code":"`+code+`"}`), ddAuth)
	assert.Equal(t, 204, r.Status)
	assert.Empty(t, r.Body)
	assert.Empty(t, r.Header.Get("Content-Type"))

	r = send(t, srv, "POST", "/webapi/verify", []byte(`{"to":"447123123456"}`), nil)
	assert.Equal(t, 401, r.Status)
	assert.Empty(t, r.Body)
	assert.Equal(t, `Basic realm="dotdigital"`, r.Header.Get("WWW-Authenticate"))
	r = send(t, srv, "PUT", "/WebApi/Verify/"+id+"/validate", []byte(`{"code":"1"}`),
		map[string]string{"Authorization": "Basic " + basic(DotdigitalUsername, "wrong")})
	assert.Equal(t, 401, r.Status)

	st := sendCodeRaw(t, srv)
	r = send(t, srv, "PUT", "/WebApi/Verify/"+st+"/validate", []byte(`{"code":123456}`), ddAuth)
	assert.Equal(t, 200, r.Status, "a number is bound to the string, as .NET does")
}

func sendCodeRaw(t *testing.T, srv *Server) string {
	r := send(t, srv, "POST", "/webapi/verify", []byte(`{"to":"447123123456"}`), ddAuth)
	require.Equal(t, 202, r.Status)
	var sent map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &sent))
	return sent["requestId"].(string)
}

func TestDotdigitalFailures(t *testing.T) {
	srv, _ := newTest(t)
	id := sendCodeRaw(t, srv)
	validate := "/WebApi/Verify/" + id + "/validate"
	for name, tc := range map[string]struct {
		method, path, body, want string
	}{
		"empty code": {"PUT", validate, `{"code":""}`,
			`[{"property":"verifyCode","failureCode":"CodeEmpty","details":"verifyCode cannot be null or empty"}]`},
		"no code": {"PUT", validate, `{}`,
			`[{"property":"verifyCode","failureCode":"CodeEmpty","details":"verifyCode cannot be null or empty"}]`},
		"null code": {"PUT", validate, `{"code":null}`,
			`[{"property":"verifyCode","failureCode":"CodeEmpty","details":"verifyCode cannot be null or empty"}]`},
		"object code": {"PUT", validate, `{"code":{}}`,
			`[{"property":"code","failureCode":"PayloadInvalid","details":"code must be a string"}]`},
		"malformed validate": {"PUT", validate, `{"code":`,
			`[{"property":"","failureCode":"PayloadInvalid","details":"The request body is not a valid JSON object"}]`},
		"malformed send": {"POST", "/webapi/verify", `nope`,
			`[{"property":"","failureCode":"PayloadInvalid","details":"The request body is not a valid JSON object"}]`},
		"empty send": {"POST", "/webapi/verify", ``,
			`[{"property":"","failureCode":"PayloadInvalid","details":"The request body is not a valid JSON object"}]`},
		"no to": {"POST", "/webapi/verify", `{}`,
			`[{"property":"to","failureCode":"ToEmpty","details":"to cannot be null or empty"}]`},
		"bad fields": {"POST", "/webapi/verify", `{"to":"12","from":"!","countryIsoCode":"gb","body":"hello"}`,
			`[{"property":"to","failureCode":"ToInvalid","details":"to must be a phone number of 7 to 15 digits"},
			  {"property":"from","failureCode":"FromInvalid","details":"from must be 2 to 15 digits or 2 to 11 letters, digits, spaces, '-', '_' or '.'"},
			  {"property":"countryIsoCode","failureCode":"CountryIsoCodeInvalid","details":"countryIsoCode must be an ISO 3166-1 alpha-3 code"},
			  {"property":"body","failureCode":"BodyMissingCodePlaceholder","details":"body must contain the {{code}} placeholder"}]`},
		"wrong types": {"POST", "/webapi/verify", `{"to":447123123456,"body":["x"]}`,
			`[{"property":"to","failureCode":"PayloadInvalid","details":"to must be a string"},
			  {"property":"body","failureCode":"PayloadInvalid","details":"body must be a string"}]`},
	} {
		r := send(t, srv, tc.method, tc.path, []byte(tc.body), ddAuth)
		assert.Equal(t, 400, r.Status, name)
		assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"), name)
		assert.JSONEq(t, tc.want, string(r.Body), name)
	}
	assert.Equal(t, 1, srv.Stats().DotdigitalCodes, "no failure sent or spent anything")
	code, _ := srv.LastCode(ddPhone)
	r := send(t, srv, "PUT", validate, []byte(`{"code":"`+code+`"}`), ddAuth)
	assert.Contains(t, string(r.Body), "CodeVerified", "bad requests spent no attempt")
}
