package otpkit_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// Per-provider fuzz targets for the mock's handler, and for the contract
// between the mock and the client: whatever a request looks like, the mock
// never fails (5xx, a panic), answers in its provider's documented shape,
// and the client reads that answer as the provider's: a success decodes, an
// error is an *APIError that is not ErrServer.
//
// In every path and body, {live} stands for the id of an item the handler
// holds and {code} for its code.

var fuzzClock = time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)

// handlerTransport serves a client's requests with a handler, in memory.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	req.RemoteAddr = "192.0.2.1:4321"
	ht.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// replayTransport answers every request with one recorded answer.
type replayTransport struct{ rec *httptest.ResponseRecorder }

func (rt replayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	resp := rt.rec.Result()
	resp.Request = req
	return resp, nil
}

// fuzzClient is a client with the mock's credentials over transport.
func fuzzClient(t *testing.T, transport http.RoundTripper) *otpkit.Client {
	c, err := otpkit.NewClient(otpkit.WithBaseURL("http://mock.invalid"),
		otpkit.WithLOX24Token(mock.LOX24Token), otpkit.WithTryvoxKey(mock.TryvoxAPIKey, mock.TryvoxTenantID),
		otpkit.WithDotdigitalAuth(mock.DotdigitalUsername, mock.DotdigitalPassword),
		otpkit.WithRetryPolicy(otpkit.RetryPolicy{}), otpkit.WithHTTPClient(&http.Client{Transport: transport}))
	require.NoError(t, err)
	return c
}

// rawRequest builds a request from fuzz input, outside any client.
func rawRequest(method, target, body string) *http.Request {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		u = &url.URL{Path: target}
	}
	req := (&http.Request{Method: method, URL: u, Header: http.Header{}, RemoteAddr: "192.0.2.1:4321", Host: "mock.invalid",
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}).WithContext(context.Background())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// knownSentinels are the errors a provider's answer may stand for.
var knownSentinels = []error{otpkit.ErrInvalidRequest, otpkit.ErrUnauthorized, otpkit.ErrInsufficientFunds, otpkit.ErrForbidden,
	otpkit.ErrNotFound, otpkit.ErrRateLimited, otpkit.ErrInvalidCode, otpkit.ErrMaxAttempts, otpkit.ErrDeliveryFailed}

// checkReplay checks what the client made of the mock's answer rec.
func checkReplay(t *testing.T, rec *httptest.ResponseRecorder, err error) {
	t.Helper()
	success := rec.Code >= 200 && rec.Code < 300 && rec.Code != http.StatusNoContent
	if success {
		assert.NoError(t, err, "the client reads the mock's %d: %s", rec.Code, rec.Body)
		return
	}
	require.Error(t, err, "%d %s", rec.Code, rec.Body)
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, rec.Code, apiErr.StatusCode)
	assert.False(t, errors.Is(err, otpkit.ErrServer), "the mock's answer is a documented one: %d %s", rec.Code, rec.Body)
	if rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusRequestEntityTooLarge {
		matched := 0
		for _, s := range knownSentinels {
			if errors.Is(err, s) {
				matched++
			}
		}
		assert.Equal(t, 1, matched, "one sentinel for %d %s", rec.Code, rec.Body)
	}
}

// ---------------------------------------------------------------------------
// LOX24

func FuzzMockLOX24Handler(f *testing.F) {
	seedCreate := `{"phone":"+491701234567","code":"1234","is_code_deleted":false,"payload":"yours payload here","lang":"EN","routing_strategy":[{"channel":"telegram","timeout_sec":30},{"channel":"voice","sender_id":"LOX24","template":"Your code is {{code}}"},{"channel":"sms","sender_id":"LOX24","template":"Your code is {{code}}"}]}`
	f.Add(uint8(0), "", seedCreate, true)
	f.Add(uint8(0), "", `{"phone":"1","routing_strategy":[]}`, true)
	f.Add(uint8(0), "", `{"phone":1,"routing_strategy":[{"channel":"sms","timeout_sec":"x"},null,[]]}`, true)
	f.Add(uint8(0), "", `{"phone":"+491701234567","routing_strategy":[{"channel":"sms"},{"channel":"telegram"}]}`, true)
	f.Add(uint8(0), "", seedCreate, false)
	f.Add(uint8(1), "d7ad7539-fb8f-4dbb-a7f7-7c40babec969", "", true)
	f.Add(uint8(1), "{live}", "", true)
	f.Add(uint8(1), "not-a-uuid", "", true)
	f.Add(uint8(2), "2", "", true)
	f.Add(uint8(2), "0", "", true)
	f.Add(uint8(2), "x", "", true)
	f.Add(uint8(3), "{live}", "[", true)
	f.Fuzz(func(t *testing.T, op uint8, id, body string, auth bool) {
		h := mock.NewHandler(mock.WithClock(fuzzClock))
		live, err := fuzzClient(t, handlerTransport{h}).CreateVerifyCode(context.Background(),
			&otpkit.CreateVerifyCodeRequest{Phone: "+491701234567", Code: "5812", RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
		require.NoError(t, err)
		id, body = strings.ReplaceAll(id, "{live}", live.ID), strings.ReplaceAll(body, "{live}", live.ID)

		var req *http.Request
		switch op % 4 {
		case 0:
			req = rawRequest(http.MethodPost, "/verify_codes", body)
		case 1:
			req = rawRequest(http.MethodGet, "/verify_codes/"+url.PathEscape(id), "")
		case 2:
			req = rawRequest(http.MethodGet, "/verify_codes?page="+url.QueryEscape(id), "")
		default:
			req = rawRequest(http.MethodDelete, "/verify_codes/"+url.PathEscape(id), body)
		}
		token := "1234567:wrong"
		if auth {
			token = mock.LOX24Token
		}
		req.Header.Set("X-LOX24-AUTH-TOKEN", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		require.Less(t, rec.Code, 500, "%s %s %q: %s", req.Method, req.URL, body, rec.Body)
		assert.Len(t, rec.Header().Get("X-LOX24-REQUEST-ID"), 32, "every LOX24 answer has a request id")
		if rec.Code >= 400 {
			var problem struct{ Title, Detail string }
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &problem), "%d %s", rec.Code, rec.Body)
			assert.NotEmpty(t, problem.Title+problem.Detail)
		}

		c := fuzzClient(t, replayTransport{rec})
		ctx := context.Background()
		switch op % 4 {
		case 0:
			_, err = c.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{Phone: "+491701234567", RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
		case 2:
			_, err = c.ListVerifyCodes(ctx, nil)
		default:
			_, err = c.GetVerifyCode(ctx, live.ID)
		}
		checkReplay(t, rec, err)
	})
}

// ---------------------------------------------------------------------------
// Tryvox

func FuzzMockTryvoxHandler(f *testing.F) {
	f.Add(uint8(0), "", `{"to":"+919876543210","channel":"sms"}`, uint8(3))
	f.Add(uint8(0), "", `{"to":"a@b.io","channel":"email","code_length":8,"custom_message":"{{code}}","locale":"de","app_name":"x"}`, uint8(3))
	f.Add(uint8(0), "", `{"to":"+919876543210","channel":"fax"}`, uint8(3))
	f.Add(uint8(0), "", `{"to":"+919876543210","channel":"sms"}`, uint8(1))
	f.Add(uint8(1), "ver_abc123", "", uint8(3))
	f.Add(uint8(1), "{live}", "", uint8(3))
	f.Add(uint8(1), "{live}", "", uint8(0))
	f.Add(uint8(2), "", `{"verification_id":"ver_abc123","code":"123456"}`, uint8(3))
	f.Add(uint8(2), "", `{"verification_id":"{live}","code":"{code}"}`, uint8(3))
	f.Add(uint8(2), "", `{"verification_id":"{live}","code":"000000"}`, uint8(3))
	f.Add(uint8(2), "", `{"verification_id":"{live}","code":"12"}`, uint8(3))
	f.Add(uint8(2), "", `{"verification_id":{},"code":1}`, uint8(3))
	f.Add(uint8(3), "{live}", `[`, uint8(3))
	f.Fuzz(func(t *testing.T, op uint8, id, body string, auth uint8) {
		h := mock.NewHandler(mock.WithClock(fuzzClock))
		live, err := fuzzClient(t, handlerTransport{h}).StartVerification(context.Background(),
			&otpkit.StartVerificationRequest{To: "+919876543210", Channel: otpkit.ChannelSMS})
		require.NoError(t, err)
		code, _ := h.LastCode("+919876543210")
		r := strings.NewReplacer("{live}", live.ID, "{code}", code)
		id, body = r.Replace(id), r.Replace(body)

		var req *http.Request
		switch op % 4 {
		case 0:
			req = rawRequest(http.MethodPost, "/v1/verify/start", body)
		case 1:
			req = rawRequest(http.MethodGet, "/v1/verify/"+url.PathEscape(id), "")
		case 2:
			req = rawRequest(http.MethodPost, "/v1/verify/check", body)
		default:
			req = rawRequest(http.MethodDelete, "/v1/verify/"+url.PathEscape(id), body)
		}
		if auth&1 != 0 {
			req.Header.Set("Authorization", "Bearer "+mock.TryvoxAPIKey)
		} else if auth&4 != 0 {
			req.Header.Set("Authorization", "Bearer tvx_sk_test_wrong")
		}
		if auth&2 != 0 {
			req.Header.Set("X-Tenant-ID", mock.TryvoxTenantID)
		} else if auth&8 != 0 {
			req.Header.Set("X-Tenant-ID", "acc_other")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		require.Less(t, rec.Code, 500, "%s %s %q: %s", req.Method, req.URL, body, rec.Body)
		if rec.Code < 300 {
			var env struct {
				Data *struct {
					ID string `json:"verification_id"`
				} `json:"data"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &env), "%s", rec.Body)
			require.NotNil(t, env.Data, "%s", rec.Body)
			assert.NotEmpty(t, env.Data.ID)
		} else {
			var env struct {
				Error *struct{ Code, Message string } `json:"error"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &env), "%d %s", rec.Code, rec.Body)
			require.NotNil(t, env.Error, "%d %s", rec.Code, rec.Body)
			codes := []string{"VALIDATION_FAILED", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "VERIFICATION_FAILED",
				"MAX_ATTEMPTS_EXCEEDED", "RATE_LIMITED", "DELIVERY_FAILED"}
			if rec.Code == http.StatusMethodNotAllowed { // no provider document has one; the mock's own code
				codes = []string{"METHOD_NOT_ALLOWED"}
			}
			assert.Contains(t, codes, env.Error.Code, "%d %s", rec.Code, rec.Body)
			assert.NotEmpty(t, env.Error.Message)
		}

		c := fuzzClient(t, replayTransport{rec})
		ctx := context.Background()
		switch op % 4 {
		case 0:
			_, err = c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+919876543210", Channel: otpkit.ChannelSMS})
		case 2:
			_, err = c.CheckCode(ctx, live.ID, "123456")
		default:
			_, err = c.GetStatus(ctx, live.ID)
		}
		checkReplay(t, rec, err)
	})
}

// ---------------------------------------------------------------------------
// dotdigital

func FuzzMockDotdigitalHandler(f *testing.F) {
	f.Add(uint8(0), "", `{"to":"447123123456"}`, true)
	f.Add(uint8(0), "", `{"to":"447123123456","from":"Shop","countryIsoCode":"GBR","body":"{{code}} {{validMinutes}}","validUntil":"2026-04-09T10:05:00.000Z"}`, true)
	f.Add(uint8(0), "", `{"to":"07123123456","countryIsoCode":"GBR"}`, true)
	f.Add(uint8(0), "", `{"to":""}`, true)
	f.Add(uint8(0), "", `{"to":"447123123456"}`, false)
	f.Add(uint8(1), "{live}", `{"code":"12345"}`, true)
	f.Add(uint8(1), "{live}", `{"code":"{code}"}`, true)
	f.Add(uint8(1), "{live}", `{"code":""}`, true)
	f.Add(uint8(1), "0d5c94d4-df1f-4fc8-82d2-1f64ea548704", `{"code":"12345"}`, true)
	f.Add(uint8(1), "{live}", `{"code":{}}`, true)
	f.Add(uint8(2), "{live}", ``, true)
	f.Add(uint8(3), "{live}", `[`, true)
	f.Fuzz(func(t *testing.T, op uint8, id, body string, auth bool) {
		h := mock.NewHandler(mock.WithClock(fuzzClock))
		live, err := fuzzClient(t, handlerTransport{h}).SendCode(context.Background(), &otpkit.SendCodeRequest{To: "447123123456"})
		require.NoError(t, err)
		code, _ := h.LastCode("447123123456")
		r := strings.NewReplacer("{live}", live.RequestID, "{code}", code)
		id, body = r.Replace(id), r.Replace(body)

		var req *http.Request
		switch op % 4 {
		case 0:
			req = rawRequest(http.MethodPost, "/webapi/verify", body)
		case 1:
			req = rawRequest(http.MethodPut, "/WebApi/Verify/"+url.PathEscape(id)+"/validate", body)
		case 2:
			req = rawRequest(http.MethodGet, "/webapi/verify/"+url.PathEscape(id)+"/validate", body)
		default:
			req = rawRequest(http.MethodPost, "/webapi/"+url.PathEscape(id), body)
		}
		if auth {
			req.SetBasicAuth(mock.DotdigitalUsername, mock.DotdigitalPassword)
		} else {
			req.SetBasicAuth(mock.DotdigitalUsername, "wrong")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		require.Less(t, rec.Code, 500, "%s %s %q: %s", req.Method, req.URL, body, rec.Body)
		switch {
		case rec.Code == http.StatusNoContent:
			assert.Empty(t, rec.Body.String())
		case rec.Code < 300:
			var st otpkit.CodeStatus
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st), "%s", rec.Body)
			assert.NotEmpty(t, st.RequestID)
			assert.Contains(t, []otpkit.CodeState{otpkit.CodeVerified, otpkit.CodeNotVerified, otpkit.CodeLocked, otpkit.CodeExpired}, st.Status)
		case rec.Code == http.StatusUnauthorized:
			assert.NotEmpty(t, rec.Header().Get("WWW-Authenticate"))
		case rec.Code == http.StatusBadRequest:
			var failures []struct{ Property, FailureCode, Details string }
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &failures), "%s", rec.Body)
			require.NotEmpty(t, failures)
			for _, fl := range failures {
				assert.NotEmpty(t, fl.FailureCode)
				assert.NotEmpty(t, fl.Details)
			}
		}

		c := fuzzClient(t, replayTransport{rec})
		if op%4 == 0 {
			_, err = c.SendCode(context.Background(), &otpkit.SendCodeRequest{To: "447123123456"})
		} else {
			_, err = c.ValidateCode(context.Background(), live.RequestID, "123456")
		}
		checkReplay(t, rec, err)
	})
}
