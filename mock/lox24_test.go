package mock

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/rules"
)

const lox24Phone = "+491701234567"

var lox24RequestIDRE = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

func smsOnly() []otpkit.RoutingStep { return []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}} }

func TestLOX24CreateGetDeliver(t *testing.T) {
	srv, c := newTest(t)
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{
		Phone: lox24Phone, Code: "4711", Payload: "signup #42", Lang: "EN",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS, SenderID: "LOX24", Template: "Code: {{code}}"}},
	})
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerifyCodeNew, vc.Status, "the create response is the task before it started")
	assert.Equal(t, 1234567, vc.UserID, "the token's client id")
	assert.Equal(t, "4711", *vc.Code)
	assert.Equal(t, 4, *vc.CodeLength)
	assert.Equal(t, "signup #42", *vc.Payload)
	assert.Nil(t, vc.Cost, "no cost before processing completed")
	assert.Nil(t, vc.DeliveredChannel)
	assert.Empty(t, vc.History)
	assert.Equal(t, t0, vc.CreatedAt)
	assert.True(t, isUUID(vc.ID))
	_, ok := srv.LastCode(lox24Phone)
	assert.False(t, ok, "nothing is delivered before the step's second has passed")

	got, err := c.GetVerifyCode(ctx(t), vc.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerifyCodeInProgress, got.Status)
	require.Len(t, got.History, 1)
	assert.Equal(t, otpkit.VerifyCodeInProgress, got.History[0].Status)
	assert.Nil(t, got.History[0].ExternalID)

	srv.Advance(time.Second)
	got, err = c.GetVerifyCode(ctx(t), vc.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerifyCodeSuccess, got.Status)
	assert.Equal(t, "sms", string(*got.DeliveredChannel))
	assert.Equal(t, 8, *got.Cost)
	assert.Equal(t, "EUR", *got.Currency)
	assert.Equal(t, t0.Add(time.Second), got.UpdatedAt)
	require.Len(t, got.History, 1)
	h := got.History[0]
	assert.Equal(t, otpkit.VerifyCodeSuccess, h.Status)
	assert.Equal(t, t0.Add(time.Second), h.ProcessedAt)
	assert.Regexp(t, `^sms_msg_[a-z0-9]+$`, *h.ExternalID)
	assert.True(t, got.Matches("4711"))

	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, Message{ID: vc.ID, Provider: otpkit.ProviderLOX24, Channel: otpkit.ChannelSMS, To: lox24Phone,
		Code: "4711", Text: "Code: 4711", Time: t0.Add(time.Second)}, m)
	code, ok := srv.LastCode(lox24Phone)
	assert.True(t, ok)
	assert.Equal(t, "4711", code)
}

func TestLOX24GeneratedCodesAndDefaults(t *testing.T) {
	srv, c := newTest(t)
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9]{4}$`, *vc.Code, "default code_length 4")
	assert.Equal(t, "DE", vc.Lang)
	assert.Nil(t, vc.Payload)

	vc6, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, CodeLength: 8, Lang: "FR", RoutingStrategy: smsOnly()})
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9]{8}$`, *vc6.Code)
	assert.Equal(t, 8, *vc6.CodeLength)

	srv.Advance(time.Second)
	msgs := srv.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, "Ihr Bestätigungscode lautet "+*vc.Code, msgs[0].Text, "the default text in lang DE")
	assert.Equal(t, "Votre code de vérification est "+*vc6.Code, msgs[1].Text)

	// Codes are random: 20 generated codes of 8 digits are not all equal.
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		seen[randomDigits(8)] = true
	}
	assert.Greater(t, len(seen), 15)
}

func TestLOX24FallbackWalk(t *testing.T) {
	srv, c := newTest(t)
	srv.SetOutcome(lox24Phone, otpkit.ChannelTelegram, OutcomeFailed)
	srv.SetOutcome(lox24Phone, otpkit.ChannelVoice, OutcomeFailed)
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{
		Phone: lox24Phone, Lang: "EN",
		RoutingStrategy: []otpkit.RoutingStep{
			{Channel: otpkit.ChannelTelegram, TimeoutSec: 45},
			{Channel: otpkit.ChannelVoice, SenderID: "LOX24"},
			{Channel: otpkit.ChannelSMS, Template: "Your code is {{code}}"},
		},
	})
	require.NoError(t, err)

	at := func(d time.Duration) *otpkit.VerifyCode {
		t.Helper()
		srv.Advance(d - srv.Now().Sub(t0))
		got, err := c.GetVerifyCode(ctx(t), vc.ID)
		require.NoError(t, err)
		return got
	}
	steps := func(v *otpkit.VerifyCode) string {
		var s []string
		for _, h := range v.History {
			s = append(s, fmt.Sprintf("%s:%d", h.Channel, h.Status))
		}
		return strings.Join(s, " ")
	}

	got := at(44 * time.Second)
	assert.Equal(t, otpkit.VerifyCodeInProgress, got.Status)
	assert.Equal(t, "telegram:5", steps(got), "a failing telegram step waits for its timeout_sec")

	got = at(45 * time.Second)
	assert.Equal(t, "telegram:20 voice:5", steps(got))
	assert.Nil(t, got.Cost)

	got = at(46 * time.Second)
	assert.Equal(t, "telegram:20 voice:20 sms:5", steps(got))
	_, ok := srv.LastCode(lox24Phone)
	assert.False(t, ok)

	got = at(47 * time.Second)
	assert.Equal(t, otpkit.VerifyCodeSuccess, got.Status)
	assert.Equal(t, "telegram:20 voice:20 sms:10", steps(got))
	assert.Equal(t, 5+15+8, *got.Cost, "every step tried is charged")
	assert.Equal(t, "sms", string(*got.DeliveredChannel))
	assert.Equal(t, t0.Add(45*time.Second), got.History[0].ProcessedAt)
	assert.Equal(t, t0.Add(46*time.Second), got.History[1].ProcessedAt)
	assert.Equal(t, t0.Add(47*time.Second), got.History[2].ProcessedAt)
	assert.Regexp(t, `^tg_msg_`, *got.History[0].ExternalID)
	assert.Regexp(t, `^voice_msg_`, *got.History[1].ExternalID)
	ids := map[string]bool{got.History[0].ID: true, got.History[1].ID: true, got.History[2].ID: true}
	assert.Len(t, ids, 3)
	for id := range ids {
		assert.True(t, isUUID(id))
	}

	m, ok := srv.LastMessage(lox24Phone)
	require.True(t, ok)
	assert.Equal(t, otpkit.ChannelSMS, m.Channel)
	assert.Equal(t, "Your code is "+*got.Code, m.Text)
	assert.Equal(t, t0.Add(47*time.Second), m.Time)
	cents, limited := srv.Balance()
	assert.Equal(t, -28, cents, "costs are tracked even on an unlimited balance")
	assert.False(t, limited)
}

func TestLOX24TelegramDeliversWithDefaultText(t *testing.T) {
	srv, c := newTest(t)
	_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, Lang: "EN",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelTelegram}, {Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(time.Second)
	m, ok := srv.LastMessage(lox24Phone)
	require.True(t, ok)
	assert.Equal(t, otpkit.ChannelTelegram, m.Channel)
	assert.Equal(t, "Your verification code is "+m.Code, m.Text)
}

func TestLOX24AllStepsFail(t *testing.T) {
	srv, c := newTest(t)
	srv.SetOutcome(lox24Phone, otpkit.ChannelTelegram, OutcomeFailed)
	srv.SetOutcome(lox24Phone, otpkit.ChannelSMS, OutcomeFailed)
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelTelegram}, {Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(31 * time.Second) // telegram's default timeout, then sms
	got, err := c.GetVerifyCode(ctx(t), vc.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerifyCodeFailed, got.Status)
	assert.Nil(t, got.DeliveredChannel)
	assert.Equal(t, 5+8, *got.Cost, "failed steps are still charged")
	require.Len(t, got.History, 2)
	assert.Equal(t, t0.Add(30*time.Second), got.History[0].ProcessedAt)
	assert.Empty(t, srv.Messages())
}

func TestLOX24ErrorOutcomeEndsProcessing(t *testing.T) {
	srv, c := newTest(t)
	srv.SetOutcome(lox24Phone, otpkit.ChannelVoice, OutcomeError)
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelVoice}, {Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(time.Minute)
	got, err := c.GetVerifyCode(ctx(t), vc.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerifyCodeError, got.Status)
	require.Len(t, got.History, 1, "sms is never tried after an error")
	assert.Equal(t, otpkit.VerifyCodeError, got.History[0].Status)
	assert.Nil(t, got.History[0].ExternalID)
	assert.Equal(t, 15, *got.Cost, "the errored voice step was tried, so it is charged")
	assert.Empty(t, srv.Messages())
}

func TestLOX24IsCodeDeleted(t *testing.T) {
	srv, c := newTest(t)
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, Code: "1234",
		IsCodeDeleted: true, RoutingStrategy: smsOnly()})
	require.NoError(t, err)
	assert.Equal(t, "1234", *vc.Code)
	assert.True(t, vc.IsCodeDeleted)
	got, err := c.GetVerifyCode(ctx(t), vc.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Code, "kept while processing runs")

	srv.Advance(time.Second)
	got, err = c.GetVerifyCode(ctx(t), vc.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerifyCodeSuccess, got.Status)
	assert.Nil(t, got.Code, "null once the status is terminal")
	assert.False(t, got.Matches("1234"))
	code, ok := srv.LastCode(lox24Phone)
	assert.True(t, ok, "the recipient's phone still has it")
	assert.Equal(t, "1234", code)

	raw := send(t, srv, "GET", "/verify_codes/"+vc.ID, nil, lox24Auth)
	assert.Contains(t, string(raw.Body), `"code":null`)
}

func TestLOX24List(t *testing.T) {
	srv, c := newTest(t)
	list, err := c.ListVerifyCodes(ctx(t), nil)
	require.NoError(t, err)
	assert.Empty(t, list)

	var ids []string
	for i := 0; i < 31; i++ {
		vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
		require.NoError(t, err)
		ids = append(ids, vc.ID)
	}
	page1, err := c.ListVerifyCodes(ctx(t), nil)
	require.NoError(t, err)
	require.Len(t, page1, 30)
	assert.Equal(t, ids[30], page1[0].ID, "newest first")
	assert.Equal(t, ids[1], page1[29].ID)
	page2, err := c.ListVerifyCodes(ctx(t), &otpkit.ListVerifyCodesOptions{Page: 2})
	require.NoError(t, err)
	require.Len(t, page2, 1)
	assert.Equal(t, ids[0], page2[0].ID)
	page3, err := c.ListVerifyCodes(ctx(t), &otpkit.ListVerifyCodesOptions{Page: 3})
	require.NoError(t, err)
	assert.Empty(t, page3)

	raw := send(t, srv, "GET", "/verify_codes?page=1000000000000", nil, lox24Auth)
	assert.Equal(t, 200, raw.Status)
	assert.Equal(t, "[]", string(raw.Body))
	for _, bad := range []string{"0", "-1", "abc", "1.5"} {
		raw := send(t, srv, "GET", "/verify_codes?page="+bad, nil, lox24Auth)
		assert.Equal(t, 400, raw.Status, bad)
		assert.JSONEq(t, `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred",
			"detail":"Page should not be less than 1."}`, string(raw.Body))
	}
	raw = send(t, srv, "GET", "/verify_codes?page=", nil, lox24Auth)
	assert.Equal(t, 200, raw.Status, "an empty page is page 1")
}

func TestLOX24OtherUsersAndNotFound(t *testing.T) {
	const other = "7654321:00000000000000000000000000000000"
	srv, c := newTest(t, WithLOX24Token(LOX24Token), WithLOX24Token(other))
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
	require.NoError(t, err)

	oc, err := srv.Client(otpkit.WithLOX24Token(other))
	require.NoError(t, err)
	_, err = oc.GetVerifyCode(ctx(t), vc.ID)
	require.ErrorIs(t, err, otpkit.ErrNotFound, "another user's id")
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Not Found", apiErr.Message)
	assert.Regexp(t, lox24RequestIDRE, apiErr.RequestID)
	list, err := oc.ListVerifyCodes(ctx(t), nil)
	require.NoError(t, err)
	assert.Empty(t, list, "users do not see each other's codes")
	vo, err := oc.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
	require.NoError(t, err)
	assert.Equal(t, 7654321, vo.UserID)

	got, err := c.GetVerifyCode(ctx(t), strings.ToUpper(vc.ID))
	require.NoError(t, err, "UUIDs compare in any case")
	assert.Equal(t, vc.ID, got.ID)

	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-uuid", "123"} {
		_, err := c.GetVerifyCode(ctx(t), id)
		assert.ErrorIs(t, err, otpkit.ErrNotFound, id)
	}
	raw := send(t, srv, "GET", "/verify_codes/not-a-uuid", nil, lox24Auth)
	assert.Equal(t, 404, raw.Status)
	assert.Equal(t, "application/problem+json; charset=utf-8", raw.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"Not Found"}`, string(raw.Body))
}

func TestLOX24ViolationBodies(t *testing.T) {
	srv, _ := newTest(t)
	post := func(body string) rawResp { return send(t, srv, "POST", "/verify_codes", []byte(body), lox24Auth) }

	r := post(`{"phone":"+491","routing_strategy":[{"channel":"sms"}]}`)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "application/problem+json; charset=utf-8", r.Header.Get("Content-Type"))
	assert.Regexp(t, lox24RequestIDRE, r.Header.Get("X-LOX24-REQUEST-ID"))
	assert.JSONEq(t, `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred",
		"detail":"phone: This value is too short. It should have 5 characters or more.",
		"violations":[{"propertyPath":"phone","message":"This value is too short. It should have 5 characters or more.",
		"code":"9ff3fdc4-b214-49db-8718-39c315e33d45"}]}`, string(r.Body), "the example of docs/wire.md, exactly")

	r = post(`{"phone":"+491701234567","code":"12ab","lang":"XX","routing_strategy":[{"channel":"sms"},{"channel":"voice","timeout_sec":60,"template":"no placeholder"}]}`)
	assert.Equal(t, 400, r.Status)
	var pb lox24Problem
	require.NoError(t, json.Unmarshal(r.Body, &pb))
	var paths []string
	for _, v := range pb.Violations {
		paths = append(paths, v.PropertyPath)
	}
	assert.Equal(t, []string{"code", "lang", "routing_strategy[0].channel", "routing_strategy[1].timeout_sec", "routing_strategy[1].template"}, paths)
	assert.Equal(t, 5, strings.Count(pb.Detail, "\n")+1, "detail has one line per violation")
	assert.True(t, strings.HasPrefix(pb.Detail, "code: This value is not valid.\nlang: "), pb.Detail)

	r = post(`{"phone":"+491701234567","routing_strategy":[]}`)
	assert.Contains(t, string(r.Body), `"code":"`+rules.SymfonyTooFew+`"`)
	r = post(`{"phone":"+491701234567"}`)
	assert.Contains(t, string(r.Body), `"propertyPath":"routing_strategy"`)
	r = post(`{"phone":"+491701234567","routing_strategy":[{"channel":"sms"},{"channel":"sms"}]}`)
	assert.Contains(t, string(r.Body), rules.SymfonyDuplicate)
	assert.Equal(t, 0, srv.Stats().LOX24Codes, "nothing is created by an invalid request")
}

func TestLOX24WrongTypes(t *testing.T) {
	srv, _ := newTest(t)
	r := send(t, srv, "POST", "/verify_codes", []byte(`{"phone":491701234567,"code_length":"6","is_code_deleted":"yes",
		"routing_strategy":[{"channel":"telegram","timeout_sec":"30"},{"channel":["sms"]},7]}`), lox24Auth)
	assert.Equal(t, 400, r.Status)
	var pb lox24Problem
	require.NoError(t, json.Unmarshal(r.Body, &pb))
	want := []lox24Violation{
		{"phone", "This value should be of type string.", rules.SymfonyInvalidType},
		{"code_length", "This value should be of type int.", rules.SymfonyInvalidType},
		{"is_code_deleted", "This value should be of type bool.", rules.SymfonyInvalidType},
		{"routing_strategy[0].timeout_sec", "This value should be of type int.", rules.SymfonyInvalidType},
		{"routing_strategy[1].channel", "This value should be of type string.", rules.SymfonyInvalidType},
		{"routing_strategy[2]", "This value should be of type array.", rules.SymfonyInvalidType},
	}
	assert.Equal(t, want, pb.Violations, "one violation per wrong type, none for its consequences")

	r = send(t, srv, "POST", "/verify_codes", []byte(`{"phone":"+491701234567","code_length":4.5,"routing_strategy":"sms"}`), lox24Auth)
	require.NoError(t, json.Unmarshal(r.Body, &pb))
	assert.Equal(t, []lox24Violation{
		{"code_length", "This value should be of type int.", rules.SymfonyInvalidType},
		{"routing_strategy", "This value should be of type array.", rules.SymfonyInvalidType},
	}, pb.Violations)

	for _, body := range []string{``, `{`, `{"phone":}`, `nul`, `{"a":1}x`} {
		r := send(t, srv, "POST", "/verify_codes", []byte(body), lox24Auth)
		assert.Equal(t, 400, r.Status, body)
		assert.JSONEq(t, `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"Syntax error"}`, string(r.Body), body)
	}
	for _, body := range []string{`[]`, `"x"`, `null`, `12`} {
		r := send(t, srv, "POST", "/verify_codes", []byte(body), lox24Auth)
		assert.Equal(t, 400, r.Status, body)
		assert.Contains(t, string(r.Body), "misformatted", body)
	}
}

func TestLOX24ViolationStatus422(t *testing.T) {
	srv, c := newTest(t, WithViolationStatus(422), WithSenderIDs("LOX24"))
	r := send(t, srv, "POST", "/verify_codes", []byte(`{"phone":"1"}`), lox24Auth)
	assert.Equal(t, 422, r.Status)
	r = send(t, srv, "POST", "/verify_codes", []byte(`{`), lox24Auth)
	assert.Equal(t, 400, r.Status, "malformed JSON stays 400")

	// The client does not know the account's sender IDs, so this reaches the
	// mock: the violation comes back as an APIError with Fields.
	_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS, SenderID: "Other"}}})
	require.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 422, apiErr.StatusCode)
	assert.Equal(t, []otpkit.FieldError{{Field: "routing_strategy[0].sender_id", Code: rules.SymfonyNoSuchChoice,
		Message: "This sender ID is not allowed for your account."}}, apiErr.Fields)
	assert.Regexp(t, lox24RequestIDRE, apiErr.RequestID)

	_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS, SenderID: "LOX24"}}})
	assert.NoError(t, err)
}

func TestLOX24AccountErrors(t *testing.T) {
	t.Run("unauthorized", func(t *testing.T) {
		srv, _ := newTest(t)
		bad, err := srv.Client(otpkit.WithLOX24Token("1234567:wrong"))
		require.NoError(t, err)
		_, err = bad.ListVerifyCodes(ctx(t), nil)
		require.ErrorIs(t, err, otpkit.ErrUnauthorized)
		var apiErr *otpkit.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "Client ID or API key isn't active or invalid!", apiErr.Message)
		assert.Regexp(t, lox24RequestIDRE, apiErr.RequestID)
		assert.NotContains(t, err.Error(), "wrong")
	})
	t.Run("inactive", func(t *testing.T) {
		srv, c := newTest(t, WithAccountInactive())
		_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
		require.ErrorIs(t, err, otpkit.ErrForbidden)
		var apiErr *otpkit.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "Account isn't activated. Please wait or contact to support!", apiErr.Message)
		srv.SetAccountInactive(false)
		_, err = c.ListVerifyCodes(ctx(t), nil)
		assert.NoError(t, err)
	})
	t.Run("funds", func(t *testing.T) {
		srv, c := newTest(t, WithBalance(20))
		create := func(ch otpkit.Channel) error {
			_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone,
				RoutingStrategy: []otpkit.RoutingStep{{Channel: ch}}})
			return err
		}
		require.NoError(t, create(otpkit.ChannelSMS)) // reserves 8
		err := create(otpkit.ChannelVoice)            // 8 + 15 > 20
		require.ErrorIs(t, err, otpkit.ErrInsufficientFunds)
		var apiErr *otpkit.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "There are not enough funds on your account!", apiErr.Message)
		srv.Advance(time.Second) // the sms is delivered and charged
		cents, limited := srv.Balance()
		assert.Equal(t, 12, cents)
		assert.True(t, limited)
		require.ErrorIs(t, create(otpkit.ChannelVoice), otpkit.ErrInsufficientFunds)
		require.NoError(t, create(otpkit.ChannelSMS))
		srv.SetBalance(1000)
		require.NoError(t, create(otpkit.ChannelVoice))
	})
}

func TestLOX24IPBlock(t *testing.T) {
	srv, c := newTest(t)
	bad := map[string]string{"X-LOX24-AUTH-TOKEN": "1:bad"}
	for i := 0; i < 3; i++ {
		r := send(t, srv, "GET", "/verify_codes", nil, bad)
		require.Equal(t, 401, r.Status, "request %d", i+1)
		assert.Regexp(t, lox24RequestIDRE, r.Header.Get("X-LOX24-REQUEST-ID"))
	}
	r := send(t, srv, "GET", "/verify_codes", nil, nil)
	require.Equal(t, 429, r.Status, "the 4th bad request within 60 s blocks the IP (a missing token counts)")
	assert.JSONEq(t, `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred",
		"detail":"IP address was temporary blocked, because during short time from it was sent many request with invalid credentials. Please wait and try later."}`, string(r.Body))
	assert.Equal(t, "600", r.Header.Get("Retry-After"))
	assert.Regexp(t, lox24RequestIDRE, r.Header.Get("X-LOX24-REQUEST-ID"))

	srv.Advance(4 * time.Minute)
	_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
	require.ErrorIs(t, err, otpkit.ErrRateLimited, "every LOX24 request from the IP, valid token or not")
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 6*time.Minute, apiErr.RetryAfter)
	assert.Equal(t, 429, send(t, srv, "GET", "/verify_codes/x/y", nil, lox24Auth).Status)

	// Other providers are not affected.
	_, err = c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)

	srv.Advance(6 * time.Minute)
	_, err = c.ListVerifyCodes(ctx(t), nil)
	require.NoError(t, err, "the block lasts 10 minutes on the mock's clock")
}

func TestLOX24BadCredentialsSpreadOutDoNotBlock(t *testing.T) {
	srv, c := newTest(t)
	bad := map[string]string{"X-LOX24-AUTH-TOKEN": "1:bad"}
	for i := 0; i < 8; i++ {
		require.Equal(t, 401, send(t, srv, "GET", "/verify_codes", nil, bad).Status, "request %d", i+1)
		srv.Advance(21 * time.Second) // never more than 3 within 60 s
	}
	_, err := c.ListVerifyCodes(ctx(t), nil)
	require.NoError(t, err)
}

func TestLOX24ReadObjectHasTheDocumentedFields(t *testing.T) {
	// The read object has exactly the fields of seed 000's example.
	const seed = `{ "id": "d7ad7539-fb8f-4dbb-a7f7-7c40babec969", "user_id": 12345, "phone": "+491701234567", "routing_strategy": [ { "channel": "telegram", "timeout_sec": 30 }, { "channel": "voice", "sender_id": "LOX24", "template": "Your code is {{code}}" }, { "channel": "sms", "sender_id": "LOX24", "template": "Your code is {{code}}" } ], "status": 10, "delivered_channel": "sms", "cost": 120, "currency": "EUR", "code": "1234", "code_length": 4, "payload": "yours payload here", "lang": "EN", "created_at": 1779903448, "updated_at": 1779903510, "history": [ { "id": "bccaff09-59f2-11f1-a685-7c10c91d54a1", "channel": "telegram", "status": 20, "processed_at": 1779903478, "external_id": "tg_msg_001" } ], "is_code_deleted": false}`
	srv, _ := newTest(t)
	srv.SetOutcome("+491701234567", otpkit.ChannelTelegram, OutcomeFailed)
	srv.SetOutcome("+491701234567", otpkit.ChannelVoice, OutcomeFailed)
	// The seed's create example (001), sent as it is.
	r := send(t, srv, "POST", "/verify_codes", []byte(`{"phone":"+491701234567","code":"1234","is_code_deleted":false,
		"payload":"yours payload here","lang":"EN","routing_strategy":[{"channel":"telegram","timeout_sec":30},
		{"channel":"voice","sender_id":"LOX24","template":"Your code is {{code}}"},
		{"channel":"sms","sender_id":"LOX24","template":"Your code is {{code}}"}]}`), lox24Auth)
	require.Equal(t, 201, r.Status, string(r.Body))
	var created map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &created))
	srv.Advance(time.Minute)
	r = send(t, srv, "GET", "/verify_codes/"+created["id"].(string), nil, lox24Auth)
	require.Equal(t, 200, r.Status)

	var want, got map[string]any
	require.NoError(t, json.Unmarshal([]byte(seed), &want))
	require.NoError(t, json.Unmarshal(r.Body, &got))
	assert.ElementsMatch(t, keys(want), keys(got))
	assert.Equal(t, want["routing_strategy"], got["routing_strategy"], "the strategy as written")
	assert.ElementsMatch(t, keys(want["history"].([]any)[0].(map[string]any)), keys(got["history"].([]any)[0].(map[string]any)))
	assert.Equal(t, float64(28), got["cost"])
	assert.Equal(t, "1234", got["code"])

	var vc otpkit.VerifyCode
	require.NoError(t, json.Unmarshal(r.Body, &vc), "the client decodes it")
	assert.Equal(t, otpkit.VerifyCodeSuccess, vc.Status)
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestLOX24RequestIDOnEveryResponse(t *testing.T) {
	srv, _ := newTest(t)
	seen := map[string]bool{}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/verify_codes", ""},
		{"GET", "/verify_codes/nope", ""},
		{"POST", "/verify_codes", `{`},
		{"POST", "/verify_codes", `{"phone":"+491701234567","routing_strategy":[{"channel":"sms"}]}`},
		{"DELETE", "/verify_codes", ""},
		{"GET", "/verify_codes/a/b", ""},
	} {
		r := send(t, srv, tc.method, tc.path, []byte(tc.body), lox24Auth)
		id := r.Header.Get("X-LOX24-REQUEST-ID")
		assert.Regexp(t, lox24RequestIDRE, id, "%s %s", tc.method, tc.path)
		seen[id] = true
	}
	assert.Len(t, seen, 6, "a new id per response")
}

// TestLOX24ClientAndMockAgree sends requests the client refuses to the mock
// as they would be encoded: both name the same first broken field, since
// both use internal/rules.
func TestLOX24ClientAndMockAgree(t *testing.T) {
	srv, c := newTest(t)
	for _, req := range []*otpkit.CreateVerifyCodeRequest{
		{Phone: "+49", RoutingStrategy: smsOnly()},
		{Phone: lox24Phone, Code: "12", RoutingStrategy: smsOnly()},
		{Phone: lox24Phone, CodeLength: 9, RoutingStrategy: smsOnly()},
		{Phone: lox24Phone, Lang: "xx", RoutingStrategy: smsOnly()},
		{Phone: lox24Phone, Payload: strings.Repeat("p", 129), RoutingStrategy: smsOnly()},
		{Phone: lox24Phone},
		{Phone: lox24Phone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}, {Channel: otpkit.ChannelVoice}}},
		{Phone: lox24Phone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelTelegram, TimeoutSec: 10}}},
		{Phone: lox24Phone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelVoice, TimeoutSec: 60}}},
		{Phone: lox24Phone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS, SenderID: "Too long sender"}}},
		{Phone: lox24Phone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS, Template: "no code"}}},
		{Phone: lox24Phone, RoutingStrategy: []otpkit.RoutingStep{{Channel: "fax"}}},
	} {
		_, err := c.CreateVerifyCode(ctx(t), req)
		var ve *otpkit.ValidationError
		require.ErrorAs(t, err, &ve, "%+v", req)

		body, err := json.Marshal(req)
		require.NoError(t, err)
		r := send(t, srv, "POST", "/verify_codes", body, lox24Auth)
		require.Equal(t, 400, r.Status, string(body))
		var pb lox24Problem
		require.NoError(t, json.Unmarshal(r.Body, &pb))
		require.NotEmpty(t, pb.Violations)
		assert.Equal(t, ve.Field, pb.Violations[0].PropertyPath, string(body))
		assert.Equal(t, ve.Reason, pb.Violations[0].Message, string(body))
	}
}
