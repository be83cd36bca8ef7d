package mock

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// TestClientWithNoOtherSetup is the README's example: a server without
// options, its client, and one flow of each provider on the real clock.
func TestClientWithNoOtherSetup(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)

	v, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	code, ok := srv.LastCode(tvPhone)
	require.True(t, ok)
	got, err := c.CheckCode(ctx(t), v.ID, code)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerificationApproved, got.Status)

	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
	require.NoError(t, err)
	srv.Advance(time.Second) // the sms step takes a second of the mock's time
	vc, err = c.GetVerifyCode(ctx(t), vc.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerifyCodeSuccess, vc.Status)
	lc, _ := srv.LastCode(lox24Phone)
	assert.True(t, vc.Matches(lc))

	st, err := c.SendCode(ctx(t), &otpkit.SendCodeRequest{To: ddPhone})
	require.NoError(t, err)
	code, _ = srv.LastCode(ddPhone)
	st, err = c.ValidateCode(ctx(t), st.RequestID, code)
	require.NoError(t, err)
	assert.Equal(t, otpkit.CodeVerified, st.Status)

	assert.Regexp(t, `^http://127\.0\.0\.1:[0-9]+$`, srv.URL)
	assert.Equal(t, 1, srv.Connections(), "one kept-alive connection for all calls")
}

func TestClientOptionsOverride(t *testing.T) {
	srv, _ := newTest(t)
	c, err := srv.Client(otpkit.WithTryvoxKey("tvx_sk_test_unknown", TryvoxTenantID))
	require.NoError(t, err)
	_, err = c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	require.ErrorIs(t, err, otpkit.ErrUnauthorized, "the caller's option wins")
	_, err = c.SendCode(ctx(t), &otpkit.SendCodeRequest{To: ddPhone})
	require.NoError(t, err, "the other providers keep the mock's credentials")
}

func TestMessageFormatRedacts(t *testing.T) {
	m := Message{ID: "ver_x", Provider: otpkit.ProviderTryvox, Channel: otpkit.ChannelSMS, To: tvPhone,
		Code: "482913", Text: "Your code is 482913", Time: t0}
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		out := fmt.Sprintf(verb, m)
		assert.NotContains(t, out, "482913", verb)
		assert.Contains(t, out, "[REDACTED]", verb)
		assert.NotContains(t, out, tvPhone[1:], verb)
		assert.Contains(t, out, "+49…", verb+": the number prints masked")
		assert.Contains(t, out, "ver_x", verb+": the other fields print")
	}
	assert.Contains(t, fmt.Sprintf("%v", []Message{m}), "[REDACTED]")
	assert.Contains(t, fmt.Sprintf("%v", &m), "[REDACTED]")
	assert.Equal(t, "482913", m.Code, "the fields stay readable")
	assert.Equal(t, tvPhone, m.To, "the fields stay readable")
	assert.NotContains(t, fmt.Sprintf("%+v", Message{}), "REDACTED", "nothing to hide")
	assert.NotContains(t, fmt.Sprintf("%+v", Message{}), "…", "nothing to hide")
}

// The outbox's messages, as real flows of each provider leave them, print
// and log their recipient masked: a number as "+49…" or "44…", an e-mail
// address as [REDACTED].
func TestMessagesHideTheRecipient(t *testing.T) {
	srv, c := newTest(t)
	const email = "grace.hopper@example.com"
	_, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: tvPhone, Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	_, err = c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: email, Channel: otpkit.ChannelEmail})
	require.NoError(t, err)
	_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
	require.NoError(t, err)
	srv.Advance(time.Second)
	_, err = c.SendCode(ctx(t), &otpkit.SendCodeRequest{To: ddPhone})
	require.NoError(t, err)

	msgs := srv.Messages()
	require.Len(t, msgs, 4)
	recipients := []string{tvPhone[1:], email, lox24Phone[1:], ddPhone} // digits without "+": no form may show
	for i, want := range []string{tvPhone, email, lox24Phone, ddPhone} {
		assert.Equal(t, want, msgs[i].To, "the outbox keeps the recipient as sent")
	}
	for _, m := range msgs {
		var logs bytes.Buffer
		slog.New(slog.NewTextHandler(&logs, nil)).Info("sent", "m", m)
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("sent", "m", m, "group", slog.GroupValue(slog.Any("m", m)))
		out := []string{logs.String()}
		for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
			out = append(out, fmt.Sprintf(verb, m), fmt.Sprintf(verb, &m))
		}
		for _, o := range out {
			for _, r := range recipients {
				assert.NotContains(t, o, r)
			}
		}
	}
	assert.Contains(t, fmt.Sprintf("%+v", msgs[0]), "To:+49…")
	assert.Contains(t, fmt.Sprintf("%+v", msgs[1]), "To:[REDACTED]")
	assert.Contains(t, fmt.Sprintf("%+v", msgs[3]), "To:44…")
}

func TestOptionsPanicOnUnusableValues(t *testing.T) {
	for name, opt := range map[string]Option{
		"token without colon": WithLOX24Token("1234567"),
		"token id not digits": WithLOX24Token("abc:key"),
		"empty tryvox key":    WithTryvoxKey("", "acc"),
		"tenant with space":   WithTryvoxKey("k", "acc 1"),
		"dotdigital colon":    WithDotdigitalAuth("a:b", "p"),
		"no password":         WithDotdigitalAuth("a", ""),
		"negative balance":    WithBalance(-1),
		"status 418":          WithViolationStatus(418),
		"no messages":         WithMaxMessages(0),
		"no requests":         WithMaxRequests(-1),
	} {
		assert.Panics(t, func() { NewHandler(opt) }, name)
	}
	assert.NotPanics(t, func() { NewHandler(nil, WithViolationStatus(400)) })
	assert.Panics(t, func() { NewHandler().SetOutcome(tvPhone, otpkit.ChannelSMS, Outcome(7)) })
}

func TestDefaultCredentials(t *testing.T) {
	assert.Regexp(t, `^[0-9]+:[0-9a-f]{32}$`, LOX24Token)
	assert.Regexp(t, `^tvx_sk_test_`, TryvoxAPIKey)
	assert.Regexp(t, `^acc_`, TryvoxTenantID)
	_, err := otpkit.NewClient(otpkit.WithLOX24Token(LOX24Token), otpkit.WithTryvoxKey(TryvoxAPIKey, TryvoxTenantID),
		otpkit.WithDotdigitalAuth(DotdigitalUsername, DotdigitalPassword))
	require.NoError(t, err, "the client accepts them")

	// Giving a credential option replaces the default.
	h := NewHandler(WithLOX24Token("42:abc"))
	assert.Equal(t, 401, do(h, "GET", "/verify_codes", "", lox24Auth).Status)
	assert.Equal(t, 200, do(h, "GET", "/verify_codes", "", map[string]string{"X-LOX24-AUTH-TOKEN": "42:abc"}).Status)
	assert.Equal(t, 42, userIDOf("42:abc"))
	assert.Positive(t, userIDOf("99999999999999999999:x"), "a client id too large still gives a stable user id")
}

func TestClock(t *testing.T) {
	h := NewHandler(WithClock(time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))))
	start := h.Now()
	assert.Equal(t, time.UTC, start.Location())
	assert.Equal(t, time.Date(2026, 1, 2, 2, 4, 5, 6, time.UTC), start)
	time.Sleep(2 * time.Millisecond)
	assert.Equal(t, start, h.Now(), "a manual clock stands still")
	h.Advance(90 * time.Second)
	assert.Equal(t, start.Add(90*time.Second), h.Now())
	h.Advance(-time.Hour)
	h.Advance(0)
	assert.Equal(t, start.Add(90*time.Second), h.Now(), "never backwards")

	real := NewHandler()
	assert.WithinDuration(t, time.Now(), real.Now(), time.Second)
	real.Advance(time.Hour)
	assert.WithinDuration(t, time.Now().Add(time.Hour), real.Now(), time.Second, "real time plus what Advance added")
	a := real.Now()
	time.Sleep(2 * time.Millisecond)
	assert.True(t, real.Now().After(a), "and it runs")
}

func TestResetKeepsOptionsAndClock(t *testing.T) {
	srv, c := newTest(t, WithBalance(50))
	v := startSMS(t, c, tvPhone)
	srv.SetOutcome(lox24Phone, otpkit.ChannelSMS, OutcomeFailed)
	srv.SetNumberStatus(ddPhone, "Valid")
	srv.SetBalance(0)
	srv.SetAccountInactive(true)
	srv.InjectFault("/x", Fault{Status: 500})
	for i := 0; i < 4; i++ {
		send(t, srv, "GET", "/verify_codes", nil, nil) // blocks the IP
	}
	srv.Advance(time.Minute)

	srv.Reset()
	assert.Equal(t, Stats{}, srv.Stats())
	assert.Empty(t, srv.Messages())
	assert.Empty(t, srv.Requests())
	assert.Equal(t, t0.Add(time.Minute), srv.Now(), "the clock stays")
	cents, limited := srv.Balance()
	assert.Equal(t, 50, cents, "back to the option's balance")
	assert.True(t, limited)
	_, err := c.GetStatus(ctx(t), v.ID)
	require.ErrorIs(t, err, otpkit.ErrNotFound)

	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
	require.NoError(t, err, "no IP block, account active, credentials kept")
	srv.Advance(time.Second)
	vc, err = c.GetVerifyCode(ctx(t), vc.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerifyCodeSuccess, vc.Status, "outcomes were cleared")
	st := sendCode(t, c, &otpkit.SendCodeRequest{To: ddPhone})
	assert.Equal(t, "Unknown", st.NumberStatus)
}

func TestRequestLog(t *testing.T) {
	srv, c := newTest(t)
	startSMS(t, c, tvPhone)
	srv.Advance(time.Second)
	send(t, srv, "GET", "/nowhere?secret=1", nil, nil)
	send(t, srv, "GET", "/_mock/health", nil, nil)
	_, err := c.ValidateCode(ctx(t), "0d5c94d4-df1f-4fc8-82d2-1f64ea548704", "123456")
	require.ErrorIs(t, err, otpkit.ErrNotFound)
	assert.Equal(t, []Request{
		{Method: "POST", Path: "/v1/verify/start", Provider: otpkit.ProviderTryvox, Status: 200, Time: t0},
		{Method: "GET", Path: "/nowhere", Provider: "", Status: 404, Time: t0.Add(time.Second)},
		{Method: "PUT", Path: "/WebApi/Verify/0d5c94d4-df1f-4fc8-82d2-1f64ea548704/validate", Provider: otpkit.ProviderDotdigital,
			Status: 204, Time: t0.Add(time.Second)},
	}, srv.Requests())
}

func TestHandlerWorksWithoutServer(t *testing.T) {
	h := NewHandler(WithClock(t0))
	var _ http.Handler = h
	r := do(h, "POST", "/v1/verify/start", `{"to":"`+tvPhone+`","channel":"voice"}`, tryvoxAuth)
	require.Equal(t, 200, r.Status)
	m, ok := h.LastMessage(tvPhone)
	require.True(t, ok)
	assert.Equal(t, otpkit.ChannelVoice, m.Channel)
	assert.Len(t, h.MessagesTo("+"+tvPhone[1:]), 1)
	assert.Empty(t, h.MessagesTo("+1"))
}

func TestServerCloseTwice(t *testing.T) {
	srv := NewServer()
	srv.Close()
	assert.NotPanics(t, srv.Close)
}

func TestHandlerAndServerFormatHideCredentialsAndCodes(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	client, err := srv.Client()
	require.NoError(t, err)
	_, err = client.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	code, ok := srv.LastCode("+4917012345678")
	require.True(t, ok)
	for _, v := range []any{srv, srv.Handler, NewHandler()} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{LOX24Token, TryvoxAPIKey, DotdigitalPassword, code} {
				assert.NotContains(t, out, secret, verb)
			}
		}
	}
}
