package otpkit_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// dotdigital VerifyCode objects in the documented form (seed 004).
var codeStatusExamples = []string{
	`{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeVerified","numberStatus":"Unknown","created":"2015-10-21T13:28:06.419Z","verified":"2015-10-21T13:29:11.000Z"}`,
	`{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeNotVerified","numberStatus":"Unknown","created":"2015-10-21T13:28:06.419Z"}`,
	`{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeLocked","numberStatus":"Active","created":"2015-10-21T13:28:06.419Z"}`,
	`{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeExpired","numberStatus":"Unknown","created":"2015-10-21T13:28:06.419Z"}`,
}

const ddRequestID = "0d5c94d4-df1f-4fc8-82d2-1f64ea548704"

func TestCodeStatusExamplesRoundTrip(t *testing.T) {
	for i, raw := range codeStatusExamples {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, out := reencode[otpkit.CodeStatus](t, raw)
			assert.JSONEq(t, raw, out)
		})
	}
	st, _ := reencode[otpkit.CodeStatus](t, codeStatusExamples[0])
	assert.Equal(t, otpkit.CodeVerified, st.Status)
	assert.Equal(t, time.Date(2015, 10, 21, 13, 28, 6, 419e6, time.UTC), st.Created)
	require.NotNil(t, st.Verified)
	assert.Equal(t, time.Date(2015, 10, 21, 13, 29, 11, 0, time.UTC), *st.Verified)
	st, _ = reencode[otpkit.CodeStatus](t, codeStatusExamples[1])
	assert.Nil(t, st.Verified)

	// The seed's fragments decode on their own too.
	st, _ = reencode[otpkit.CodeStatus](t, `{"status":"CodeNotVerified"}`)
	assert.Equal(t, otpkit.CodeNotVerified, st.Status)
}

func TestSendCodeRequest(t *testing.T) {
	c, mux, _ := setup(t)
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	mux.HandleFunc("/webapi/verify", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		user, pw, ok := r.BasicAuth()
		assert.True(t, ok)
		assert.Equal(t, testDDUser, user)
		assert.Equal(t, testDDPassword, pw)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		testJSONBody(t, r, `{"to":"447123123456","from":"Shop","countryIsoCode":"GBR","body":"Code {{code}}, {{validMinutes}} min","validUntil":"`+until.Format("2006-01-02T15:04:05.000Z")+`"}`)
		writeJSON(w, http.StatusAccepted, codeStatusExamples[1])
	})
	st, err := c.SendCode(context.Background(), &otpkit.SendCodeRequest{
		To: "447123123456", From: "Shop", CountryISOCode: "GBR", Body: "Code {{code}}, {{validMinutes}} min", ValidUntil: until,
	})
	require.NoError(t, err)
	assert.Equal(t, ddRequestID, st.RequestID)
	assert.Equal(t, otpkit.CodeNotVerified, st.Status)
}

func TestSendCodeOmitsZeroFields(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("POST /webapi/verify", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"to":"447123123456"}`)
		writeJSON(w, http.StatusAccepted, codeStatusExamples[1])
	})
	_, err := c.SendCode(context.Background(), &otpkit.SendCodeRequest{To: "447123123456"})
	require.NoError(t, err)
}

func TestSendCodeValidatesBeforeSending(t *testing.T) {
	var calls atomic.Int32
	srv := newCountingServer(t, &calls, http.StatusAccepted, codeStatusExamples[1])
	c, err := otpkit.NewClient(otpkit.WithBaseURL(srv), otpkit.WithDotdigitalAuth(testDDUser, testDDPassword))
	require.NoError(t, err)
	cases := []struct {
		req   otpkit.SendCodeRequest
		field string
	}{
		{otpkit.SendCodeRequest{}, "to"},
		{otpkit.SendCodeRequest{To: "44 7123 123456"}, "to"},
		{otpkit.SendCodeRequest{To: "12345"}, "to"},
		{otpkit.SendCodeRequest{To: "07123123456"}, "to"},
		{otpkit.SendCodeRequest{To: "447123123456", From: "A"}, "from"},
		{otpkit.SendCodeRequest{To: "447123123456", From: "ThisIsTooLongForAnOriginator"}, "from"},
		{otpkit.SendCodeRequest{To: "07123123456", CountryISOCode: "GB"}, "countryIsoCode"},
		{otpkit.SendCodeRequest{To: "447123123456", Body: "Your code"}, "body"},
		{otpkit.SendCodeRequest{To: "447123123456", ValidUntil: time.Now().Add(-time.Minute)}, "validUntil"},
		{otpkit.SendCodeRequest{To: "447123123456", ValidUntil: time.Now().Add(25 * time.Hour)}, "validUntil"},
	}
	for _, tc := range cases {
		_, err := c.SendCode(context.Background(), &tc.req)
		var ve *otpkit.ValidationError
		require.ErrorAs(t, err, &ve, "%+v", tc.req)
		assert.Equal(t, tc.field, ve.Field, "%+v", tc.req)
	}
	_, err = c.ValidateCode(context.Background(), ddRequestID, "")
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	_, err = c.ValidateCode(context.Background(), "", "123456")
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	_, err = c.SendCode(context.Background(), nil)
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	assert.Zero(t, calls.Load())

	for _, ok := range []otpkit.SendCodeRequest{
		{To: "+447123123456"},
		{To: "07123123456", CountryISOCode: "GBR"},
		{To: "447123123456", From: "447700900123", ValidUntil: time.Now().Add(23 * time.Hour)},
	} {
		_, err := c.SendCode(context.Background(), &ok)
		require.NoError(t, err, "%+v", ok)
	}
}

func TestValidateCodeOutcomes(t *testing.T) {
	c, mux, _ := setup(t)
	var bodies []string
	status := 200
	answer := codeStatusExamples[0]
	mux.HandleFunc("/WebApi/Verify/{id}/validate", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPut)
		assert.Equal(t, "/WebApi/Verify/"+ddRequestID+"/validate", r.URL.Path)
		assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte(testDDUser+":"+testDDPassword)), r.Header.Get("Authorization"))
		var b map[string]string
		require.NoError(t, decodeJSON(r, &b))
		bodies = append(bodies, b["code"])
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, answer)
	})
	ctx := context.Background()
	for _, ex := range codeStatusExamples {
		answer = ex
		st, err := c.ValidateCode(ctx, ddRequestID, "123456")
		require.NoError(t, err)
		assert.Contains(t, ex, string(st.Status))
	}
	status = http.StatusNoContent
	_, err := c.ValidateCode(ctx, ddRequestID, "123456")
	assert.ErrorIs(t, err, otpkit.ErrNotFound)
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNoContent, apiErr.StatusCode)
	assert.Equal(t, otpkit.ProviderDotdigital, apiErr.Provider)
	assert.Equal(t, []string{"123456", "123456", "123456", "123456", "123456"}, bodies)
	assertNoSecrets(t, err.Error(), "123456")
}

func TestDotdigitalErrors(t *testing.T) {
	cases := []struct {
		status   int
		body     string
		sentinel error
		code     string
		fields   []otpkit.FieldError
	}{
		{400, `[{"property":"verifyCode","failureCode":"CodeEmpty","details":"verifyCode cannot be null or empty"}]`, otpkit.ErrInvalidRequest, "CodeEmpty",
			[]otpkit.FieldError{{Field: "verifyCode", Code: "CodeEmpty", Message: "verifyCode cannot be null or empty"}}},
		{400, `[{"property":"to","failureCode":"ToInvalid","details":"bad to"},{"property":"","failureCode":"PayloadInvalid","details":"bad json"}]`, otpkit.ErrInvalidRequest, "ToInvalid",
			[]otpkit.FieldError{{Field: "to", Code: "ToInvalid", Message: "bad to"}, {Field: "", Code: "PayloadInvalid", Message: "bad json"}}},
		{401, ``, otpkit.ErrUnauthorized, "", nil},
		{500, `<html>oops</html>`, otpkit.ErrServer, "", nil},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %.15s", tc.status, tc.body), func(t *testing.T) {
			c, mux, _ := setup(t)
			var n atomic.Int32
			mux.HandleFunc("PUT /WebApi/Verify/{id}/validate", func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				if tc.status == 401 {
					w.Header().Set("WWW-Authenticate", `Basic realm="dotdigital"`)
				}
				writeJSON(w, tc.status, tc.body)
			})
			_, err := c.ValidateCode(context.Background(), ddRequestID, "123456")
			assert.ErrorIs(t, err, tc.sentinel)
			var apiErr *otpkit.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, tc.fields, apiErr.Fields)
			assert.EqualValues(t, 1, n.Load(), "validate is never retried")
			assertNoSecrets(t, err.Error(), "123456")
		})
	}
}

func TestDotdigitalIDsAreEscaped(t *testing.T) {
	c, mux, _ := setup(t)
	var got string
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.WriteHeader(http.StatusNoContent)
	})
	_, err := c.ValidateCode(context.Background(), "../../webapi/verify", "123456")
	assert.ErrorIs(t, err, otpkit.ErrNotFound)
	assert.Equal(t, "/WebApi/Verify/..%2F..%2Fwebapi%2Fverify/validate", got)
	_, err = c.ValidateCode(context.Background(), "..", "123456")
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
}

func TestDotdigitalDefaultTimeoutIs130s(t *testing.T) {
	// The default is a constant the provider asks for; a user's WithTimeout
	// replaces it (TestTimeoutOptionBoundsACall covers that path).
	assert.Equal(t, 130*time.Second, otpkit.DefaultDotdigitalTimeout)
	c, mux, _ := setup(t, otpkit.WithTimeout(80*time.Millisecond))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux.HandleFunc("POST /webapi/verify", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	start := time.Now()
	_, err := c.SendCode(context.Background(), &otpkit.SendCodeRequest{To: "447123123456"})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.True(t, strings.Contains(err.Error(), "80ms"))
}
