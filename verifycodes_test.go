package otpkit_test

import (
	"context"
	"encoding/json"
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

// seedVerifyCode is the read-object example of the LOX24 docs (seed 000).
const seedVerifyCode = `{ "id": "d7ad7539-fb8f-4dbb-a7f7-7c40babec969", "user_id": 12345, "phone": "+491701234567", "routing_strategy": [ { "channel": "telegram", "timeout_sec": 30 }, { "channel": "voice", "sender_id": "LOX24", "template": "Your code is {{code}}" }, { "channel": "sms", "sender_id": "LOX24", "template": "Your code is {{code}}" } ], "status": 10, "delivered_channel": "sms", "cost": 120, "currency": "EUR", "code": "1234", "code_length": 4, "payload": "yours payload here", "lang": "EN", "created_at": 1779903448, "updated_at": 1779903510, "history": [ { "id": "bccaff09-59f2-11f1-a685-7c10c91d54a1", "channel": "telegram", "status": 20, "processed_at": 1779903478, "external_id": "tg_msg_001" }, { "id": "bccaff09-59f2-11f1-a685-7c10c91d54a2", "channel": "voice", "status": 20, "processed_at": 1779903490, "external_id": "voice_msg_002" }, { "id": "bccaff09-59f2-11f1-a685-7c10c91d54a3", "channel": "sms", "status": 10, "processed_at": 1779903510, "external_id": "sms_msg_003" } ], "is_code_deleted": false}`

// seedCreateBody is the body of the seed's curl example (seed 001), which
// omits nothing the Go request carries except the default is_code_deleted.
const seedCreateBody = `{"phone":"+491701234567","code":"1234","payload":"yours payload here","lang":"EN",
 "routing_strategy":[{"channel":"telegram","timeout_sec":30},
  {"channel":"voice","sender_id":"LOX24","template":"Your code is {{code}}"},
  {"channel":"sms","sender_id":"LOX24","template":"Your code is {{code}}"}]}`

func validCreate() *otpkit.CreateVerifyCodeRequest {
	return &otpkit.CreateVerifyCodeRequest{
		Phone:   "+491701234567",
		Code:    "1234",
		Payload: "yours payload here",
		Lang:    "EN",
		RoutingStrategy: []otpkit.RoutingStep{
			{Channel: otpkit.ChannelTelegram, TimeoutSec: 30},
			{Channel: otpkit.ChannelVoice, SenderID: "LOX24", Template: "Your code is {{code}}"},
			{Channel: otpkit.ChannelSMS, SenderID: "LOX24", Template: "Your code is {{code}}"},
		},
	}
}

func TestSeedVerifyCodeRoundTrips(t *testing.T) {
	vc, out := reencode[otpkit.VerifyCode](t, seedVerifyCode)
	assert.JSONEq(t, seedVerifyCode, out)

	assert.Equal(t, 12345, vc.UserID)
	assert.Equal(t, otpkit.VerifyCodeSuccess, vc.Status)
	require.NotNil(t, vc.DeliveredChannel)
	assert.Equal(t, otpkit.ChannelSMS, *vc.DeliveredChannel)
	require.NotNil(t, vc.Cost)
	assert.Equal(t, 120, *vc.Cost)
	assert.Equal(t, time.Unix(1779903448, 0).UTC(), vc.CreatedAt)
	assert.Equal(t, time.Unix(1779903510, 0).UTC(), vc.UpdatedAt)
	require.Len(t, vc.History, 3)
	assert.Equal(t, otpkit.VerifyCodeFailed, vc.History[0].Status)
	assert.Equal(t, time.Unix(1779903478, 0).UTC(), vc.History[0].ProcessedAt)
	require.NotNil(t, vc.History[2].ExternalID)
	assert.Equal(t, "sms_msg_003", *vc.History[2].ExternalID)
	assert.Equal(t, 30, vc.RoutingStrategy[0].TimeoutSec)
	assert.True(t, vc.Matches("1234"))
	assert.False(t, vc.Matches("1235"))
	assert.False(t, vc.Matches(""))
}

func TestVerifyCodeWithNullsRoundTrips(t *testing.T) {
	raw := `{"id":"d7ad7539-fb8f-4dbb-a7f7-7c40babec969","user_id":1,"phone":"+491701234567","code":null,"code_length":null,
		"lang":"DE","routing_strategy":[{"channel":"sms"}],"status":0,"delivered_channel":null,"cost":null,"currency":null,
		"payload":null,"created_at":1779903448,"updated_at":1779903448,"history":[],"is_code_deleted":true}`
	vc, out := reencode[otpkit.VerifyCode](t, raw)
	assert.JSONEq(t, raw, out)
	assert.Nil(t, vc.Code)
	assert.False(t, vc.Matches(""), "a deleted code matches nothing")
	assert.False(t, vc.Matches("1234"))
}

func TestCreateVerifyCodeSendsTheSeedRequest(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/verify_codes", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		assert.Equal(t, testLOX24Token, r.Header.Get("X-LOX24-AUTH-TOKEN"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.Equal(t, "otpkit-go/"+otpkit.Version, r.Header.Get("User-Agent"))
		assert.Empty(t, r.Header.Get("Authorization"), "no other provider's credentials")
		assert.Empty(t, r.Header.Get("X-Tenant-ID"))
		testJSONBody(t, r, seedCreateBody)
		w.Header().Set("X-LOX24-REQUEST-ID", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE")
		writeJSON(w, http.StatusCreated, seedVerifyCode)
	})
	vc, err := c.CreateVerifyCode(context.Background(), validCreate())
	require.NoError(t, err)
	assert.Equal(t, "d7ad7539-fb8f-4dbb-a7f7-7c40babec969", vc.ID)
}

func TestCreateVerifyCodeOmitsZeroOptionalFields(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("POST /verify_codes", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"phone":"+491701234567","routing_strategy":[{"channel":"sms"}]}`)
		writeJSON(w, http.StatusCreated, seedVerifyCode)
	})
	_, err := c.CreateVerifyCode(context.Background(), &otpkit.CreateVerifyCodeRequest{
		Phone: "+491701234567", RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}},
	})
	require.NoError(t, err)
}

func TestCreateVerifyCodeValidatesBeforeSending(t *testing.T) {
	step := func(ch otpkit.Channel) otpkit.RoutingStep { return otpkit.RoutingStep{Channel: ch} }
	cases := []struct {
		name  string
		edit  func(r *otpkit.CreateVerifyCodeRequest)
		field string
	}{
		{"phone missing", func(r *otpkit.CreateVerifyCodeRequest) { r.Phone = "" }, "phone"},
		{"phone too short", func(r *otpkit.CreateVerifyCodeRequest) { r.Phone = "+491" }, "phone"},
		{"phone too long", func(r *otpkit.CreateVerifyCodeRequest) { r.Phone = "+" + strings.Repeat("1", 30) }, "phone"},
		{"code too short", func(r *otpkit.CreateVerifyCodeRequest) { r.Code = "123" }, "code"},
		{"code too long", func(r *otpkit.CreateVerifyCodeRequest) { r.Code = "123456789" }, "code"},
		{"code not digits", func(r *otpkit.CreateVerifyCodeRequest) { r.Code = "12a4" }, "code"},
		{"code length 3", func(r *otpkit.CreateVerifyCodeRequest) { r.Code, r.CodeLength = "", 3 }, "code_length"},
		{"code length 9", func(r *otpkit.CreateVerifyCodeRequest) { r.Code, r.CodeLength = "", 9 }, "code_length"},
		{"code length negative", func(r *otpkit.CreateVerifyCodeRequest) { r.CodeLength = -1 }, "code_length"},
		{"unknown lang", func(r *otpkit.CreateVerifyCodeRequest) { r.Lang = "XX" }, "lang"},
		{"lower-case lang", func(r *otpkit.CreateVerifyCodeRequest) { r.Lang = "en" }, "lang"},
		{"payload too long", func(r *otpkit.CreateVerifyCodeRequest) { r.Payload = strings.Repeat("p", 129) }, "payload"},
		{"no routing", func(r *otpkit.CreateVerifyCodeRequest) { r.RoutingStrategy = nil }, "routing_strategy"},
		{"empty routing", func(r *otpkit.CreateVerifyCodeRequest) { r.RoutingStrategy = []otpkit.RoutingStep{} }, "routing_strategy"},
		{"sms not last", func(r *otpkit.CreateVerifyCodeRequest) {
			r.RoutingStrategy = []otpkit.RoutingStep{step(otpkit.ChannelSMS), step(otpkit.ChannelVoice)}
		}, "routing_strategy[0].channel"},
		{"duplicate channel", func(r *otpkit.CreateVerifyCodeRequest) {
			r.RoutingStrategy = []otpkit.RoutingStep{step(otpkit.ChannelVoice), step(otpkit.ChannelVoice)}
		}, "routing_strategy"},
		{"unknown channel", func(r *otpkit.CreateVerifyCodeRequest) {
			r.RoutingStrategy = []otpkit.RoutingStep{step(otpkit.ChannelWhatsApp)}
		}, "routing_strategy[0].channel"},
		{"empty channel", func(r *otpkit.CreateVerifyCodeRequest) { r.RoutingStrategy = []otpkit.RoutingStep{{}} }, "routing_strategy[0].channel"},
		{"telegram timeout 29", func(r *otpkit.CreateVerifyCodeRequest) { r.RoutingStrategy[0].TimeoutSec = 29 }, "routing_strategy[0].timeout_sec"},
		{"telegram timeout 3601", func(r *otpkit.CreateVerifyCodeRequest) { r.RoutingStrategy[0].TimeoutSec = 3601 }, "routing_strategy[0].timeout_sec"},
		{"timeout on voice", func(r *otpkit.CreateVerifyCodeRequest) { r.RoutingStrategy[1].TimeoutSec = 60 }, "routing_strategy[1].timeout_sec"},
		{"bad sender id", func(r *otpkit.CreateVerifyCodeRequest) { r.RoutingStrategy[1].SenderID = "TOO-LONG-SENDER" }, "routing_strategy[1].sender_id"},
		{"template without placeholder", func(r *otpkit.CreateVerifyCodeRequest) { r.RoutingStrategy[2].Template = "Your code" }, "routing_strategy[2].template"},
		{"template too long", func(r *otpkit.CreateVerifyCodeRequest) {
			r.RoutingStrategy[2].Template = "{{code}}" + strings.Repeat("x", 63)
		}, "routing_strategy[2].template"},
	}
	var calls atomic.Int32
	srv := newCountingServer(t, &calls, http.StatusCreated, seedVerifyCode)
	c, err := otpkit.NewClient(otpkit.WithBaseURL(srv), otpkit.WithLOX24Token(testLOX24Token))
	require.NoError(t, err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := validCreate()
			tc.edit(req)
			_, err := c.CreateVerifyCode(context.Background(), req)
			assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
			var ve *otpkit.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			assert.NotEmpty(t, ve.Reason)
		})
	}
	_, err = c.CreateVerifyCode(context.Background(), nil)
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	assert.Zero(t, calls.Load(), "an invalid request is never sent")

	// The boundaries themselves are valid.
	ok := validCreate()
	ok.Phone, ok.Code, ok.Payload = "+4912", "12345678", strings.Repeat("p", 128)
	ok.RoutingStrategy[0].TimeoutSec = 3600
	ok.RoutingStrategy[2].Template = "{{code}}" + strings.Repeat("x", 62)
	_, err = c.CreateVerifyCode(context.Background(), ok)
	require.NoError(t, err)
}

func TestLOX24StatusesMapToSentinels(t *testing.T) {
	const reqID = "Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jh0Gf9Ed"
	violation := `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred",
		"detail":"phone: This value is too short. It should have 5 characters or more.\nrouting_strategy: This value should not be blank.",
		"violations":[{"propertyPath":"phone","message":"This value is too short. It should have 5 characters or more.","code":"9ff3fdc4-b214-49db-8718-39c315e33d45"},
		{"propertyPath":"routing_strategy","message":"This value should not be blank.","code":"c1051bb4-d103-4f74-8988-acbcafc7fdc3"}]}`
	problem := func(detail string) string {
		return fmt.Sprintf(`{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":%q}`, detail)
	}
	cases := []struct {
		status   int
		body     string
		sentinel error
		message  string
		fields   int
	}{
		{400, violation, otpkit.ErrInvalidRequest, "phone: This value is too short. It should have 5 characters or more.\nrouting_strategy: This value should not be blank.", 2},
		{422, violation, otpkit.ErrInvalidRequest, "phone: This value is too short. It should have 5 characters or more.\nrouting_strategy: This value should not be blank.", 2},
		{400, `{"title":"An error occurred","detail":"Syntax error"}`, otpkit.ErrInvalidRequest, "Syntax error", 0},
		{401, problem("Client ID or API key isn't active or invalid!"), otpkit.ErrUnauthorized, "Client ID or API key isn't active or invalid!", 0},
		{401, ``, otpkit.ErrUnauthorized, "Unauthorized", 0},
		{401, `Client ID or API key isn't active or invalid!`, otpkit.ErrUnauthorized, "Client ID or API key isn't active or invalid!", 0},
		{402, problem("There are not enough funds on your account!"), otpkit.ErrInsufficientFunds, "There are not enough funds on your account!", 0},
		{403, problem("Account isn't activated. Please wait or contact to support!"), otpkit.ErrForbidden, "Account isn't activated. Please wait or contact to support!", 0},
		{404, problem("Not Found"), otpkit.ErrNotFound, "Not Found", 0},
		{429, problem("IP address was temporary blocked, because during short time from it was sent many request with invalid credentials. Please wait and try later."), otpkit.ErrRateLimited, "IP address was temporary blocked, because during short time from it was sent many request with invalid credentials. Please wait and try later.", 0},
		{500, `<html><body><h1>500 Internal Server Error</h1></body></html>`, otpkit.ErrServer, "Internal Server Error", 0},
		{503, ``, otpkit.ErrServer, "Service Unavailable", 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %.20s", tc.status, tc.body), func(t *testing.T) {
			c, mux, _ := setup(t, otpkit.WithRetryPolicy(otpkit.RetryPolicy{}))
			mux.HandleFunc("POST /verify_codes", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-LOX24-REQUEST-ID", reqID)
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			_, err := c.CreateVerifyCode(context.Background(), validCreate())
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.sentinel)
			var apiErr *otpkit.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, otpkit.ProviderLOX24, apiErr.Provider)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, reqID, apiErr.RequestID)
			assert.Equal(t, tc.message, apiErr.Message)
			assert.Len(t, apiErr.Fields, tc.fields)
			assert.Equal(t, tc.body, string(apiErr.Body))
			assert.Contains(t, err.Error(), reqID)
			assertNoSecrets(t, err.Error())
			if tc.fields == 2 {
				assert.Equal(t, otpkit.FieldError{Field: "phone", Code: "9ff3fdc4-b214-49db-8718-39c315e33d45",
					Message: "This value is too short. It should have 5 characters or more."}, apiErr.Fields[0])
				assert.Equal(t, "routing_strategy", apiErr.Fields[1].Field)
			}
		})
	}
}

func TestGetVerifyCodeEscapesTheID(t *testing.T) {
	c, mux, _ := setup(t)
	var gotPath string
	mux.HandleFunc("GET /verify_codes/{id}", func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.EscapedPath()
		writeJSON(w, http.StatusNotFound, `{"title":"An error occurred","detail":"Not Found"}`)
	})
	_, err := c.GetVerifyCode(context.Background(), "a/../b?x=1#y z")
	assert.ErrorIs(t, err, otpkit.ErrNotFound)
	assert.Equal(t, "/verify_codes/a%2F..%2Fb%3Fx=1%23y%20z", gotPath)

	for _, bad := range []string{"", ".", ".."} {
		_, err := c.GetVerifyCode(context.Background(), bad)
		assert.ErrorIs(t, err, otpkit.ErrInvalidRequest, "%q", bad)
	}
}

func TestListVerifyCodesPages(t *testing.T) {
	c, mux, _ := setup(t)
	var queries []string
	mux.HandleFunc("GET /verify_codes", func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		if r.URL.Query().Get("page") == "3" {
			writeJSON(w, http.StatusOK, `[]`)
			return
		}
		writeJSON(w, http.StatusOK, "["+seedVerifyCode+","+seedVerifyCode+"]")
	})
	ctx := context.Background()
	list, err := c.ListVerifyCodes(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, list, 2)
	_, err = c.ListVerifyCodes(ctx, &otpkit.ListVerifyCodesOptions{})
	require.NoError(t, err)
	list, err = c.ListVerifyCodes(ctx, &otpkit.ListVerifyCodesOptions{Page: 3})
	require.NoError(t, err)
	assert.NotNil(t, list)
	assert.Empty(t, list)
	assert.Equal(t, []string{"", "", "page=3"}, queries)
	_, err = c.ListVerifyCodes(ctx, &otpkit.ListVerifyCodesOptions{Page: -1})
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
}

func TestVerifyCodeFormatHidesTheCode(t *testing.T) {
	var vc otpkit.VerifyCode
	require.NoError(t, json.Unmarshal([]byte(strings.Replace(seedVerifyCode, `"code": "1234"`, `"code": "905417"`, 1)), &vc))
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		assert.NotContains(t, fmt.Sprintf(verb, vc), "905417")
		assert.NotContains(t, fmt.Sprintf(verb, &vc), "905417")
	}
	req := validCreate()
	req.Code = "905417"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, req), "905417")
		assert.NotContains(t, fmt.Sprintf(verb, *req), "905417")
	}
	assert.Contains(t, fmt.Sprintf("%+v", req), "Phone:+49…", "the number prints masked")
	assert.Contains(t, fmt.Sprintf("%+v", req), "Payload:yours payload here", "other fields still print")
}

// A VerifyCode prints its nullable fields as values, not addresses, and
// its code redacted.
func TestVerifyCodePrintsValues(t *testing.T) {
	code, length, cost, currency, ext := "482913", 6, 28, "EUR", "sms_msg_003"
	ch := otpkit.ChannelSMS
	vc := otpkit.VerifyCode{ID: "d7ad7539", Code: &code, CodeLength: &length, Cost: &cost, Currency: &currency,
		DeliveredChannel: &ch, History: []otpkit.HistoryEntry{{ID: "h1", Channel: ch, ExternalID: &ext}}}
	got := fmt.Sprintf("%+v", vc)
	for _, want := range []string{"Code:[REDACTED]", "CodeLength:6", "Cost:28", "Currency:EUR", "DeliveredChannel:sms", "ExternalID:sms_msg_003", "Payload:<nil>"} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "0x", "no pointer addresses")
	assert.NotContains(t, got, code)
	assert.NotContains(t, fmt.Sprintf("%v %s %#v", vc, vc, &vc), code)
}
